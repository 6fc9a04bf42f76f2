// Package scep is certdesk's SCEP client (RFC 8894) as NDES and other
// SCEP servers speak it: GetCACaps, GetCACert with the CA pinned by
// fingerprint where TLS cannot vouch for it, PKIOperation (PKCSReq,
// RenewalReq, CertPoll) by POST where offered, and CertRep answers
// turned into *enroll.Response or a *FailError. Messages are CMS built
// with github.com/smallstep/pkcs7 (signing, decrypting) and this
// package's envelope (encrypting; docs/protocols.md says why).
package scep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/smallstep/pkcs7"
)

// maxResponse caps what a SCEP server may send.
const maxResponse = 1 << 20

// Errors of the client; test with errors.Is.
var (
	// ErrPinMismatch: GetCACert returned no CA with the pinned fingerprint.
	ErrPinMismatch = errors.New("scep: the server's CA does not match the pinned fingerprint")
	// ErrNotPinned: SCEP over plain http without a pinned CA.
	ErrNotPinned = errors.New("scep: plain http needs the CA pinned by its fingerprint")
	// ErrMalformed wraps answers that are not what RFC 8894 allows.
	ErrMalformed = errors.New("scep: the server's answer is malformed")
)

// Client talks to one SCEP URL (the NDES mscep.dll or another server's).
type Client struct {
	URL  string
	HTTP *http.Client
	// Pin is the SHA-256 (lower-case hex) of a certificate GetCACert must
	// return (the CA or a CA above it); required for http URLs.
	Pin string
	// Now is the clock certificates are checked at; nil is time.Now.
	Now func() time.Time
}

// Server is what GetCACaps and GetCACert told about the server: its
// capabilities, the CA, and the RA certificates to encrypt to and to
// expect signatures from (both the CA when it has no RA).
type Server struct {
	Caps      Caps
	CA        *x509.Certificate
	Encrypter *x509.Certificate
	Signer    *x509.Certificate
	// Certs is GetCACert's whole answer.
	Certs []*x509.Certificate
}

// Caps are the GetCACaps keywords certdesk uses.
type Caps struct {
	POST, Renewal, AES, DES3, SHA256, SHA512, SHA1 bool
	// Raw is every keyword the server listed, as sent.
	Raw []string
}

// ParseCaps reads a GetCACaps answer: one keyword a line, case ignored;
// SCEPStandard implies AES, SHA-256 and POSTPKIOperation (RFC 8894 §3.5.2).
func ParseCaps(data []byte) Caps {
	var c Caps
	for _, line := range strings.Split(string(data), "\n") {
		k := strings.TrimSpace(line)
		if k == "" {
			continue
		}
		c.Raw = append(c.Raw, k)
		switch strings.ToLower(k) {
		case "postpkioperation":
			c.POST = true
		case "renewal":
			c.Renewal = true
		case "aes":
			c.AES = true
		case "des3":
			c.DES3 = true
		case "sha-256":
			c.SHA256 = true
		case "sha-512":
			c.SHA512 = true
		case "sha-1":
			c.SHA1 = true
		case "scepstandard":
			c.AES, c.SHA256, c.POST = true, true, true
		}
	}
	return c
}

// Cipher is the strongest content encryption both sides have: AES-128-CBC
// for "AES", else triple DES for "DES3", else single DES (RFC 8894's
// floor).
func (c Caps) Cipher() Cipher {
	switch {
	case c.AES:
		return AES128CBC
	case c.DES3:
		return DES3CBC
	}
	return DESCBC
}

// Digest is the strongest message digest the server lists: SHA-512,
// SHA-256, else SHA-1 (the floor certdesk keeps; RFC 8894's is MD5).
func (c Caps) Digest() Digest {
	switch {
	case c.SHA512:
		return SHA512
	case c.SHA256:
		return SHA256
	}
	return SHA1
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Discover asks GetCACaps and GetCACert and checks the CA: over http it
// must match Pin, and with a Pin over https too; the RA certificates
// must chain to it. Nothing is sent to a server that fails this.
func (c *Client) Discover(ctx context.Context) (*Server, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("scep: %q is not an http(s) URL", c.URL)
	}
	if u.Scheme == "http" && c.Pin == "" {
		return nil, ErrNotPinned
	}
	caps, _, err := c.get(ctx, "GetCACaps", "")
	if err != nil {
		return nil, err
	}
	s, err := c.getCACert(ctx)
	if err != nil {
		return nil, err
	}
	s.Caps = ParseCaps(caps)
	if err := s.check(c.Pin, c.now()); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseCACert reads a GetCACert answer: one DER certificate
// (application/x-x509-ca-cert) or a certs-only PKCS#7 with the CA and its
// RA certificates (application/x-x509-ca-ra-cert), and picks the CA, the
// encryption RA (key encipherment) and the signing RA (digital signature).
func ParseCACert(data []byte, contentType string) (*Server, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var certs []*x509.Certificate
	if mt == "application/x-x509-ca-cert" {
		cert, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("%w: GetCACert: %v", ErrMalformed, err)
		}
		certs = []*x509.Certificate{cert}
	} else {
		p7, err := pkcs7.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%w: GetCACert: %v", ErrMalformed, err)
		}
		certs = p7.Certificates
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: GetCACert holds no certificate", ErrMalformed)
	}
	s := &Server{Certs: certs}
	var ras []*x509.Certificate
	for _, cert := range certs {
		if !cert.IsCA {
			ras = append(ras, cert)
		}
	}
	// The CA is the issuer of the RA certificates, else the CA that
	// issued none of the others (the issuing CA below any root).
	for _, cert := range certs {
		if !cert.IsCA {
			continue
		}
		if len(ras) > 0 && bytes.Equal(ras[0].RawIssuer, cert.RawSubject) {
			s.CA = cert
			break
		}
		if len(ras) == 0 && !issuesAny(cert, certs) {
			s.CA = cert
		}
	}
	if s.CA == nil {
		if len(ras) > 0 || len(certs) != 1 {
			return nil, fmt.Errorf("%w: GetCACert holds no CA certificate that issued its RA certificates", ErrMalformed)
		}
		s.CA = certs[0]
	}
	s.Encrypter, s.Signer = s.CA, s.CA
	for _, ra := range ras {
		if ra.KeyUsage&(x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment) != 0 && s.Encrypter == s.CA {
			s.Encrypter = ra
		}
		if ra.KeyUsage&x509.KeyUsageDigitalSignature != 0 && s.Signer == s.CA {
			s.Signer = ra
		}
	}
	if len(ras) > 0 && s.Encrypter == s.CA && s.Signer == s.CA {
		s.Encrypter, s.Signer = ras[0], ras[0] // an RA without key usage does both
	}
	return s, nil
}

// issuesAny reports whether ca issued another certificate of certs.
func issuesAny(ca *x509.Certificate, certs []*x509.Certificate) bool {
	for _, c := range certs {
		if c != ca && bytes.Equal(c.RawIssuer, ca.RawSubject) && !bytes.Equal(c.RawSubject, c.RawIssuer) {
			return true
		}
	}
	return false
}

// check verifies the pin and that the CA and RA certificates chain to
// the pinned certificate (or, unpinned, the RA certificates to the CA).
func (s *Server) check(pin string, now time.Time) error {
	anchor := s.CA
	if pin != "" {
		anchor = nil
		for _, cert := range s.Certs {
			sum := sha256.Sum256(cert.Raw)
			if hex.EncodeToString(sum[:]) == pin {
				anchor = cert
			}
		}
		if anchor == nil {
			return fmt.Errorf("%w (SHA-256 %s); nothing was sent", ErrPinMismatch, pin)
		}
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(anchor)
	for _, cert := range s.Certs {
		inters.AddCert(cert)
	}
	for _, cert := range []*x509.Certificate{s.CA, s.Encrypter, s.Signer} {
		if cert.Equal(anchor) {
			continue
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return fmt.Errorf("%w: %s does not chain to the CA: %v", ErrMalformed, cert.Subject, err)
		}
	}
	return nil
}

// HTTPError is a SCEP server's answer other than 200.
type HTTPError struct {
	Operation string
	Status    string
	Code      int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("scep: %s: the server answered %s", e.Operation, e.Status)
}

// Unwrap makes 401 and 403 enroll.ErrCredentialsRefused.
func (e *HTTPError) Unwrap() error {
	if e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden {
		return enroll.ErrCredentialsRefused
	}
	return nil
}

// get sends a GET operation (message base64 when set) and returns the
// body and its content type.
func (c *Client) get(ctx context.Context, op, message string) ([]byte, string, error) {
	q := url.Values{"operation": {op}}
	if message != "" {
		q.Set("message", message)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.withQuery(q), nil)
	if err != nil {
		return nil, "", err
	}
	return c.do(req, op)
}

// pkiOperation sends a PKIMessage by POST where offered, else by GET.
func (c *Client) pkiOperation(ctx context.Context, s *Server, msg []byte) ([]byte, error) {
	var data []byte
	var ctype string
	var err error
	if s.Caps.POST {
		req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, c.withQuery(url.Values{"operation": {"PKIOperation"}}), bytes.NewReader(msg))
		if rerr != nil {
			return nil, rerr
		}
		req.Header.Set("Content-Type", "application/x-pki-message")
		data, ctype, err = c.do(req, "PKIOperation")
	} else {
		data, ctype, err = c.get(ctx, "PKIOperation", base64.StdEncoding.EncodeToString(msg))
	}
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(ctype); mt != "application/x-pki-message" {
		return nil, fmt.Errorf("%w: PKIOperation answered %q, not application/x-pki-message", ErrMalformed, ctype)
	}
	return data, nil
}

func (c *Client) withQuery(q url.Values) string {
	u, _ := url.Parse(c.URL)
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) do(req *http.Request, op string) ([]byte, string, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("scep: %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", &HTTPError{Operation: op, Status: resp.Status, Code: resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, "", fmt.Errorf("scep: %s: %w", op, err)
	}
	if len(data) > maxResponse {
		return nil, "", fmt.Errorf("scep: %s: %w", op, enroll.ErrResponseTooLarge)
	}
	return data, resp.Header.Get("Content-Type"), nil
}
