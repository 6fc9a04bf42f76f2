package enroll

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"time"
)

// DefaultMaxResponseSize caps response bodies. A GetPolicies answer with
// hundreds of templates stays well under it.
const DefaultMaxResponseSize = 4 << 20

// Option configures a Client.
type Option func(*config)

type config struct {
	roots          *x509.CertPool
	clientCert     *tls.Certificate
	user, password string
	httpClient     *http.Client
	now            func() time.Time
	rand           io.Reader
	maxBody        int64
	clientVersion  int
	serverVersion  int
}

// WithRootCAs sets the roots that server certificates must chain to; nil
// means the system roots.
func WithRootCAs(pool *x509.CertPool) Option { return func(c *config) { c.roots = pool } }

// WithUsernamePassword authenticates with a WS-Security UsernameToken
// (clientAuthentication 4). The password travels in clear inside TLS, so the
// client refuses http:// URLs.
func WithUsernamePassword(user, password string) Option {
	return func(c *config) { c.user, c.password = user, password }
}

// WithClientCertificate presents cert in the TLS handshake
// (clientAuthentication 8), e.g. the certificate being renewed.
func WithClientCertificate(cert tls.Certificate) Option {
	return func(c *config) { c.clientCert = &cert }
}

// WithHTTPClient replaces the HTTP client; WithRootCAs and
// WithClientCertificate then have no effect on TLS.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithClock sets the clock used for WS-Security timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRandom sets the source for message ids (tests pass a fixed one).
func WithRandom(r io.Reader) Option { return func(c *config) { c.rand = r } }

// WithMaxResponseSize overrides DefaultMaxResponseSize.
func WithMaxResponseSize(n int64) Option { return func(c *config) { c.maxBody = n } }

// AllPolicyVersions is the clientVersion and serverVersion GetPolicies
// sends by default: the largest value the 4-bit fields of privateKeyFlags
// can hold. MS-XCEP 3.1.4.1.3.22 returns templates whose minimum versions
// are at most these, so 15 shows every template; servers that took 0 as
// "no filter" (cepces #74) show every template for 15 too. 0 would hide
// every template marked for a newer Windows on a server following the spec.
const AllPolicyVersions = 0xF

// WithPolicyVersions sets the clientVersion and serverVersion sent in
// GetPolicies (default AllPolicyVersions for both).
func WithPolicyVersions(client, server int) Option {
	return func(c *config) { c.clientVersion, c.serverVersion = client, server }
}
