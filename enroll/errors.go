package enroll

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
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
)

// HTTPError is a non-200 HTTP answer that carries no SOAP fault.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
}

// Error reports the status, or the refused credentials for 401 and 403.
func (e *HTTPError) Error() string {
	if e.credentials() {
		return fmt.Sprintf("enroll: the server refused these credentials (%s at %s)", e.Status, e.URL)
	}
	return fmt.Sprintf("enroll: %s answered %s", e.URL, e.Status)
}

func (e *HTTPError) credentials() bool { return e.StatusCode == 401 || e.StatusCode == 403 }

// Unwrap returns ErrCredentialsRefused for 401 and 403.
func (e *HTTPError) Unwrap() error {
	if e.credentials() {
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
	Err     error
}

// Error names the untrusted certificate's subject and issuer.
func (e *UntrustedServerError) Error() string {
	return fmt.Sprintf("enroll: the server's certificate is not trusted: %s presented %q issued by %q", e.URL, e.Subject, e.Issuer)
}

// Unwrap returns the TLS verification error.
func (e *UntrustedServerError) Unwrap() error { return e.Err }

// untrusted converts a TLS verification failure into *UntrustedServerError.
func untrusted(url string, err error) error {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) && len(cv.UnverifiedCertificates) > 0 {
		c := cv.UnverifiedCertificates[0]
		return &UntrustedServerError{URL: url, Subject: c.Subject.String(), Issuer: c.Issuer.String(), Err: err}
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) && ua.Cert != nil {
		return &UntrustedServerError{URL: url, Subject: ua.Cert.Subject.String(), Issuer: ua.Cert.Issuer.String(), Err: err}
	}
	return nil
}
