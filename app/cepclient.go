package app

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// rootPool returns the roots a context trusts for TLS: the system pool
// (or Options.SystemRoots) plus the context's Root store.
func (c *Core) rootPool(ctx context.Context, s *store.Store) (*x509.CertPool, error) {
	pool, _, err := c.rootPoolWithExtra(ctx, s, nil)
	return pool, err
}

// rootPoolWithExtra is rootPool plus extra, and a digest of the roots
// added to the system pool, which names the pool in tlsKey.
func (c *Core) rootPoolWithExtra(ctx context.Context, s *store.Store, extra []*x509.Certificate) (*x509.CertPool, [sha256.Size]byte, error) {
	pool := c.systemRoots().Clone()
	digest := sha256.New()
	es, err := s.List(ctx, store.Root, store.ListOptions{})
	if err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	for _, e := range es {
		full, err := s.Get(ctx, store.Root, e.Thumbprint)
		if err != nil {
			return nil, [sha256.Size]byte{}, err
		}
		pool.AddCert(full.Certificate)
		digest.Write(full.Certificate.Raw)
	}
	for _, r := range extra {
		pool.AddCert(r)
		digest.Write(r.Raw)
	}
	return pool, [sha256.Size]byte(digest.Sum(nil)), nil
}

// credential is how one exchange authenticates.
type credential struct {
	user, password string
	cert           *tls.Certificate // TLS client certificate (key-based renewal)
	// hosts are where the password may go (checkPasswordHosts), for the
	// server with id server.
	hosts  []string
	server string
	// pin, if set, is the SHA-256 fingerprint of a CA every verified TLS
	// chain must hold (a managed server's CAPin).
	pin string
	// extraRoots are trusted for this exchange only (TestServer).
	extraRoots []*x509.Certificate
}

// clientCert makes the TLS client credential of a certificate and its key.
func clientCert(cert *x509.Certificate, key crypto.Signer) *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// client returns an enroll.Client for context s with the given credential:
// TLS against the context's roots at the core's clock, the core's timeout.
func (c *Core) client(ctx context.Context, s *store.Store, cred credential) (*enroll.Client, error) {
	hc, err := c.httpClient(ctx, s, cred)
	if err != nil {
		return nil, err
	}
	opts := []enroll.Option{enroll.WithClock(c.clock.Now), enroll.WithRandom(c.rand)}
	if cred.cert != nil {
		opts = append(opts, enroll.WithClientCertificate(*cred.cert)) // sets the client's AuthKind
	}
	if cred.user != "" {
		opts = append(opts, enroll.WithUsernamePassword(cred.user, cred.password))
	}
	return enroll.New(append(opts, enroll.WithHTTPClient(hc))...), nil
}

// httpClient is the HTTP client of every protocol for context s with
// credential cred: TLS 1.2+ against the context's roots (and
// cred.extraRoots) at the core's clock, cred.pin checked on every
// verified chain, cred.cert as TLS client certificate, a password only
// to cred.hosts (passwordGuard), the core's timeout. Without a client
// certificate its transport is the core's one for these roots and pin
// (transportFor), so the policy fetch and the request of an enrollment,
// and the enrollments after it, share a kept-alive connection rather than
// a handshake each. With one it is the exchange's own and keeps no
// connection: a credential's key may be closed after its exchange (a
// token's session), and a renewal loop over many certificates must not
// leave a connection and a key in memory for each.
func (c *Core) httpClient(ctx context.Context, s *store.Store, cred credential) (*http.Client, error) {
	roots, digest, err := c.rootPoolWithExtra(ctx, s, cred.extraRoots)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper
	if cred.cert != nil {
		t := newTransport(c.tlsConfig(roots, cred))
		t.DisableKeepAlives = true
		rt = t
	} else {
		rt = c.transportFor(tlsKey{roots: digest, pin: cred.pin}, func() *tls.Config {
			return c.tlsConfig(roots, cred)
		})
	}
	if cred.user != "" {
		rt = passwordGuard{next: rt, cred: cred}
	}
	return &http.Client{Timeout: c.timeout, Transport: rt}, nil
}

// tlsConfig is the TLS configuration of a credential against roots.
func (c *Core) tlsConfig(roots *x509.CertPool, cred credential) *tls.Config {
	tc := &tls.Config{
		RootCAs:    roots,
		MinVersion: tls.VersionTLS12,
		Time:       c.clock.Now,
		// IIS asks for the client certificate by renegotiation (docs/protocol-client.md).
		Renegotiation: tls.RenegotiateOnceAsClient,
	}
	if pin := cred.pin; pin != "" {
		tc.VerifyConnection = func(cs tls.ConnectionState) error { return checkPin(pin, cs.VerifiedChains) }
	}
	if cred.cert != nil {
		cert := cred.cert
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		enroll.CapForClientCertificate(tc)
	} else {
		// A later connection resumes the session instead of a full
		// handshake; Go checks the resumed session's chain against this
		// configuration's time and calls VerifyConnection again. Not with
		// a client certificate, whose IIS renegotiation happens after the
		// handshake.
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	return tc
}

// tlsKey names what the TLS configuration of a transport without a
// client certificate depends on besides the core itself: the trusted
// roots and the CA pin. Passwords travel inside the connection, not in
// TLS.
type tlsKey struct {
	roots [sha256.Size]byte
	pin   string
}

// maxTransports bounds the transports a core keeps; past it (roots or
// credentials changed that often) they are all closed and begun anew.
const maxTransports = 16

// transportFor returns the core's transport for key, made with the TLS
// configuration tc returns when there is none yet. Idle connections close
// after 90 seconds (IIS keeps them for 120).
func (c *Core) transportFor(key tlsKey, tc func() *tls.Config) *http.Transport {
	c.transportsMu.Lock()
	defer c.transportsMu.Unlock()
	if t := c.transports[key]; t != nil {
		return t
	}
	if len(c.transports) >= maxTransports {
		for _, t := range c.transports {
			t.CloseIdleConnections()
		}
		clear(c.transports)
	}
	if c.transports == nil {
		c.transports = map[tlsKey]*http.Transport{}
	}
	t := newTransport(tc())
	c.transports[key] = t
	return t
}

// newTransport is an HTTP transport with TLS configuration tc. A custom
// TLSClientConfig keeps it on HTTP/1.1, which renegotiation needs.
func newTransport(tc *tls.Config) *http.Transport {
	return &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment, IdleConnTimeout: 90 * time.Second,
		MaxIdleConnsPerHost: 4}
}

// serverCredential returns the credential for srv: password (the one given,
// else the saved one), or anonymous. Certificate auth needs the caller's
// certificate and is handled by renewal.
func (c *Core) serverCredential(ctx context.Context, s *store.Store, srv Server, password string) (cred credential, err error) {
	defer func() { cred.pin = srv.CAPin }()
	switch srv.Auth {
	case AuthPassword:
		if password == "" {
			p, err := c.Password(ctx, s.Context(), srv)
			if err != nil {
				return credential{}, err
			}
			password = p
		}
		return credential{user: srv.Username, password: password, hosts: srv.ConfirmedHosts(), server: srv.ID}, nil
	case AuthCertificate:
		if srv.ClientCert == "" {
			return credential{}, fmt.Errorf("server %s uses certificate authentication but names no certificate", srv.URL)
		}
		return c.certCredential(ctx, s, srv.ClientCert)
	}
	return credential{}, nil
}

// certCredential is the TLS client credential of a certificate in My.
func (c *Core) certCredential(ctx context.Context, s *store.Store, thumbprint string) (credential, error) {
	e, err := s.Get(ctx, store.My, thumbprint)
	if err != nil {
		return credential{}, err
	}
	// A key on a token needs its PIN here, given or saved (openToken).
	pk, err := c.entrySigner(ctx, s, store.My, e)
	if err != nil {
		return credential{}, err
	}
	return credential{cert: clientCert(e.Certificate, pk.signer)}, nil
}
