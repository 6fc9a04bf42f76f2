package testca

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallstep/pkcs7"
)

// PathEST is the path prefix of the EST endpoint (RFC 7030 3.2.2):
// /.well-known/est[/<label>]/<operation>. A label names a template;
// without one, ESTDefaultTemplate.
const PathEST = "/.well-known/est"

// ESTDefaultTemplate is the template of the EST endpoint without a label:
// a device certificate for TLS server and client authentication, whose
// subject and DNS names the request supplies. GetPolicies does not list it.
const ESTDefaultTemplate = "Device"

// estTemplate returns the Device template.
func estTemplate(c Config) *Template {
	return withEKUOIDs(&Template{Name: ESTDefaultTemplate, OID: templateOID(100), Schema: 2, MajorRevision: 100, MinorRevision: 1,
		Validity: c.Validity, RenewalPeriod: c.Validity / 8, MinKeyBits: 2048, KeySpec: 1,
		PrivateKeyFlag: PrivateKeyExportable, SubjectFlags: SubjectEnrolleeSupplies | SubjectEnrolleeSuppliesSAN,
		EKUs: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		estOnly: true})
}

// ESTRealm is the realm of the EST endpoint's basic authentication.
const ESTRealm = "certdesk testca EST"

// ESTRetryAfter is the Retry-After, in seconds, of a pending EST answer.
const ESTRetryAfter = 60

// ESTFault selects a fault of the EST endpoint only
// (Server.SetESTFault), beside the general Fault and delay, which apply
// to EST as well.
type ESTFault int32

// EST faults.
const (
	ESTFaultNone        ESTFault = iota // answer normally
	ESTFaultContentType                 // a 200 answer is labelled text/html
	ESTFaultNotBase64                   // a 200 answer's body is not base64
	ESTFaultNotPKCS7                    // a 200 answer's body is base64 of something else than PKCS#7
	ESTFaultHugeBody                    // a 200 answer's body is 2 MiB of base64
	ESTFaultRetryAfter                  // a pending answer's Retry-After is 10^12 seconds
)

// estState is the EST fault of a server.
type estState struct {
	fault atomic.Int32
	mu    sync.Mutex        // serialises EST submissions
	open  map[string]string // estKey → id of an uncollected EST request
}

// SetESTFault selects the EST-only fault injected from now on.
func (s *Server) SetESTFault(f ESTFault) { s.est.fault.Store(int32(f)) }

// ESTURL returns the EST base URL, https://127.0.0.1:port/.well-known/est.
func (s *Server) ESTURL() string { return s.base + PathEST }

// serveEST answers the EST endpoint; it reports false for other paths.
func (s *Server) serveEST(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	if len(p) < len(PathEST) || !strings.EqualFold(p[:len(PathEST)], PathEST) {
		return false
	}
	segs := strings.Split(strings.TrimPrefix(p[len(PathEST):], "/"), "/")
	label, op := "", segs[len(segs)-1]
	switch len(segs) {
	case 1:
	case 2:
		label = segs[0]
	default:
		http.NotFound(w, r)
		return true
	}
	t := s.ca.template(ESTDefaultTemplate)
	if label != "" {
		if t = s.ca.template(label); t == nil {
			http.NotFound(w, r)
			return true
		}
	}
	fault, delay := s.inject.get()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return true
		}
	}
	if fault == FaultHTTP500 {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return true
	}
	switch strings.ToLower(op) {
	case "cacerts":
		if !estMethod(w, r, http.MethodGet) {
			return true
		}
		s.estCerts(w, fault, s.ca.issuing, s.ca.root)
	case "csrattrs":
		if !estMethod(w, r, http.MethodGet) {
			return true
		}
		if _, ok := s.estAuth(w, r, false); ok {
			s.estWrite(w, "application/csrattrs", estCSRAttrs(t), fault)
		}
	case "simpleenroll", "simplereenroll":
		s.estEnroll(w, r, t, op == "simplereenroll", fault)
	default:
		http.NotFound(w, r)
	}
	return true
}

func estMethod(w http.ResponseWriter, r *http.Request, m string) bool {
	if r.Method != m {
		w.Header().Set("Allow", m)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

// estAuth authenticates a request: a TLS client certificate of this CA,
// or HTTP basic authentication of an account (never over plain HTTP).
// certOnly (re-enrollment) wants the certificate. It answers 401 itself.
func (s *Server) estAuth(w http.ResponseWriter, r *http.Request, certOnly bool) (account string, ok bool) {
	if leaf := s.clientCertificate(r); leaf != nil {
		if a, err := s.ca.authClientCert(leaf); err == nil {
			return a, true
		}
	}
	if !certOnly && r.TLS != nil {
		if user, pw, has := r.BasicAuth(); has {
			want, known := s.ca.cfg.Users[user]
			if known && subtle.ConstantTimeCompare([]byte(pw), []byte(want)) == 1 {
				return user, true
			}
		}
	}
	if certOnly {
		http.Error(w, "re-enrollment needs the current certificate as TLS client certificate", http.StatusUnauthorized)
		return "", false
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="`+ESTRealm+`"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
	return "", false
}

// estEnroll answers /simpleenroll and /simplereenroll: 200 with the
// certificate, 202 with Retry-After while pending (the client sends the
// same request again), 400 with the CA's reason when refused.
func (s *Server) estEnroll(w http.ResponseWriter, r *http.Request, t *Template, renew bool, fault Fault) {
	if !estMethod(w, r, http.MethodPost) {
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/pkcs10" {
		http.Error(w, "unsupported media type: want application/pkcs10", http.StatusUnsupportedMediaType)
		return
	}
	account, ok := s.estAuth(w, r, renew)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	der, err := estBase64(body)
	var csr *x509.CertificateRequest
	if err == nil {
		csr, err = x509.ParseCertificateRequest(der)
	}
	if err == nil {
		err = checkCSRSignature(csr) // SHA-1 too, as RFC 7030's own example is
	}
	if err != nil {
		http.Error(w, "the request is not a base64 PKCS#10 with a valid signature", http.StatusBadRequest)
		return
	}
	var old *x509.Certificate
	if renew {
		old = s.clientCertificate(r)
		if !bytes.Equal(csr.RawSubject, old.RawSubject) {
			http.Error(w, "a re-enrollment request must repeat the subject of the current certificate", http.StatusBadRequest)
			return
		}
	}
	rec, err := s.estSubmit(csr, t, account, old, fault == FaultWrongKey)
	var ce *Error
	switch {
	case errors.As(err, &ce) && ce.Code == CertsrvTemplateDenied:
		http.Error(w, ce.Reason, http.StatusForbidden)
		return
	case errors.As(err, &ce):
		http.Error(w, ce.Reason, http.StatusBadRequest)
		return
	case err != nil:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	switch rec.Status {
	case StatusPending:
		ra := strconv.Itoa(ESTRetryAfter)
		if s.est.fault.Load() == int32(ESTFaultRetryAfter) {
			ra = "1000000000000"
		}
		w.Header().Set("Retry-After", ra)
		w.WriteHeader(http.StatusAccepted)
		return
	case StatusDenied:
		http.Error(w, "request "+rec.ID+" was denied: "+rec.Reason, http.StatusBadRequest)
		return
	}
	cert, err := x509.ParseCertificate(rec.Cert)
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	certs := []*x509.Certificate{cert}
	if fault == FaultForeignChain {
		fs, err := s.ca.foreignCerts()
		if err != nil {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		certs = append(certs, fs...)
	}
	s.estCerts(w, fault, certs...)
}

// estSubmit finds the EST request this one repeats (the same key, the
// same operation, not yet collected) or records a new one after the CA's
// checks, issuing or pending it.
func (s *Server) estSubmit(csr *x509.CertificateRequest, t *Template, account string, old *x509.Certificate, wrongKey bool) (*Request, error) {
	s.est.mu.Lock()
	defer s.est.mu.Unlock()
	ca, key := s.ca, estKey(csr, old != nil)
	if prev, err := s.estRepeat(key); err != nil || prev != nil {
		return prev, err
	}
	if old != nil {
		if err := ca.verifyIssued(old, ca.now()); err != nil {
			return nil, err
		}
	} else if !ca.allowed(t, account) {
		return nil, caError(CertsrvTemplateDenied, "The account %s may not enroll for %s.", account, t.Name)
	}
	if err := keyCheck(t, csr.PublicKey); err != nil {
		return nil, err
	}
	if _, san := requestSAN(csr); t.enrolleeSubject() && old == nil && len(csr.Subject.Names) == 0 && !san {
		return nil, caError(CertsrvBadRequestSubject, "The request needs a subject or alternative names for %s.", t.Name)
	}
	r := &Request{Status: StatusPending, Template: t.Name, Requester: account, Submitted: ca.now(), CSR: csr.Raw, EST: true}
	if old != nil {
		r.Renewal = old.Raw
	}
	// A re-enrollment authenticated by a valid certificate of the CA is
	// approved by it; a first request of a pending template waits.
	if !ca.cfg.Pending && (old != nil || !t.pends()) {
		var err error
		if r.Cert, err = ca.certify(r, wrongKey); err != nil {
			return nil, err
		}
		r.Status, r.Collected = StatusIssued, true
	}
	if err := ca.db.create(r); err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	if !r.Collected {
		s.est.open[key] = r.ID
	}
	return r, nil
}

// estKey identifies the requests a repeat may be of: the same key, the
// same operation.
func estKey(csr *x509.CertificateRequest, renewal bool) string {
	return fmt.Sprint(renewal, string(csr.RawSubjectPublicKeyInfo))
}

// estRepeat returns the uncollected EST request of key, marking an issued
// or denied one collected; nil if none. The first call reads the request
// database once (requests pending from before a restart); the caller
// holds s.est.mu.
func (s *Server) estRepeat(key string) (*Request, error) {
	if s.est.open == nil {
		ids, err := s.ca.db.ids()
		if err != nil {
			return nil, err
		}
		s.est.open = map[string]string{}
		for _, id := range ids {
			r, err := s.ca.db.get(strconv.Itoa(id))
			if err != nil || !r.EST || r.Collected {
				continue
			}
			if csr, err := x509.ParseCertificateRequest(r.CSR); err == nil {
				s.est.open[estKey(csr, r.Renewal != nil)] = r.ID
			}
		}
	}
	id, ok := s.est.open[key]
	if !ok {
		return nil, nil
	}
	r, err := s.ca.db.get(id)
	if errors.Is(err, ErrUnknownRequest) {
		delete(s.est.open, key)
		return nil, nil
	}
	if err != nil || r.Status == StatusPending {
		return r, err
	}
	delete(s.est.open, key)
	return s.ca.db.update(id, func(r *Request) error { r.Collected = true; return nil })
}

// estCerts answers a certs-only PKCS#7, base64 (RFC 7030 4.1.3, 4.2.3).
func (s *Server) estCerts(w http.ResponseWriter, fault Fault, certs ...*x509.Certificate) {
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	p7, err := pkcs7.DegenerateCertificate(raw)
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	s.estWrite(w, "application/pkcs7-mime; smime-type=certs-only", p7, fault)
}

// estWrite writes a 200 answer as base64 wrapped at 64 columns, or what
// the EST fault makes of it.
func (s *Server) estWrite(w http.ResponseWriter, contentType string, der []byte, fault Fault) {
	body := estWrap(base64.StdEncoding.EncodeToString(der))
	switch ESTFault(s.est.fault.Load()) {
	case ESTFaultContentType:
		contentType = "text/html"
	case ESTFaultNotBase64:
		body = "<html><body>It works!</body></html>"
	case ESTFaultNotPKCS7:
		body = estWrap(base64.StdEncoding.EncodeToString([]byte("certainly not a PKCS#7 message")))
	case ESTFaultHugeBody:
		body = estWrap(base64.StdEncoding.EncodeToString(make([]byte, 3<<19)))
	}
	if fault == FaultMalformed {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Transfer-Encoding", "base64")
	io.WriteString(w, body)
}

func estWrap(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\r\n")
		s = s[64:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// estBase64 decodes a base64 request body with line breaks anywhere.
func estBase64(body []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
}

// estCSRAttrs is the CsrAttrs of a template (RFC 7030 4.5.2, with the
// key size as RFC 8951's clarification allows): the key algorithm as an
// attribute (id-ecPublicKey with the curve, or rsaEncryption with the
// minimal size) and the signature algorithm as a bare OID.
func estCSRAttrs(t *Template) []byte {
	type attr struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	var key attr
	var sig asn1.ObjectIdentifier
	if t.ECDSA {
		curve, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})
		key = attr{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, []asn1.RawValue{{FullBytes: curve}}}
		sig = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	} else {
		bits, _ := asn1.Marshal(max(t.MinKeyBits, 2048))
		key = attr{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, []asn1.RawValue{{FullBytes: bits}}}
		sig = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	}
	k, _ := asn1.Marshal(key)
	o, _ := asn1.Marshal(sig)
	out, _ := asn1.Marshal([]asn1.RawValue{{FullBytes: k}, {FullBytes: o}})
	return out
}
