package app

import (
	"context"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/scep"
	"github.com/certdesk/certdesk/store"
)

// SCEPTemplate is the name of the one synthetic template a SCEP server
// offers: SCEP has no templates; the server (NDES: its registry) picks
// the profile.
const SCEPTemplate = "SCEP"

// scepProtocol is the protocolClient of a SCEP server (enroll/scep).
type scepProtocol struct {
	c  *Core
	cl *scep.Client
	// user and password, of a password server, fetch a challenge from
	// NDES's mscep_admin page when the person gave none.
	user, password string
}

// scepClient makes the SCEP client of srv. The pin is checked on the CA
// GetCACert returns, not on the TLS chain, which may well be a public
// CA's. A renewal is authenticated by its signature alone: the old
// certificate is not offered over TLS (its EKU may not allow it).
func (c *Core) scepClient(ctx context.Context, s *store.Store, srv Server, cred credential) (protocolClient, error) {
	cred.pin, cred.cert = "", nil
	hc, err := c.httpClient(ctx, s, cred)
	if err != nil {
		return nil, err
	}
	return &scepProtocol{c: c, cl: &scep.Client{URL: srv.URL, HTTP: hc, Pin: srv.CAPin, Now: c.clock.Now},
		user: cred.user, password: cred.password}, nil
}

// offer is one template, RSA 2048 or stronger (SCEP encrypts the answer
// to the request's key), subject and DNS names from the person, and the
// server's CA.
func (p *scepProtocol) offer(ctx context.Context) (*enroll.Policies, error) {
	s, err := p.cl.Discover(ctx)
	if err != nil {
		return nil, err
	}
	name := s.CA.Subject.CommonName
	return &enroll.Policies{PolicyID: "scep:" + p.cl.URL, FriendlyName: name,
		Templates: []enroll.Template{{CommonName: SCEPTemplate, Enroll: true, MinimalKeyLength: 2048, CAReferences: []int{0},
			Flags: enroll.Flags{EnrolleeSuppliesSubject: true, EnrolleeSuppliesSubjectAltName: true, Exportable: true}}},
		CAs: []enroll.CA{{ReferenceID: 0, Certificate: s.CA.Raw, EnrollPermission: true,
			URIs: []enroll.CESURI{{Auth: enroll.AuthAnonymous, URI: p.cl.URL}}}},
	}, nil
}

func (p *scepProtocol) enroll(ctx context.Context, r enroll.Request, challenge string) (*enroll.Response, error) {
	subject, err := enroll.ParseDN(r.Subject)
	if err != nil {
		return nil, err
	}
	if admin := scep.AdminURL(p.cl.URL); challenge == "" && p.user != "" && admin != "" {
		// Only after the CA passed the pin check: the password goes to
		// the SCEP server's own host (the transport's password guard).
		if _, err := p.cl.Discover(ctx); err != nil {
			return nil, err
		}
		if challenge, err = scep.FetchChallenge(ctx, p.cl.HTTP, admin, p.user, p.password); err != nil {
			return nil, err
		}
	}
	csr, err := enroll.NewProtocolCSR(p.c.rand, r.Key, subject, r.DNSNames, challenge)
	if err != nil {
		return nil, err
	}
	return p.send(ctx, scep.Request{CSR: csr, Key: r.Key})
}

// renew asks for the old certificate's names with the new key, signed by
// the old certificate and key.
func (p *scepProtocol) renew(ctx context.Context, r enroll.RenewalRequest) (*enroll.Response, error) {
	csr, err := enroll.NewProtocolCSR(p.c.rand, r.NewKey, r.OldCert.RawSubject, r.OldCert.DNSNames, "")
	if err != nil {
		return nil, err
	}
	return p.send(ctx, scep.Request{CSR: csr, Key: r.NewKey, OldCert: r.OldCert, OldKey: r.OldKey})
}

func (p *scepProtocol) send(ctx context.Context, r scep.Request) (*enroll.Response, error) {
	s, err := p.cl.Discover(ctx)
	if err != nil {
		return nil, err
	}
	return p.cl.Enroll(ctx, s, r)
}

func (p *scepProtocol) poll(ctx context.Context, r pendingRequest) (*enroll.Response, error) {
	s, err := p.cl.Discover(ctx)
	if err != nil {
		return nil, err
	}
	return p.cl.Poll(ctx, s, r.ID, r.Key, r.Placeholder, r.Placeholder.RawSubject)
}
