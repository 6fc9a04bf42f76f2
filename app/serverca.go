package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/certdesk/certdesk/enroll/scep"
	"github.com/certdesk/certdesk/store"
)

// ServerCA fetches the CA certificate a SCEP or EST server that is not
// registered yet names, for the person to compare its SHA-256
// (Fingerprint) with the one the administrator gave before it becomes the
// server's pin (ServerOptions.CAFingerprint). Nothing but the request for
// it is sent, no credential, and nothing is saved. For EST it is the root
// of /cacerts (RFC 7030 4.1.1 bootstrap: the TLS certificate is not yet
// verified); for SCEP the CA that GetCACert names.
func (c *Core) ServerCA(ctx context.Context, cx store.Context, o ServerOptions) (*x509.Certificate, error) {
	proto, err := ParseProtocol(string(o.Protocol))
	if err != nil {
		return nil, err
	}
	switch proto {
	case ProtocolEST:
		if err := CheckServerURL(o.URL, false); err != nil {
			return nil, err
		}
		cas, err := c.estBootstrapCACerts(ctx, o.URL)
		if err != nil {
			return nil, err
		}
		return caToPin(cas), nil
	case ProtocolSCEP:
		if err := checkProtocolURL(proto, o.URL, false, true); err != nil {
			return nil, err
		}
		s, err := c.Store(cx)
		if err != nil {
			return nil, err
		}
		hc, err := c.httpClient(ctx, s, credential{})
		if err != nil {
			return nil, err
		}
		return (&scep.Client{URL: o.URL, HTTP: hc, Now: c.clock.Now}).FetchCA(ctx)
	}
	return nil, errors.New("a CEP server is trusted through its TLS certificate; there is no CA fingerprint to confirm")
}

// caToPin chooses the certificate of a CA list to pin: its self-signed
// root when it has one (it outlives the issuing CAs), else the first.
func caToPin(cas []*x509.Certificate) *x509.Certificate {
	for _, ca := range cas {
		if isSelfSigned(ca) {
			return ca
		}
	}
	return cas[0]
}

// TrustServerCA puts the pinned CA of a SCEP or EST server (its CAPin,
// whose fingerprint the person compared with the administrator's) into
// the context's Root store, as "server add -ca-file F -trust-ca" does, so
// that issued chains build and renewals can verify their successor. The
// CA is fetched again and must match the pin, or nothing is trusted.
func (c *Core) TrustServerCA(ctx context.Context, cx store.Context, ref string) (Server, error) {
	srv, err := c.Server(cx, ref)
	if err != nil {
		return Server{}, err
	}
	if srv.Managed {
		return Server{}, fmt.Errorf("server %s %w", srv.URL, ErrManagedServer)
	}
	if srv.CAPin == "" {
		return Server{}, fmt.Errorf("server %s has no pinned CA to trust", srv.URL)
	}
	var ca *x509.Certificate
	if srv.Protocol == ProtocolEST {
		ca, err = c.estAnchor(ctx, srv.URL, srv.CAPin)
	} else if ca, err = c.ServerCA(ctx, cx, ServerOptions{URL: srv.URL, Protocol: srv.Protocol}); err == nil && Fingerprint(ca) != srv.CAPin {
		err = fmt.Errorf("the CA of %s does not match the pinned SHA-256 fingerprint %s; nothing was trusted", srv.URL, srv.CAPin)
	}
	if err != nil {
		return Server{}, err
	}
	s, err := c.Store(cx)
	if err != nil {
		return Server{}, err
	}
	if _, _, err := s.Add(ctx, store.Root, ca, nil, store.Meta{FriendlyName: "CA of " + srv.URL}); err != nil {
		return Server{}, err
	}
	srv.TrustedCA = store.Thumbprint(ca.Raw)
	err = c.updateServers(ctx, cx, func(list []Server) ([]Server, error) {
		for i := range list {
			if list[i].ID == srv.ID {
				list[i].TrustedCA = srv.TrustedCA
			}
		}
		return list, nil
	})
	return srv, err
}
