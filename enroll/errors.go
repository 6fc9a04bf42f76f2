package enroll

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrDenied is wrapped by a *Fault whose InvalidRequest is true: the CA
	// (or its manager) denied the request.
	ErrDenied = errors.New("enroll: the CA denied the request")
	// ErrCredentialsRefused is wrapped by *HTTPError for HTTP 401 and 403.
	ErrCredentialsRefused = errors.New("enroll: the server refused these credentials")
	// ErrInsecureCredentials is returned instead of sending a password over
	// plain http.
	ErrInsecureCredentials = errors.New("enroll: refusing to send a password over plain http")
	// ErrMalformed is wrapped by errors about responses that are not
	// well-formed XML or are cut short.
	ErrMalformed = errors.New("enroll: the server's response is not well-formed XML")
	// ErrResponseTooLarge is returned when a response exceeds the size cap.
	ErrResponseTooLarge = errors.New("enroll: the server's response is too large")
	// ErrKeyMismatch is returned when an issued certificate does not
	// certify the key the request was made for.
	ErrKeyMismatch = errors.New("enroll: the issued certificate does not certify the requested key")
	// ErrNoEndpoint is returned when no CES URI fits the request.
	ErrNoEndpoint = errors.New("enroll: no enrollment server fits this template and authentication")
	// ErrKerberosRequired is wrapped by *HTTPError for a 401 whose
	// WWW-Authenticate offers only Negotiate, Kerberos or NTLM.
	ErrKerberosRequired = errors.New("enroll: this endpoint needs Kerberos (Windows integrated authentication), which certdesk does not speak; use the server's UsernamePassword or Certificate endpoint")
	// ErrClockSkew is wrapped by a *Fault whose WS-Security rejection is
	// explained by the clocks differing by MaxClockSkew or more.
	ErrClockSkew = errors.New("enroll: this computer's clock differs too much from the server's")
	// ErrNoAnswer is wrapped by errors after the request was sent in full
	// but no answer came (reset, timeout): the CA may have processed it, so
	// the request is not sent to another CES.
	ErrNoAnswer = errors.New("enroll: the server received the request but sent no answer")
)

// HTTPError is a non-200 HTTP answer that carries no SOAP fault.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
	// Authenticate holds the WWW-Authenticate headers of a 401.
	Authenticate []string
}

// Error reports the status, the refused credentials for 401 and 403, or
// that a 401 endpoint accepts only Kerberos.
func (e *HTTPError) Error() string {
	switch {
	case e.kerberos():
		return fmt.Sprintf("enroll: %s needs Kerberos (it offers only %s), which certdesk does not speak; use the server's UsernamePassword or Certificate endpoint", e.URL, strings.Join(e.Authenticate, ", "))
	case e.credentials():
		return fmt.Sprintf("enroll: the server refused these credentials (%s at %s)", e.Status, e.URL)
	}
	return fmt.Sprintf("enroll: %s answered %s", e.URL, e.Status)
}

func (e *HTTPError) credentials() bool { return e.StatusCode == 401 || e.StatusCode == 403 }

// kerberos reports a 401 whose challenges are all Windows integrated
// authentication: IIS with only "Windows Authentication" enabled sends
// "Negotiate" and "NTLM", never "Basic".
func (e *HTTPError) kerberos() bool {
	if e.StatusCode != 401 || len(e.Authenticate) == 0 {
		return false
	}
	for _, h := range e.Authenticate {
		scheme, _, _ := strings.Cut(strings.TrimSpace(h), " ")
		switch strings.ToLower(scheme) {
		case "negotiate", "kerberos", "ntlm":
		default:
			return false
		}
	}
	return true
}

// Unwrap returns ErrKerberosRequired for a Kerberos-only 401, else
// ErrCredentialsRefused for 401 and 403.
func (e *HTTPError) Unwrap() error {
	switch {
	case e.kerberos():
		return ErrKerberosRequired
	case e.credentials():
		return ErrCredentialsRefused
	}
	return nil
}

// UntrustedServerError reports a server certificate that does not chain to
// the configured roots. Subject and Issuer name the server's certificate.
type UntrustedServerError struct {
	URL     string
	Subject string
	Issuer  string
	// SHA1 is set when a certificate of the chain is signed with SHA-1,
	// which crypto/x509 no longer accepts whatever the roots.
	SHA1 bool
	Err  error
}

// Error names the untrusted certificate's subject and issuer, or explains
// a SHA-1 signature.
func (e *UntrustedServerError) Error() string {
	if e.SHA1 {
		return fmt.Sprintf("enroll: %s presented a certificate chain signed with SHA-1 (%q issued by %q), which certdesk refuses as browsers do; the administrator must reissue the server's TLS certificate, and any SHA-1-signed CA certificate above it, with SHA-256", e.URL, e.Subject, e.Issuer)
	}
	return fmt.Sprintf("enroll: the server's certificate is not trusted: %s presented %q issued by %q", e.URL, e.Subject, e.Issuer)
}

// Unwrap returns the TLS verification error.
func (e *UntrustedServerError) Unwrap() error { return e.Err }

// untrusted converts a TLS verification failure into *UntrustedServerError.
func untrusted(url string, err error) error {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) && len(cv.UnverifiedCertificates) > 0 {
		c := cv.UnverifiedCertificates[0]
		return &UntrustedServerError{URL: url, Subject: c.Subject.String(), Issuer: c.Issuer.String(), SHA1: sha1Signed(err, cv.UnverifiedCertificates), Err: err}
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) && ua.Cert != nil {
		return &UntrustedServerError{URL: url, Subject: ua.Cert.Subject.String(), Issuer: ua.Cert.Issuer.String(), Err: err}
	}
	return nil
}

// sha1Signed reports whether verification failed over a SHA-1 signature.
// crypto/x509 reports it as InsecureAlgorithmError only for the leaf; for a
// CA certificate it becomes an UnknownAuthorityError hint, so the presented
// certificates are checked too (a self-signed root's own signature is
// never checked, so a SHA-1 root alone is fine).
func sha1Signed(err error, chain []*x509.Certificate) bool {
	var ia x509.InsecureAlgorithmError
	if errors.As(err, &ia) {
		return true
	}
	for _, c := range chain {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			continue
		}
		switch c.SignatureAlgorithm {
		case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
			return true
		}
	}
	return false
}
