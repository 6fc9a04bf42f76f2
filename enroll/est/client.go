package est

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/certdesk/certdesk/enroll"
)

// WellKnown is the path prefix of every EST operation (RFC 7030 3.2.2).
const WellKnown = "/.well-known/est"

// Limits on what a server may send.
const (
	// MaxResponseBytes caps a response body; a longer one is refused.
	MaxResponseBytes = 1 << 20
	// MinRetryAfter and MaxRetryAfter bound a pending answer's Retry-After:
	// a server cannot make certdesk poll in a loop, nor wait for a year.
	MinRetryAfter = 10 * time.Second
	MaxRetryAfter = 7 * 24 * time.Hour
	// DefaultRetryAfter is used when a 202 names no usable Retry-After.
	DefaultRetryAfter = time.Hour
	// maxErrorText is how much of a server's error body an error quotes.
	maxErrorText = 200
)

// The operations of RFC 7030 3.2.2 that certdesk uses.
const (
	opCACerts   = "cacerts"
	opEnroll    = "simpleenroll"
	opReenroll  = "simplereenroll"
	opCSRAttrs  = "csrattrs"
	contentP7   = "application/pkcs7-mime"
	contentP10  = "application/pkcs10"
	contentAttr = "application/csrattrs"
)

// Errors of the client; test with errors.Is.
var (
	// ErrPlainHTTP is returned for an http:// server URL: EST runs over
	// TLS only, and certdesk never sends a password or a request in clear.
	ErrPlainHTTP = errors.New("EST runs over TLS only: use an https:// URL")
	// ErrBadResponse is wrapped by errors about answers that are not what
	// the operation returns (wrong content type, not base64, not PKCS#7).
	ErrBadResponse = errors.New("the EST server's answer is not a valid EST response")
)

// Client talks to one EST server. Its zero value is not usable; use New.
type Client struct {
	base      string // https://host[:port]/.well-known/est
	label     string
	hc        *http.Client
	user, pwd string
	basic     bool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client: its transport carries the TLS
// configuration (roots, a client certificate for TLS client
// authentication) and its timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithBasicAuth sends HTTP basic authentication with every enrollment.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) { c.user, c.pwd, c.basic = user, password, true }
}

// WithLabel addresses the CA label (RFC 7030 3.2.2) instead of the one the
// server URL names, if any.
func WithLabel(label string) Option { return func(c *Client) { c.label = label } }

// New returns a client of the EST server at serverURL: an https URL whose
// path is empty, /.well-known/est, or /.well-known/est/<label>.
func New(serverURL string, opts ...Option) (*Client, error) {
	base, label, err := SplitURL(serverURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, label: label, hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	if err := CheckLabel(c.label); err != nil {
		return nil, err
	}
	hc := *c.hc
	hc.CheckRedirect = sameOrigin
	c.hc = &hc
	return c, nil
}

// sameOrigin follows a redirection only within the server's origin
// (scheme, host and port), as RFC 7030 3.2.1 asks: a password or a
// request never follows a server's answer elsewhere, nor to http.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if len(via) >= 5 {
		return errors.New("EST: the server redirected too many times")
	}
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return fmt.Errorf("EST: %s redirected to %s, another origin; not followed", first.Redacted(), req.URL.Redacted())
	}
	return nil
}

// SplitURL checks an EST server URL and returns its base
// (https://host[:port][/prefix]/.well-known/est) and the label it names
// ("" for none). A URL without the well-known path gets it appended.
func SplitURL(raw string) (base, label string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("%q is not an EST server URL (https://host/.well-known/est)", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		return "", "", fmt.Errorf("%s: %w", u.Redacted(), ErrPlainHTTP)
	default:
		return "", "", fmt.Errorf("%q is not an EST server URL (https://host/.well-known/est)", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("%s: an EST server URL carries no user name, query or fragment", u.Redacted())
	}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	if i := strings.Index(strings.ToLower(p), WellKnown); i >= 0 {
		rest := p[i+len(WellKnown):]
		p = p[:i]
		if rest != "" {
			if !strings.HasPrefix(rest, "/") || strings.Contains(rest[1:], "/") {
				return "", "", fmt.Errorf("%s: after %s only a label may follow", raw, WellKnown)
			}
			label = rest[1:]
		}
	}
	if err := CheckLabel(label); err != nil {
		return "", "", err
	}
	return "https://" + u.Host + p + WellKnown, label, nil
}

// CheckLabel accepts a CA label: 1 to 64 letters, digits, '.', '_', '~'
// or '-', and not an operation name.
func CheckLabel(label string) error {
	if label == "" {
		return nil
	}
	if len(label) > 64 {
		return fmt.Errorf("the EST label %q is longer than 64 characters", label)
	}
	for _, r := range label {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~-", r)) {
			return fmt.Errorf("the EST label %q may hold only letters, digits, '.', '_', '~' and '-'", label)
		}
	}
	switch strings.ToLower(label) {
	case opCACerts, opEnroll, opReenroll, opCSRAttrs, "serverkeygen", "fullcmc":
		return fmt.Errorf("the EST label %q is an operation name", label)
	}
	return nil
}

// Label returns the CA label the client addresses ("" for the default CA).
func (c *Client) Label() string { return c.label }

// URL returns the URL of an operation.
func (c *Client) URL(op string) string {
	if c.label != "" {
		return c.base + "/" + c.label + "/" + op
	}
	return c.base + "/" + op
}

// Result is the answer to an enrollment: the certificate, or pending.
type Result struct {
	// Certificate certifies the request's key; nil while pending.
	Certificate *x509.Certificate
	// Chain holds the response's other certificates, untrusted.
	Chain []*x509.Certificate
	// RetryAfter is when to send the same request again (pending only),
	// bounded by MinRetryAfter and MaxRetryAfter.
	RetryAfter time.Duration
}

// Pending reports whether the server has not issued the certificate yet
// (202 Accepted): send the same request again after RetryAfter.
func (r *Result) Pending() bool { return r.Certificate == nil }

// CACerts fetches the CA certificates (/cacerts). The answer is not
// authenticated beyond TLS: the caller compares them with a pin or the
// trust the person confirmed.
func (c *Client) CACerts(ctx context.Context) ([]*x509.Certificate, error) {
	resp, body, err := c.do(ctx, http.MethodGet, opCACerts, "", nil, false)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(opCACerts, resp, body)
	}
	return c.certsOnly(opCACerts, resp, body)
}

// certsOnly reads a 200 answer of op that carries certificates.
func (c *Client) certsOnly(op string, resp *http.Response, body []byte) ([]*x509.Certificate, error) {
	if err := checkType(resp, contentP7); err != nil {
		return nil, c.badResponse(op, err)
	}
	certs, err := ParseCertsOnly(body)
	if err != nil {
		return nil, c.badResponse(op, err)
	}
	return certs, nil
}

// Enroll sends a PKCS#10 request (DER) to /simpleenroll.
func (c *Client) Enroll(ctx context.Context, csr []byte) (*Result, error) {
	return c.enroll(ctx, opEnroll, csr)
}

// Reenroll sends a PKCS#10 request (DER) to /simplereenroll; the TLS
// client certificate (in the HTTP client's transport) is the certificate
// being renewed, which authenticates the request (RFC 7030 4.2.2).
func (c *Client) Reenroll(ctx context.Context, csr []byte) (*Result, error) {
	return c.enroll(ctx, opReenroll, csr)
}

func (c *Client) enroll(ctx context.Context, op string, csr []byte) (*Result, error) {
	req, err := x509.ParseCertificateRequest(csr)
	if err != nil {
		return nil, fmt.Errorf("EST %s: the request is not a PKCS#10: %w", op, err)
	}
	resp, body, err := c.do(ctx, http.MethodPost, op, contentP10, encodeBase64(csr), c.basic)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusAccepted:
		return &Result{RetryAfter: retryAfter(resp.Header.Get("Retry-After"), resp.Header.Get("Date"))}, nil
	case http.StatusOK:
	default:
		return nil, c.statusError(op, resp, body)
	}
	certs, err := c.certsOnly(op, resp, body)
	if err != nil {
		return nil, err
	}
	return pickIssued(certs, req)
}

// pickIssued finds the certificate of certs that certifies the request's
// key; the others are the chain.
func pickIssued(certs []*x509.Certificate, req *x509.CertificateRequest) (*Result, error) {
	pub, ok := req.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil, fmt.Errorf("EST: the request's key type %T is not supported", req.PublicKey)
	}
	res := &Result{}
	for _, cert := range certs {
		if res.Certificate == nil && pub.Equal(cert.PublicKey) {
			res.Certificate = cert
			continue
		}
		res.Chain = append(res.Chain, cert)
	}
	if res.Certificate == nil {
		return nil, enroll.ErrKeyMismatch
	}
	return res, nil
}

// CSRAttrs fetches what the server wants in a request (/csrattrs). A
// server that has nothing to say (204 No Content or 404) gives an empty
// CSRAttrs.
func (c *Client) CSRAttrs(ctx context.Context) (*CSRAttrs, error) {
	resp, body, err := c.do(ctx, http.MethodGet, opCSRAttrs, "", nil, c.basic)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNoContent, http.StatusNotFound:
		return &CSRAttrs{}, nil
	default:
		return nil, c.statusError(opCSRAttrs, resp, body)
	}
	if err := checkType(resp, contentAttr); err != nil {
		return nil, c.badResponse(opCSRAttrs, err)
	}
	der, err := decodeBase64(body)
	if err != nil {
		return nil, c.badResponse(opCSRAttrs, err)
	}
	a, err := ParseCSRAttrs(der)
	if err != nil {
		return nil, c.badResponse(opCSRAttrs, err)
	}
	return a, nil
}

// do sends one request and reads the answer's body up to
// MaxResponseBytes.
func (c *Client) do(ctx context.Context, method, op, contentType string, body []byte, auth bool) (*http.Response, []byte, error) {
	u := c.URL(op)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("EST %s: %w", op, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Transfer-Encoding", "base64")
	}
	if auth {
		if req.URL.Scheme != "https" { // New refuses http; a belt for the braces
			return nil, nil, fmt.Errorf("%s: %w", u, ErrPlainHTTP)
		}
		req.SetBasicAuth(c.user, c.pwd)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("EST %s at %s: %w", op, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("EST %s at %s: reading the answer: %w", op, u, err)
	}
	if len(data) > MaxResponseBytes {
		return nil, nil, fmt.Errorf("EST %s at %s: %w (more than %d bytes)", op, u, enroll.ErrResponseTooLarge, MaxResponseBytes)
	}
	return resp, data, nil
}

// Error is an EST server's refusal: an HTTP status other than 200 and 202,
// with the start of its text. 401 and 403 unwrap to
// enroll.ErrCredentialsRefused; other 4xx but 404, 405, 408, 413 and 429
// are the CA refusing the request and unwrap to enroll.ErrDenied.
type Error struct {
	Op         string
	URL        string
	StatusCode int
	Status     string
	Text       string // the start of the server's text/plain body, if any
}

// Error says what the server answered, with its text.
func (e *Error) Error() string {
	s := fmt.Sprintf("EST %s at %s: the server answered %s", e.Op, e.URL, e.Status)
	switch {
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		s = fmt.Sprintf("EST %s at %s: the server refused these credentials (%s)", e.Op, e.URL, e.Status)
	case e.denied():
		s = fmt.Sprintf("EST %s at %s: the server refused the request (%s)", e.Op, e.URL, e.Status)
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

func (e *Error) denied() bool {
	switch e.StatusCode {
	case 404, 405, 408, 413, 429:
		return false
	}
	return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != 401 && e.StatusCode != 403
}

// Unwrap classifies the refusal for enroll.Permanent and the callers.
func (e *Error) Unwrap() error {
	switch {
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		return enroll.ErrCredentialsRefused
	case e.denied():
		return enroll.ErrDenied
	}
	return nil
}

func (c *Client) statusError(op string, resp *http.Response, body []byte) error {
	e := &Error{Op: op, URL: c.URL(op), StatusCode: resp.StatusCode, Status: resp.Status}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && mt == "text/plain" {
		e.Text = errorText(body)
	}
	return e
}

// errorText is the first line of a server's error text, cut short; the
// caller's output escapes it (it is hostile).
func errorText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > maxErrorText {
		s = string(r[:maxErrorText]) + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

func (c *Client) badResponse(op string, err error) error {
	return fmt.Errorf("EST %s at %s: %w: %v", op, c.URL(op), ErrBadResponse, err)
}

// checkType checks the answer's media type (parameters such as
// smime-type are not needed to parse it).
func checkType(resp *http.Response, want string) error {
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.EqualFold(mt, want) {
		return fmt.Errorf("content type %q, not %s", ct, want)
	}
	return nil
}

// retryAfter reads Retry-After, seconds or an HTTP date (against the
// answer's own Date when it has one), bounded to [MinRetryAfter,
// MaxRetryAfter]; anything else is DefaultRetryAfter.
func retryAfter(v, date string) time.Duration {
	v = strings.TrimSpace(v)
	d := DefaultRetryAfter
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(n, 0), int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		now := time.Now()
		if dt, err := http.ParseTime(date); err == nil {
			now = dt
		}
		d = t.Sub(now)
	}
	return min(max(d, MinRetryAfter), MaxRetryAfter)
}
