package app

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// EnrollRequest asks for a new certificate from a registered server.
type EnrollRequest struct {
	Context  store.Context
	Server   string // id, URL or friendly name
	Template string // template common name
	// Subject (RFC 4514) and DNSNames only where the template lets the
	// enrollee supply them.
	Subject  string
	DNSNames []string
	// Key is "" (what the template asks for) or rsa2048, rsa3072, rsa4096,
	// p256, p384; it may only strengthen the template's key.
	Key string
	// KeyStorage is "" (where the template demands) or software, tpm,
	// pkcs11; it may only ask for stronger storage. PIN unlocks a token.
	KeyStorage string
	PIN        string
	SavePIN    bool // keep PIN in the keyring once the token accepts it
	// Password, if set, is used for this request only and not saved.
	Password     string
	FriendlyName string
	// Challenge is a SCEP challenge password: used for this request only,
	// never stored, and sent only inside the encrypted envelope.
	Challenge string
}

// EnrollResult is what Enroll did. Its JSON form is the shape of
// "certdesk enroll -json" (docs/core.md).
type EnrollResult struct {
	Status      string    `json:"status"` // "issued" or "pending"
	Store       string    `json:"store"`  // My, or Request while pending
	Thumbprint  string    `json:"thumbprint"`
	Subject     string    `json:"subject"`
	NotAfter    time.Time `json:"notAfter,omitzero"`
	Template    string    `json:"template"`
	Server      string    `json:"server"`
	RequestID   string    `json:"requestID,omitempty"`
	Disposition string    `json:"disposition,omitempty"`
	KeyStorage  string    `json:"keyStorage,omitempty"` // where the key lives (issued)
}

// The statuses of EnrollResult.
const (
	StatusIssued  = "issued"
	StatusPending = "pending"
)

// Enroll generates the key the template asks for, submits a request with
// failover over the CA's CES endpoints, and installs the result: an issued
// certificate with its key into My (metadata: template, server, request
// id) and its intermediates into CA; a pending request's key into Request
// with the request id and the CES URI it was submitted to (where it is
// polled; never a URL the answer names), for RequestStatus and pulse.
func (c *Core) Enroll(ctx context.Context, r EnrollRequest) (*EnrollResult, error) {
	s, err := c.Store(r.Context)
	if err != nil {
		return nil, err
	}
	srv, err := c.Server(r.Context, r.Server)
	if err != nil {
		return nil, err
	}
	cred, err := c.serverCredential(ctx, s, srv, r.Password)
	if err != nil {
		return nil, err
	}
	pol, err := c.policies(ctx, s, srv, srv.URL, cred, false)
	if err != nil {
		return nil, err
	}
	if r.Template == "" && !srv.isCEP() && len(pol.Templates) == 1 {
		// SCEP and EST servers offer one profile: it needs no name.
		r.Template = pol.Templates[0].CommonName
	}
	t := pol.Template(r.Template)
	if t == nil {
		return nil, fmt.Errorf("server %s: %w %q", srv.URL, ErrNoTemplate, r.Template)
	}
	if !t.Usable() {
		return nil, fmt.Errorf("template %q cannot be used: %s", t.CommonName, t.Unusable())
	}
	if err := checkNames(t, r.Subject, r.DNSNames); err != nil {
		return nil, err
	}
	kt, err := chooseKey(t, r.Key)
	if err != nil {
		return nil, err
	}
	return c.submit(ctx, s, nil, srv, cred, pol, t, kt, r)
}

// submit generates the key, sends the request and stores the outcome,
// under the context lock (taken here unless the caller, pulse's
// autoenrollment, holds it as tx). Everything that could keep the key from
// being stored is checked before the request goes out: once the CA has
// issued, a key that cannot be kept is a certificate lost.
func (c *Core) submit(ctx context.Context, s *store.Store, tx *store.Tx, srv Server, cred credential, pol *enroll.Policies,
	t *enroll.Template, kt enroll.KeyType, r EnrollRequest) (*EnrollResult, error) {
	cx := s.Context()
	place, err := chooseKeyStorage(t, r.KeyStorage)
	if err == nil {
		err = c.checkKeyStorage(t, place)
	}
	if err != nil {
		return nil, err
	}
	var send func(enroll.Request) (*enroll.Response, error)
	if srv.isCEP() {
		cl, err := c.client(ctx, s, cred)
		if err != nil {
			return nil, err
		}
		// Endpoints in the CA's priority order, renewal-only ones left out:
		// the enroll client fails over between them (cepces tries only one).
		uris := pol.Endpoints(t, cl.AuthKind(), false)
		if err := checkPasswordHosts(cred, uris); err != nil {
			_ = c.record(cx, Record{Action: ActionEnroll, Outcome: OutcomeFailed, Subject: r.Subject, Reason: err.Error()})
			return nil, fmt.Errorf("enroll for %q at %s: %w", t.CommonName, srv.URL, err)
		}
		send = func(er enroll.Request) (*enroll.Response, error) { return cl.Enroll(ctx, uris, er) }
	} else {
		pcl, err := c.protocolClientFor(ctx, s, srv, cred)
		if err != nil {
			return nil, err
		}
		send = func(er enroll.Request) (*enroll.Response, error) { return pcl.enroll(ctx, er, r.Challenge) }
	}
	if err := s.CheckKeyring(ctx); err != nil {
		return nil, err
	}
	if tx == nil {
		if tx, err = s.Lock(ctx); err != nil {
			return nil, err
		}
		defer tx.Unlock()
	}
	kctx := ctx
	if r.PIN != "" {
		kctx = WithTokenPIN(ctx, TokenPIN{PIN: r.PIN, Save: r.SavePIN})
	}
	pk, err := c.newKey(kctx, cx, t, place, kt)
	if err != nil {
		return nil, err
	}
	defer pk.close()
	key := pk.signer
	resp, err := send(enroll.Request{Template: t, Key: key, Subject: r.Subject, DNSNames: r.DNSNames})
	if err != nil {
		pk.discard()
		_ = c.record(cx, Record{Action: ActionEnroll, Outcome: OutcomeFailed, Subject: r.Subject, Reason: err.Error()})
		return nil, fmt.Errorf("enroll for %q at %s: %w", t.CommonName, srv.URL, err)
	}
	meta := store.Meta{FriendlyName: r.FriendlyName, TemplateName: t.CommonName, TemplateOID: t.OID,
		PolicyServer: srv.ID, RequestID: resp.RequestID, PollURL: resp.Endpoint}
	pk.setMeta(&meta)
	res := &EnrollResult{Template: t.CommonName, Server: srv.ID, RequestID: resp.RequestID, Disposition: resp.Disposition}
	if resp.Pending() {
		e, err := tx.AddRequest(ctx, key, placeholderSubject(r.Subject, t.CommonName), meta)
		if err != nil {
			return nil, err
		}
		res.Status, res.Store, res.Thumbprint, res.Subject = StatusPending, string(store.Request), e.Thumbprint, e.Subject
		_ = c.record(cx, Record{Action: ActionEnroll, Outcome: OutcomePending, Thumbprint: e.Thumbprint,
			Subject: e.Subject, Reason: fmt.Sprintf("request %s: %s", resp.RequestID, resp.Disposition)})
		c.publish(cx, Event{Kind: StoreChanged, Store: string(store.Request), Thumbprint: e.Thumbprint})
		return res, nil
	}
	meta.PollURL = ""
	e, err := c.installTx(ctx, tx, resp.Certificate, resp.Chain, key, meta)
	if err != nil {
		return nil, err
	}
	res.Status, res.Store, res.Thumbprint, res.Subject, res.NotAfter = StatusIssued, string(store.My), e.Thumbprint, e.Subject, e.NotAfter
	res.KeyStorage = e.KeyStorage
	_ = c.record(cx, Record{Action: ActionEnroll, Outcome: OutcomeOK, Thumbprint: e.Thumbprint, Subject: e.Subject})
	if err := pk.keepCertificate(e.Certificate); err != nil {
		// Installed already: the store has the certificate, only the
		// token's copy is missing.
		_ = c.record(cx, Record{Action: ActionInstall, Outcome: OutcomeFailed, Thumbprint: e.Thumbprint, Subject: e.Subject, Reason: err.Error()})
	}
	c.publishIssued(ctx, s, e.Thumbprint)
	c.publish(cx, Event{Kind: StoreChanged, Store: string(store.My), Thumbprint: e.Thumbprint, Subject: e.Subject, NotAfter: e.NotAfter})
	return res, nil
}

// installTx puts an issued certificate with its key into My and the CA
// certificates of its verified chain into CA (issuedChain); the caller
// holds the lock. Roots are never added here: a root is trusted only when
// the person trusted it (server add -trust-ca, store import -trust-roots).
// Every path that stores a response's chain comes through here.
func (c *Core) installTx(ctx context.Context, tx *store.Tx, cert *x509.Certificate, chain []*x509.Certificate, key crypto.PrivateKey, meta store.Meta) (store.Entry, error) {
	s := tx.Store()
	keep, dropped, err := c.issuedChain(ctx, s, cert, chain)
	if err != nil {
		return store.Entry{}, err
	}
	// My first: a certificate that does not match its key (a broken
	// CA) must leave every store as it was.
	e, _, err := tx.Add(ctx, store.My, cert, key, meta)
	if err != nil {
		return store.Entry{}, fmt.Errorf("install the issued certificate: %w", err)
	}
	for _, ca := range keep {
		if _, _, err := tx.Add(ctx, store.CA, ca, nil, store.Meta{}); err != nil {
			return store.Entry{}, err
		}
	}
	if dropped > 0 {
		_ = c.record(s.Context(), Record{Action: ActionInstall, Outcome: OutcomeOK, Thumbprint: e.Thumbprint, Subject: e.Subject,
			Reason: fmt.Sprintf("%d certificate(s) of the response's chain not on the issued certificate's path to a trusted root were not stored", dropped)})
	}
	return e, nil
}

// issuedChain is the one rule for which certificates of a CA response's
// chain are stored into CA: only those on a verified path from the issued
// certificate cert to a trusted root (the system roots plus the context's
// Root store, as for TLS), that are CA certificates, are not cert itself
// and are not self-signed (roots are trusted only by the person). The
// path may also go through intermediates already in the CA store. The
// rest (an unrelated intermediate, a leaf, an old end-entity certificate,
// an untrusted root) is dropped and counted. When no path verifies,
// nothing is kept.
func (c *Core) issuedChain(ctx context.Context, s *store.Store, cert *x509.Certificate, chain []*x509.Certificate) (keep []*x509.Certificate, dropped int, err error) {
	if len(chain) == 0 {
		return nil, 0, nil
	}
	roots, err := c.rootPool(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	inters := x509.NewCertPool()
	for _, ca := range chain {
		inters.AddCert(ca)
	}
	// At now, or when cert starts if the CA's clock runs ahead of ours: a
	// few seconds of skew must not cost the intermediates.
	at := c.clock.Now()
	if at.Before(cert.NotBefore) {
		at = cert.NotBefore
	}
	onPath := pathCerts(cert, roots, inters, at)
	// Paths through the CA store can only add to onPath. When the chain
	// alone puts all of itself on a path, they change nothing, and the
	// CA store (a file per certificate) is not read.
	if !slices.ContainsFunc(chain, func(ca *x509.Certificate) bool { return !onPath[string(ca.Raw)] && !ca.Equal(cert) }) {
		return sortChain(cert, chain, onPath)
	}
	es, err := s.List(ctx, store.CA, store.ListOptions{})
	if err != nil {
		return nil, 0, err
	}
	for _, le := range es {
		if ge, err := s.Get(ctx, store.CA, le.Thumbprint); err == nil {
			inters.AddCert(ge.Certificate)
		}
	}
	return sortChain(cert, chain, pathCerts(cert, roots, inters, at))
}

// pathCerts returns the certificates above cert on its verified paths at
// time at, by their DER.
func pathCerts(cert *x509.Certificate, roots, inters *x509.CertPool, at time.Time) map[string]bool {
	onPath := map[string]bool{}
	paths, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err == nil {
		for _, p := range paths {
			for _, pc := range p[1:] {
				onPath[string(pc.Raw)] = true
			}
		}
	}
	return onPath
}

// sortChain is issuedChain's verdict on each certificate of chain, given
// the certificates on cert's verified paths.
func sortChain(cert *x509.Certificate, chain []*x509.Certificate, onPath map[string]bool) (keep []*x509.Certificate, dropped int, err error) {
	seen := map[string]bool{}
	for _, ca := range chain {
		if seen[string(ca.Raw)] || ca.Equal(cert) {
			continue
		}
		seen[string(ca.Raw)] = true
		if onPath[string(ca.Raw)] && ca.IsCA && !isSelfSigned(ca) {
			keep = append(keep, ca)
			continue
		}
		if !(onPath[string(ca.Raw)] && isSelfSigned(ca)) {
			dropped++ // a trusted root on the path is not a foreign certificate
		}
	}
	return keep, dropped, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return string(c.RawSubject) == string(c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

// keyNames maps the -key spellings to key types.
var keyNames = map[string]enroll.KeyType{
	"rsa2048": {Algorithm: x509.RSA, Bits: 2048}, "rsa3072": {Algorithm: x509.RSA, Bits: 3072},
	"rsa4096": {Algorithm: x509.RSA, Bits: 4096}, "p256": {Algorithm: x509.ECDSA, Bits: 256},
	"p384": {Algorithm: x509.ECDSA, Bits: 384},
}

// IsKeyName reports whether s is one of the -key spellings (rsa2048,
// rsa3072, rsa4096, p256, p384), so the command line can refuse a typo as
// bad usage before anything is opened.
func IsKeyName(s string) bool {
	_, ok := keyNames[strings.ToLower(s)]
	return ok
}

// keyOrder is keyNames weakest first within each algorithm.
var keyOrder = []string{"rsa2048", "rsa3072", "rsa4096", "p256", "p384"}

// KeyChoice is a key Enroll can make for a template: Name is its -key
// spelling (EnrollRequest.Key), Type what it is ("RSA 3072").
type KeyChoice struct {
	Name string
	Type enroll.KeyType
}

// AllKeys lists every key certdesk makes (RequestNew's choices), RSA then
// ECDSA, weakest first.
func AllKeys() []KeyChoice {
	out := make([]KeyChoice, len(keyOrder))
	for i, name := range keyOrder {
		out[i] = KeyChoice{Name: name, Type: keyNames[name]}
	}
	return out
}

// KeyChoices lists the keys Enroll accepts for t, the template's own
// first, then the stronger ones of the same algorithm; none when certdesk
// cannot make the template's key. The command line's -key and the GUI's
// key step both follow it.
func KeyChoices(t *enroll.Template) []KeyChoice {
	kt, err := t.KeyType()
	if err != nil {
		return nil
	}
	var out []KeyChoice
	for _, k := range AllKeys() {
		if allows(kt, k.Type) {
			out = append(out, k)
		}
	}
	return out
}

// allows reports whether key w may replace the template's key kt: the
// same algorithm, at least as strong.
func allows(kt, w enroll.KeyType) bool { return w.Algorithm == kt.Algorithm && w.Bits >= kt.Bits }

// Enrollable reports whether this person may enroll for t and certdesk
// can make its key: the templates the GUI's wizard offers and "certdesk
// templates" marks enroll.
func Enrollable(t *enroll.Template) bool {
	_, err := t.KeyType()
	return t.Usable() && err == nil
}

// UsableTemplates returns the templates of p that are Enrollable, in the
// policy's order.
func UsableTemplates(p *enroll.Policies) []enroll.Template {
	var out []enroll.Template
	for _, t := range p.Templates {
		if Enrollable(&t) {
			out = append(out, t)
		}
	}
	return out
}

// chooseKey returns the template's key, or the asked one when KeyChoices
// allows it: a CA refuses weaker keys (CERTSRV_E_KEY_LENGTH) and other
// algorithms (NTE_BAD_ALGID) anyway, but a clear sentence before the
// network is kinder.
func chooseKey(t *enroll.Template, want string) (enroll.KeyType, error) {
	kt, err := t.KeyType()
	if err != nil || want == "" {
		return kt, err
	}
	w, ok := keyNames[strings.ToLower(want)]
	switch {
	case !ok:
		return kt, fmt.Errorf("unknown key %q: use rsa2048, rsa3072, rsa4096, p256 or p384", want)
	case w.Algorithm != kt.Algorithm:
		return kt, fmt.Errorf("template %q asks for an %s key, not %s", t.CommonName, kt, w)
	case !allows(kt, w):
		return kt, fmt.Errorf("template %q asks for at least %s; %s is weaker", t.CommonName, kt, w)
	}
	return w, nil
}

// checkNames allows a subject and SANs only where the template lets the
// enrollee supply them, and validates them.
func checkNames(t *enroll.Template, subject string, dns []string) error {
	f := t.Flags
	if subject != "" {
		if !f.EnrolleeSuppliesSubject {
			return fmt.Errorf("template %q builds the subject itself; drop -subject", t.CommonName)
		}
		if _, err := enroll.ParseDN(subject); err != nil {
			return err // names the subject and why
		}
	}
	if len(dns) > 0 && !f.EnrolleeSuppliesSubjectAltName {
		return fmt.Errorf("template %q does not take DNS names from the request; drop -dns", t.CommonName)
	}
	for _, d := range dns {
		if err := enroll.CheckDNSName(d); err != nil {
			return err
		}
	}
	if f.EnrolleeSuppliesSubject && subject == "" && len(dns) == 0 {
		return fmt.Errorf("template %q needs a subject (-subject) or DNS names (-dns)", t.CommonName)
	}
	return nil
}

// parseSubject parses an RFC 4514 name (enroll.ParseDN); ok is false for
// an empty or unparsable one.
func parseSubject(dn string) (n pkix.Name, ok bool) {
	der, err := enroll.ParseDN(dn)
	if err != nil || dn == "" {
		return n, false
	}
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(der, &rdn); err != nil {
		return n, false
	}
	n.FillFromRDNSequence(&rdn)
	return n, true
}

// CommonName returns the common name of an RFC 4514 subject as the core's
// results, records and events carry it, or the subject itself when it has
// none or cannot be parsed: what a person calls the certificate.
func CommonName(dn string) string {
	if n, ok := parseSubject(dn); ok && n.CommonName != "" {
		return n.CommonName
	}
	return dn
}

// placeholderSubject is the subject of a pending request's placeholder:
// the requested one, else a name a person recognises in the Request store.
func placeholderSubject(dn, template string) pkix.Name {
	if n, ok := parseSubject(dn); ok {
		return n
	}
	return pkix.Name{CommonName: "certdesk request (" + template + ")"}
}
