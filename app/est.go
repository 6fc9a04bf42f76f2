package app

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/est"
	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// estClient is the protocolClient of an EST server (RFC 7030,
// docs/protocols.md). It offers one synthetic template: the URL's label
// (or est.DefaultTemplate) shaped by the server's /csrattrs.
type estClient struct {
	c      *Core
	s      *store.Store
	srv    Server
	cred   credential
	anchor *x509.Certificate // the pinned CA, once fetched (estAnchor)
}

// estClientFor returns the EST client of srv with credential cred.
func (c *Core) estClientFor(s *store.Store, srv Server, cred credential) *estClient {
	cred.pin = srv.CAPin
	return &estClient{c: c, s: s, srv: srv, cred: cred}
}

// client returns the est.Client for the template name (its label), with
// the server's credential (basic or TLS client certificate) or, with
// cert, the TLS client certificate only (re-enrollment is authenticated
// by the certificate being renewed, no password is sent).
// A pinned CA is fetched first (estAnchor): the TLS connection is then
// verified against the context's roots and that CA (an EST server's own
// TLS certificate often comes from it, RFC 7030 4.1.1), and what is
// issued must chain to it (answer).
func (e *estClient) client(ctx context.Context, template string, cert bool) (*est.Client, error) {
	cred := e.cred
	if cert && cred.cert == nil {
		return nil, errors.New("EST re-enrollment needs the certificate being renewed and its key")
	}
	if cert {
		cred.user, cred.password = "", ""
	}
	if pin := cred.pin; pin != "" {
		if e.anchor == nil || Fingerprint(e.anchor) != pin {
			anchor, err := e.c.estAnchor(ctx, e.srv.URL, pin)
			if err != nil {
				return nil, err
			}
			e.anchor = anchor
		}
		cred.extraRoots, cred.pin = append(cred.extraRoots, e.anchor), ""
	}
	hc, err := e.c.httpClient(ctx, e.s, cred)
	if err != nil {
		return nil, err
	}
	opts := []est.Option{est.WithHTTPClient(hc)}
	if label := estLabel(template); label != "" {
		opts = append(opts, est.WithLabel(label))
	}
	if cred.user != "" {
		opts = append(opts, est.WithBasicAuth(cred.user, cred.password))
	}
	return est.New(e.srv.URL, opts...)
}

// estLabel is the label a template name addresses: none for the default
// template (the URL's own label, if any, then applies).
func estLabel(template string) string {
	if template == est.DefaultTemplate {
		return ""
	}
	return template
}

// offer fetches /cacerts and /csrattrs and returns them as a policy of
// one template, named by the URL's label or est.DefaultTemplate. An
// anonymous server that wants credentials for /csrattrs offers the
// defaults.
func (e *estClient) offer(ctx context.Context) (*enroll.Policies, error) {
	_, label, err := est.SplitURL(e.srv.URL)
	if err != nil {
		return nil, err
	}
	cl, err := e.client(ctx, "", false)
	if err != nil {
		return nil, err
	}
	cas, err := cl.CACerts(ctx)
	if err != nil {
		return nil, err
	}
	attrs, err := cl.CSRAttrs(ctx)
	if errors.Is(err, enroll.ErrCredentialsRefused) && e.cred.user == "" {
		attrs, err = &est.CSRAttrs{}, nil
	}
	if err != nil {
		return nil, err
	}
	t := attrs.Template(label)
	p := &enroll.Policies{PolicyID: "est:" + e.srv.URL, FriendlyName: "EST " + e.srv.URL, Templates: []enroll.Template{t}}
	ca := enroll.CA{EnrollPermission: true}
	if len(cas) > 0 {
		ca.Certificate = cas[0].Raw
	}
	p.CAs = []enroll.CA{ca}
	return p, nil
}

// enroll sends /simpleenroll. EST carries no challenge password here: the
// credential is HTTP basic or the TLS client certificate.
func (e *estClient) enroll(ctx context.Context, r enroll.Request, challenge string) (*enroll.Response, error) {
	if challenge != "" {
		return nil, errors.New("an EST server takes no challenge password: leave -challenge out")
	}
	subject, err := enroll.ParseDN(r.Subject)
	if err != nil {
		return nil, err
	}
	csr, err := enroll.NewProtocolCSR(e.c.rand, r.Key, subject, r.DNSNames, "")
	if err != nil {
		return nil, err
	}
	cl, err := e.client(ctx, r.Template.CommonName, false)
	if err != nil {
		return nil, err
	}
	res, err := cl.Enroll(ctx, csr)
	return e.answer(ctx, cl, res, err, estPending{CSR: csr, Template: r.Template.CommonName}, r.Key.Public())
}

// renew sends /simplereenroll for the new key (the old one when none),
// with the current certificate's subject and names, authenticated by the
// current certificate as TLS client certificate.
func (e *estClient) renew(ctx context.Context, r enroll.RenewalRequest) (*enroll.Response, error) {
	key := r.NewKey
	if key == nil {
		key = r.OldKey
	}
	name := est.DefaultTemplate
	if r.Template != nil {
		name = r.Template.CommonName
	}
	csr, err := enroll.NewProtocolCSR(e.c.rand, key, r.OldCert.RawSubject, r.OldCert.DNSNames, "")
	if err != nil {
		return nil, err
	}
	cl, err := e.client(ctx, name, true)
	if err != nil {
		return nil, err
	}
	res, err := cl.Reenroll(ctx, csr)
	return e.answer(ctx, cl, res, err, estPending{CSR: csr, Template: name, Renewal: store.Thumbprint(r.OldCert.Raw)}, key.Public())
}

// poll sends the pending request again, as RFC 7030 4.2.3 asks: the same
// CSR, kept beside the Request store (estPendingPath) by enroll or renew.
func (e *estClient) poll(ctx context.Context, p pendingRequest) (*enroll.Response, error) {
	path, err := estPendingPath(e.s, p.Key.Public())
	if err != nil {
		return nil, err
	}
	data, err := atomicfile.ReadOwned(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("request %s: the EST request to send again is not kept any more; enroll again", p.ID)
	}
	if err != nil {
		return nil, err
	}
	var pend estPending
	if err := json.Unmarshal(data, &pend); err != nil {
		return nil, fmt.Errorf("read %s: the file is damaged: %w", path, err)
	}
	var cl *est.Client
	var res *est.Result
	if pend.Renewal != "" {
		if e.cred, err = e.c.certCredential(ctx, e.s, pend.Renewal); err == nil {
			if cl, err = e.client(ctx, pend.Template, true); err == nil {
				res, err = cl.Reenroll(ctx, pend.CSR)
			}
		}
	} else if cl, err = e.client(ctx, pend.Template, false); err == nil {
		res, err = cl.Enroll(ctx, pend.CSR)
	}
	if err != nil && !errors.Is(err, enroll.ErrDenied) {
		return nil, err
	}
	return e.answer(ctx, cl, res, err, pend, p.Key.Public())
}

// answer turns an EST result into the core's response: pending keeps the
// CSR to send again; issued or denied drops it. An issued answer's chain
// is completed with /cacerts (untrusted: installTx keeps only the path).
func (e *estClient) answer(ctx context.Context, cl *est.Client, res *est.Result, err error, pend estPending, pub crypto.PublicKey) (*enroll.Response, error) {
	path, perr := estPendingPath(e.s, pub)
	if perr != nil {
		return nil, perr
	}
	id := filepath.Base(path[:len(path)-len(".json")])
	if err != nil {
		if errors.Is(err, enroll.ErrDenied) {
			_ = os.Remove(path)
		}
		return nil, err
	}
	if res.Pending() {
		data, err := json.Marshal(pend)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := atomicfile.Write(path, data, 0o600); err != nil {
			return nil, err
		}
		return &enroll.Response{RequestID: id, Endpoint: e.srv.URL,
			Disposition: fmt.Sprintf("accepted by the EST server, not issued yet (ask again after %s)", res.RetryAfter)}, nil
	}
	_ = os.Remove(path)
	chain := res.Chain
	if cas, err := cl.CACerts(ctx); err == nil {
		chain = append(chain, cas...)
	}
	if err := e.fromAnchor(res.Certificate, chain); err != nil {
		return nil, err
	}
	return &enroll.Response{Certificate: res.Certificate, Chain: chain, RequestID: id, Endpoint: e.srv.URL, Disposition: "Issued"}, nil
}

// fromAnchor checks that an issued certificate chains to the pinned CA,
// when the server has one, through the answer's certificates.
func (e *estClient) fromAnchor(cert *x509.Certificate, chain []*x509.Certificate) error {
	if e.anchor == nil {
		return nil
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(e.anchor)
	for _, c := range chain {
		inters.AddCert(c)
	}
	at := e.c.clock.Now()
	if at.Before(cert.NotBefore) { // a CA clock a little ahead
		at = cert.NotBefore
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("the certificate %s issued does not chain to the pinned CA (SHA-256 %s): %w", e.srv.URL, e.srv.CAPin, err)
	}
	return nil
}

// estPending is what an EST request waiting at the server needs to be
// sent again: the same CSR, to the same label, the same way.
type estPending struct {
	CSR      []byte `json:"csr"`
	Template string `json:"template"`
	// Renewal is the thumbprint of the certificate being renewed, whose
	// key authenticates a re-enrollment.
	Renewal string `json:"renewal,omitempty"`
}

// estRequestsDir holds the CSRs of EST requests waiting at their server,
// one file per key, named by the first 8 bytes of the SHA-256 of its
// SubjectPublicKeyInfo (which is also the request id shown).
const estRequestsDir = "est-requests"

func estPendingPath(s *store.Store, pub crypto.PublicKey) (string, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(spki)
	return filepath.Join(s.Dir(), estRequestsDir, hex.EncodeToString(sum[:8])+".json"), nil
}

// estAnchor fetches the EST server's CA certificates as RFC 7030 4.1.1
// allows for bootstrapping (TLS not yet verified, no credential sent) and
// returns the one whose SHA-256 is pin, which then anchors the verified
// connections. None matching stops everything before a request is sent.
func (c *Core) estAnchor(ctx context.Context, url, pin string) (*x509.Certificate, error) {
	cas, err := c.estBootstrapCACerts(ctx, url)
	if err != nil {
		return nil, err
	}
	for _, ca := range cas {
		if Fingerprint(ca) == pin {
			return ca, nil
		}
	}
	return nil, fmt.Errorf("the CA certificates of %s do not match the pinned SHA-256 fingerprint %s; nothing was sent", url, pin)
}

// estBootstrapCACerts fetches /cacerts without verifying the server's TLS
// certificate and without any credential: what it returns is to be
// compared with a pin or shown to the person, never trusted as it is.
func (c *Core) estBootstrapCACerts(ctx context.Context, url string) ([]*x509.Certificate, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true} // RFC 7030 4.1.1 bootstrap, checked against the pin
	hc := &http.Client{Timeout: c.timeout, Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}
	cl, err := est.New(url, est.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	return cl.CACerts(ctx)
}
