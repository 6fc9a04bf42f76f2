package enroll

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"sort"
	"sync/atomic"
	"time"
)

// Client talks to CEP and CES endpoints. It is safe for concurrent use and
// holds no state beyond its configuration and HTTP connection pool.
type Client struct {
	cfg config
	hc  *http.Client
}

// New returns a Client. Without authentication options it is anonymous.
func New(opts ...Option) *Client {
	cfg := config{now: time.Now, rand: rand.Reader, maxBody: DefaultMaxResponseSize, clientVersion: AllPolicyVersions, serverVersion: AllPolicyVersions}
	for _, o := range opts {
		o(&cfg)
	}
	hc := cfg.httpClient
	if hc == nil {
		tc := &tls.Config{
			RootCAs:    cfg.roots,
			MinVersion: tls.VersionTLS12,
			// IIS asks for the client certificate only after reading the
			// request, by TLS 1.2 renegotiation (docs/protocol-client.md).
			Renegotiation: tls.RenegotiateOnceAsClient,
		}
		if cfg.clientCert != nil {
			cert := cfg.clientCert
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
			CapForClientCertificate(tc)
		}
		// A custom TLSClientConfig keeps the transport on HTTP/1.1, which
		// renegotiation needs.
		hc = &http.Client{Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}
	}
	// A 307/308 would replay the body, password included, to wherever it
	// points (possibly plain http); CEP/CES never redirect, so never follow,
	// whoever built the HTTP client.
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc = &own
	return &Client{cfg: cfg, hc: hc}
}

// CapForClientCertificate limits tc to TLS 1.2 for a connection that
// authenticates with a client certificate. IIS asks for the certificate
// after reading the request; under TLS 1.3 http.sys cannot (no
// renegotiation, no post-handshake auth) and resets the connection (Server
// 2022) or answers 500 with 0x80070032 (Server 2025). TLS 1.2 with
// RenegotiateOnceAsClient works with both IIS settings, so certdesk caps
// rather than retrying at 1.2 after a reset, which cannot be told from a
// reset after the CA took the request (docs/protocol-client.md).
func CapForClientCertificate(tc *tls.Config) {
	tc.MaxVersion = tls.VersionTLS12
	tc.Renegotiation = tls.RenegotiateOnceAsClient
}

// AuthKind returns the clientAuthentication code this client satisfies.
func (c *Client) AuthKind() AuthKind {
	switch {
	case c.cfg.user != "":
		return AuthUsernamePassword
	case c.cfg.clientCert != nil:
		return AuthCertificate
	}
	return AuthAnonymous
}

// GetPolicies fetches the enrollment policy from a CEP URL. A non-zero
// lastUpdate lets the server answer policiesNotChanged; see PolicyCache.
func (c *Client) GetPolicies(ctx context.Context, cepURL string, lastUpdate time.Time) (*Policies, error) {
	body, date, err := c.post(ctx, cepURL, actionGetPolicies, getPoliciesBody(lastUpdate, c.cfg.clientVersion, c.cfg.serverVersion))
	if err != nil {
		return nil, err
	}
	p, err := ParsePolicies(body)
	if err == nil {
		p.Date = date
	}
	return p, err
}

// Endpoints returns the CES URIs that can serve t for the given auth kind,
// in priority order (lower first; nil last; ties keep document order).
// Renewal-only endpoints are included only for renewals (§6, §10.18); CAs
// that deny this caller enrollment (enrollPermission false, MS-XCEP
// 3.1.4.1.3.2) are skipped.
func (p *Policies) Endpoints(t *Template, kind AuthKind, renewal bool) []string {
	var uris []CESURI
	for _, ca := range p.CAs {
		if !ca.EnrollPermission || t != nil && len(t.CAReferences) > 0 && !slices.Contains(t.CAReferences, ca.ReferenceID) {
			continue
		}
		for _, u := range ca.URIs {
			if u.Auth == kind && (renewal || !u.RenewalOnly) && u.URI != "" {
				uris = append(uris, u)
			}
		}
	}
	prio := func(u CESURI) uint64 {
		if u.Priority == nil {
			return 1 << 32
		}
		return uint64(*u.Priority)
	}
	sort.SliceStable(uris, func(i, j int) bool { return prio(uris[i]) < prio(uris[j]) })
	out := make([]string, 0, len(uris))
	for _, u := range uris {
		if !slices.Contains(out, u.URI) {
			out = append(out, u.URI)
		}
	}
	return out
}

// failover calls try for each URI in turn (cepces only tries the first,
// issue #35) and moves on only where the request cannot have been
// processed: dial and TLS errors before it was sent, HTTP 503, and CA-side
// faults without a RequestID (Fault.failsOver). A denial, a fault with a
// RequestID, another 5xx and a missing answer after sending end the loop.
func failover(ctx context.Context, uris []string, try func(string) (*Response, error)) (*Response, error) {
	if len(uris) == 0 {
		return nil, ErrNoEndpoint
	}
	var errs []error
	for _, u := range uris {
		res, err := try(u)
		if err == nil || !retryable(ctx, err) {
			return res, err
		}
		errs = append(errs, err)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("%w (all %d enrollment servers failed)", errs[len(errs)-1], len(errs))
}

func retryable(ctx context.Context, err error) bool {
	var f *Fault
	var h *HTTPError
	switch {
	case ctx.Err() != nil, errors.Is(err, ErrNoAnswer), errors.Is(err, ErrInsecureCredentials):
		return false
	case errors.As(err, &f):
		return f.failsOver()
	case errors.As(err, &h):
		return h.StatusCode == http.StatusServiceUnavailable
	}
	var ue *url.Error
	return errors.As(err, &ue) || errors.As(err, new(*UntrustedServerError))
}

// post sends one SOAP request and returns the body of a 200 answer and the
// server's HTTP Date (zero if it sent none). A SOAP fault, whatever the
// status, becomes *Fault.
func (c *Client) post(ctx context.Context, endpoint, action, body string) ([]byte, time.Time, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, time.Time{}, fmt.Errorf("enroll: %q is not an http(s) URL", endpoint)
	}
	// HTTPS only (MS-WSTEP mandates it): over plain http neither the
	// server nor the policy it hands out could be verified.
	if u.Scheme != "https" {
		if c.cfg.user != "" {
			return nil, time.Time{}, ErrInsecureCredentials
		}
		return nil, time.Time{}, fmt.Errorf("enroll: %s is plain http; certdesk talks to CEP and CES only over verified HTTPS", endpoint)
	}
	id, err := newUUID(c.cfg.rand)
	if err != nil {
		return nil, time.Time{}, err
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + envelopeSize)
	writeEnvelope(&buf, header{action: action, messageID: "urn:uuid:" + id, to: endpoint,
		user: c.cfg.user, password: c.cfg.password, now: c.cfg.now()}, body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, &buf)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("enroll: %w", err)
	}
	// SOAP 1.2: the action travels in wsa:Action, no SOAPAction header (§10.5).
	req.Header.Set("Content-Type", contentType)
	// Whether the whole request went out decides failover: before that the
	// CA cannot have seen it.
	var sent atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { sent.Store(i.Err == nil) },
	}))
	resp, err := c.hc.Do(req)
	if err != nil {
		if ue := untrusted(endpoint, err); ue != nil {
			return nil, time.Time{}, ue
		}
		where := endpoint
		if timedOut(err) {
			where += " timed out"
		}
		if sent.Load() {
			return nil, time.Time{}, fmt.Errorf("%w (%s; it may have been processed, so it is not sent elsewhere): %w", ErrNoAnswer, where, err)
		}
		return nil, time.Time{}, fmt.Errorf("enroll: post to %s: %w", where, err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp, c.cfg.maxBody+1)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w (%s cut its answer short): %w", ErrNoAnswer, endpoint, err)
	}
	if int64(len(data)) > c.cfg.maxBody {
		return nil, time.Time{}, fmt.Errorf("%w (over %d bytes from %s)", ErrResponseTooLarge, c.cfg.maxBody, endpoint)
	}
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	if resp.StatusCode == http.StatusOK {
		return data, date, nil
	}
	// WCF answers faults with HTTP 500 and a SOAP body (§10.5).
	// Some proxies mislabel the body, so look for a fault whatever the type.
	if d, start, _, err := payload(data); err == nil && start.Name.Space == nsSOAP && start.Name.Local == "Fault" {
		err := decodeFault(d, start)
		if f, ok := err.(*Fault); ok && !date.IsZero() {
			f.Skew = date.Sub(c.cfg.now())
		}
		return nil, time.Time{}, err
	}
	return nil, time.Time{}, &HTTPError{URL: endpoint, StatusCode: resp.StatusCode, Status: resp.Status, Authenticate: resp.Header.Values("WWW-Authenticate")}
}

// envelopeSize is room for the SOAP envelope around a request's body:
// its header with WS-Security is about 1.3 KB.
const envelopeSize = 2 << 10

// readBody reads at most limit bytes of resp's body into one buffer sized
// from its Content-Length, when the server sent one within the limit.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n < limit {
		var buf bytes.Buffer
		buf.Grow(int(n) + bytes.MinRead)
		_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit))
		return buf.Bytes(), err
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// newUUID returns a random (version 4) UUID read from r.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("enroll: read random message id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// timedOut reports whether err is a deadline passing (the HTTP client's
// timeout or the caller's context), which Go words differently depending
// on where it struck.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
