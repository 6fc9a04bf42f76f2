package app

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// Protocol is how certdesk enrolls with a server (docs/protocols.md).
type Protocol string

// The enrollment protocols. A server without one in servers.json is CEP.
const (
	ProtocolCEP  Protocol = "cep"  // MS-XCEP policy and MS-WSTEP enrollment (AD CS CEP/CES)
	ProtocolSCEP Protocol = "scep" // RFC 8894, as NDES speaks it
	ProtocolEST  Protocol = "est"  // RFC 7030
)

// ParseProtocol is the one check of a protocol name: "" is CEP (what
// servers.json held before servers had a protocol), the rest must be one
// of cep, scep or est.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(strings.ToLower(s)); p {
	case "", ProtocolCEP:
		return ProtocolCEP, nil
	case ProtocolSCEP, ProtocolEST:
		return p, nil
	}
	return "", fmt.Errorf("unknown protocol %q: use cep, scep or est", s)
}

// ParseFingerprint normalises a SHA-256 fingerprint of a CA certificate's
// DER: colons, spaces and case are ignored; the result is 64 lower-case
// hex digits (Server.CAPin). It is the one parser of -ca-fingerprint and
// of the managed file's caFingerprint.
func ParseFingerprint(s string) (string, error) {
	pin := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(s))
	if b, err := hex.DecodeString(pin); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%q is not a SHA-256 fingerprint (64 hex digits)", s)
	}
	return pin, nil
}

// Fingerprint is the SHA-256 fingerprint of a certificate's DER as
// ParseFingerprint returns it.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// checkProtocolURL is CheckServerURL for a server of protocol p: SCEP may
// also use plain http (as NDES usually does), but only with its CA
// pinned and without a password, since nothing else could tell the
// person's CA from an impostor's; the challenge then travels only inside
// the message encrypted to the pinned CA's RA.
func checkProtocolURL(p Protocol, raw string, password, pinned bool) error {
	if p != ProtocolSCEP {
		return CheckServerURL(raw, password)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil {
		return CheckServerURL(raw, password)
	}
	switch {
	case password:
		return fmt.Errorf("%s: %w", raw, enroll.ErrInsecureCredentials)
	case !pinned:
		return fmt.Errorf("%s is plain http: SCEP over http needs the CA certificate's SHA-256 fingerprint (-ca-fingerprint), checked with the CA's administrator", raw)
	}
	return nil
}

// protocolClient is the seam every protocol but CEP plugs into. The core
// keeps CEP's own paths (failover over the policy's CES endpoints, key-
// based renewal, QueryTokenStatus) and asks a protocolClient the same
// questions for SCEP and EST: what the server offers, as a policy with
// synthetic templates, so that template and key choice, key storage, the
// wizard, templates, pulse, history, hooks and publishing work unchanged;
// and the enroll, renew and poll operations, answered as an
// *enroll.Response (pending when Certificate is nil; Endpoint is where to
// poll, Meta.PollURL).
type protocolClient interface {
	// offer fetches what the server offers.
	offer(ctx context.Context) (*enroll.Policies, error)
	// enroll sends a new request; challenge is a one-time password some
	// protocols carry (SCEP), never stored.
	enroll(ctx context.Context, r enroll.Request, challenge string) (*enroll.Response, error)
	// renew sends a renewal authenticated by the old certificate and key
	// (r.OldCert, r.OldKey). The client was made with them as the TLS
	// client credential too; a protocol that must not present them (SCEP)
	// drops them in its constructor.
	renew(ctx context.Context, r enroll.RenewalRequest) (*enroll.Response, error)
	// poll asks about a pending request.
	poll(ctx context.Context, p pendingRequest) (*enroll.Response, error)
}

// pendingRequest is what a protocol may need to poll a request waiting in
// the Request store.
type pendingRequest struct {
	ID          string            // Meta.RequestID: the CA's id (SCEP: the transaction id)
	Key         crypto.Signer     // the request's key
	Placeholder *x509.Certificate // self-signed with Key, the request's subject
}

// protocolClientFor returns the client of srv's protocol with credential
// cred. CEP has none: its paths are the core's own.
func (c *Core) protocolClientFor(ctx context.Context, s *store.Store, srv Server, cred credential) (protocolClient, error) {
	switch srv.Protocol {
	case ProtocolSCEP:
		return c.scepClient(ctx, s, srv, cred)
	case ProtocolEST:
		return c.estClientFor(s, srv, cred), nil
	}
	return nil, fmt.Errorf("server %s: certdesk cannot speak %q", srv.URL, srv.Protocol)
}

// isCEP reports whether srv speaks CEP/CES (the default).
func (srv Server) isCEP() bool { return srv.Protocol == "" || srv.Protocol == ProtocolCEP }

// offerCache fetches what a non-CEP server offers as a policy cache
// entry: a full answer each time, since these protocols have no
// lastUpdate.
func (c *Core) offerCache(ctx context.Context, s *store.Store, srv Server, cred credential, url string) (enroll.PolicyCache, error) {
	pcl, err := c.protocolClientFor(ctx, s, srv, cred)
	if err != nil {
		return enroll.PolicyCache{}, err
	}
	p, err := pcl.offer(ctx)
	if err != nil {
		return enroll.PolicyCache{}, err
	}
	return enroll.PolicyCache{Format: enroll.PolicyCacheFormat, URL: url, Policies: p, Fetched: c.clock.Now(), Full: true}, nil
}

// pollProtocol polls a pending request of a non-CEP server at the
// server's own URL (never one an answer named), with the request's key.
func (c *Core) pollProtocol(ctx context.Context, s *store.Store, srv Server, e store.Entry) (*enroll.Response, error) {
	if e.Meta.PollURL != srv.URL {
		return nil, fmt.Errorf("request %s: %s is not the address of server %s; not polled (enroll again)", e.Meta.RequestID, e.Meta.PollURL, srv.URL)
	}
	cred, err := c.serverCredential(ctx, s, srv, "")
	if err != nil {
		return nil, err
	}
	pcl, err := c.protocolClientFor(ctx, s, srv, cred)
	if err != nil {
		return nil, err
	}
	if e, err = s.Get(ctx, store.Request, e.Thumbprint); err != nil { // with its placeholder
		return nil, err
	}
	pk, err := c.entrySigner(ctx, s, store.Request, e)
	if err != nil {
		return nil, err
	}
	defer pk.close()
	return pcl.poll(ctx, pendingRequest{ID: e.Meta.RequestID, Key: pk.signer, Placeholder: e.Certificate})
}
