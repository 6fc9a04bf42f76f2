package app

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// rootPool returns the roots a context trusts for TLS: the system pool
// (or Options.SystemRoots) plus the context's Root store.
func (c *Core) rootPool(ctx context.Context, s *store.Store) (*x509.CertPool, error) {
	pool := c.systemRoots().Clone()
	es, err := s.List(ctx, store.Root, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		full, err := s.Get(ctx, store.Root, e.Thumbprint)
		if err != nil {
			return nil, err
		}
		pool.AddCert(full.Certificate)
	}
	return pool, nil
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
// to cred.hosts (passwordGuard), the core's timeout.
func (c *Core) httpClient(ctx context.Context, s *store.Store, cred credential) (*http.Client, error) {
	roots, err := c.rootPool(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, r := range cred.extraRoots {
		roots.AddCert(r)
	}
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
	}
	var rt http.RoundTripper = &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}
	if cred.user != "" {
		rt = passwordGuard{next: rt, cred: cred}
	}
	return &http.Client{Timeout: c.timeout, Transport: rt}, nil
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
	// A key on a token would need its PIN here: entrySigner says so.
	pk, err := c.entrySigner(ctx, s, store.My, e, "")
	if err != nil {
		return credential{}, err
	}
	return credential{cert: clientCert(e.Certificate, pk.signer)}, nil
}
