package app

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// RequestOutcome is what became of one pending request at a poll. Its JSON
// form appears in "certdesk request status -json" and in pulse's report.
type RequestOutcome struct {
	Request    string  `json:"request"` // thumbprint of the placeholder in Request
	RequestID  string  `json:"requestID"`
	Subject    string  `json:"subject"`
	Outcome    Outcome `json:"outcome"`              // ok (installed), pending, denied, failed
	Thumbprint string  `json:"thumbprint,omitempty"` // the installed certificate
	Reason     string  `json:"reason,omitempty"`
}

// renewalOf is the friendly-name prefix of a pending renewal's placeholder;
// the old certificate's thumbprint follows. It is what the person sees in
// the Request store, and how the core knows what to archive on issuance.
const renewalOf = "renewal of "

// RequestStatus polls every pending request of context cx that came from
// a policy server (QueryTokenStatus). Issued certificates are installed
// into My and their Request entry removed; denied requests lose their key
// and the history records the CA's reason. Pulse calls it too.
func (c *Core) RequestStatus(ctx context.Context, cx store.Context) ([]RequestOutcome, error) {
	_, tx, err := c.lock(ctx, cx)
	if err != nil {
		return nil, err
	}
	defer tx.Unlock()
	return c.pollAll(ctx, tx)
}

// pollAll is RequestStatus for a caller holding the context lock.
func (c *Core) pollAll(ctx context.Context, tx *store.Tx) ([]RequestOutcome, error) {
	s := tx.Store()
	es, err := s.List(ctx, store.Request, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []RequestOutcome
	for _, e := range es {
		if e.Meta.RequestID == "" || e.Meta.PollURL == "" || e.Meta.PolicyServer == "" {
			continue // offline requests wait for "request accept"
		}
		out = append(out, c.poll(ctx, tx, e))
	}
	return out, nil
}

// poll asks the CA about one pending request and acts on the answer.
func (c *Core) poll(ctx context.Context, tx *store.Tx, e store.Entry) RequestOutcome {
	s := tx.Store()
	cx := s.Context()
	o := RequestOutcome{Request: e.Thumbprint, RequestID: e.Meta.RequestID, Subject: e.Subject}
	fail := func(err error) RequestOutcome {
		o.Outcome, o.Reason = OutcomeFailed, err.Error()
		_ = c.record(cx, Record{Action: ActionPoll, Outcome: OutcomeFailed, Thumbprint: e.Thumbprint, Subject: e.Subject, Reason: o.Reason})
		return o
	}
	resp, err := c.pollCES(ctx, s, e)
	// Decide by what came back, not by status texts (docs/core.md, pending requests):
	// a fault that denies, a pending answer, or a certificate.
	switch {
	case errors.Is(err, enroll.ErrDenied):
		// The key of a denied request is useless: remove it, as certreq does.
		if err := tx.Purge(ctx, store.Request, e.Thumbprint); err != nil {
			return fail(err)
		}
		reason := err.Error() // another protocol's denial says it all
		if f := (*enroll.Fault)(nil); errors.As(err, &f) {
			reason = f.Reason
		}
		o.Outcome, o.Reason = OutcomeDenied, reason
		if old, ok := strings.CutPrefix(e.Meta.FriendlyName, renewalOf); ok {
			// A denied renewal is not asked again by every pulse.
			c.markDenied(s, old, reason)
		}
		_ = c.record(cx, Record{Action: ActionDeny, Outcome: OutcomeDenied, Thumbprint: e.Thumbprint, Subject: e.Subject,
			Reason: fmt.Sprintf("request %s denied: %s", e.Meta.RequestID, reason)})
		c.publish(cx, Event{Kind: StoreChanged, Store: string(store.Request), Thumbprint: e.Thumbprint})
		return o
	case err != nil:
		return fail(err)
	case resp.Pending():
		o.Outcome = OutcomePending
		_ = c.record(cx, Record{Action: ActionPoll, Outcome: OutcomePending, Thumbprint: e.Thumbprint, Subject: e.Subject, Reason: resp.Disposition})
		return o
	}
	ne, err := c.acceptIssued(ctx, tx, e, resp.Certificate, resp.Chain)
	if err != nil {
		return fail(err)
	}
	o.Outcome, o.Thumbprint, o.Subject = OutcomeOK, ne.Thumbprint, ne.Subject
	return o
}

// pollCES sends QueryTokenStatus with the server's credential to the CES
// URI the request was submitted to (Meta.PollURL, from the answer's
// Endpoint), never to a URL an answer named.
func (c *Core) pollCES(ctx context.Context, s *store.Store, e store.Entry) (*enroll.Response, error) {
	srv, err := c.Server(s.Context(), e.Meta.PolicyServer)
	if err != nil {
		return nil, err
	}
	if !srv.isCEP() {
		return c.pollProtocol(ctx, s, srv, e)
	}
	if !knownCES(s, srv, e.Meta.PollURL) {
		// An older certdesk stored the URL a pending answer named; the
		// credential is not sent there.
		return nil, fmt.Errorf("request %s: %s is not a CES of server %s; not polled (enroll again)", e.Meta.RequestID, e.Meta.PollURL, srv.URL)
	}
	var cred credential
	if old, ok := strings.CutPrefix(e.Meta.FriendlyName, renewalOf); ok {
		// A pending key-based renewal is polled as it was asked: with
		// the certificate being renewed, so no password is needed.
		cred, err = c.certCredential(ctx, s, old)
		cred.pin = srv.CAPin
	} else {
		cred, err = c.serverCredential(ctx, s, srv, "")
	}
	if err != nil {
		return nil, err
	}
	if err := checkPasswordHosts(cred, []string{e.Meta.PollURL}); err != nil {
		return nil, err
	}
	cl, err := c.client(ctx, s, cred)
	if err != nil {
		return nil, err
	}
	return cl.Poll(ctx, e.Meta.PollURL, e.Meta.RequestID)
}

// knownCES reports whether u is a CES URI that srv's cached policies
// (the password CEP's and the key-based renewal CEP's) name: the only
// places a request can have been submitted to.
func knownCES(s *store.Store, srv Server, u string) bool {
	for _, id := range []string{srv.ID, srv.ID + "-kbr"} {
		pc, err := readPolicyCache(s, id)
		if err != nil || pc.Policies == nil {
			continue
		}
		for _, ca := range pc.Policies.CAs {
			for _, ces := range ca.URIs {
				if ces.URI == u {
					return true
				}
			}
		}
	}
	return false
}

// acceptIssued installs cert (issued for the key waiting in Request entry
// req) into My, then removes the Request entry; a pending renewal is
// finished like an immediate one (retire, then the deploy hooks). The key
// is matched by store.Add.
func (c *Core) acceptIssued(ctx context.Context, tx *store.Tx, req store.Entry, cert *x509.Certificate, chain []*x509.Certificate) (store.Entry, error) {
	s := tx.Store()
	pk, err := c.entrySigner(ctx, s, store.Request, req)
	if err != nil {
		return store.Entry{}, err
	}
	defer pk.close()
	key := pk.signer
	meta := req.Meta
	meta.PollURL, meta.ImportedAt = "", c.clock.Now().UTC()
	old, renewal := strings.CutPrefix(meta.FriendlyName, renewalOf)
	if renewal {
		meta.FriendlyName = ""
	}
	ne, err := c.installTx(ctx, tx, cert, chain, key, meta)
	if err != nil {
		return store.Entry{}, err
	}
	if renewal {
		// On failure the new entry is gone and the request stays, to be
		// polled (and checked) again.
		if err := c.retire(ctx, tx, old, ne); err != nil {
			return store.Entry{}, err
		}
	}
	if err := tx.Purge(ctx, store.Request, req.Thumbprint); err != nil {
		return store.Entry{}, err
	}
	if renewal {
		c.runHooks(ctx, s, old, ne)
		if oe, err := s.Get(ctx, store.My, old); err == nil { // archived, still readable
			c.republish(ctx, s, oe, ne)
		}
	}
	cx := s.Context()
	_ = c.record(cx, Record{Action: ActionInstall, Outcome: OutcomeOK, Thumbprint: ne.Thumbprint, Subject: ne.Subject,
		Reason: "request " + req.Meta.RequestID + " issued"})
	if !renewal {
		c.publishIssued(ctx, s, ne.Thumbprint)
	}
	c.publish(cx, Event{Kind: StoreChanged, Store: string(store.My), Thumbprint: ne.Thumbprint, Subject: ne.Subject, NotAfter: ne.NotAfter})
	c.publish(cx, Event{Kind: RequestIssued, Thumbprint: ne.Thumbprint, Subject: ne.Subject, NotAfter: ne.NotAfter, RequestID: req.Meta.RequestID})
	return ne, nil
}

// OfflineRequest describes a CSR for any CA (certreq -new).
type OfflineRequest struct {
	Subject  string // RFC 4514
	DNSNames []string
	Key      string // rsa2048 (default), rsa3072, rsa4096, p256, p384
}

// RequestNew makes a key and a CSR for r, keeps the key in the Request
// store (placeholder certificate) and returns the CSR as PEM, to be taken
// to any CA. RequestAccept installs the CA's answer.
func (c *Core) RequestNew(ctx context.Context, cx store.Context, r OfflineRequest) ([]byte, store.Entry, error) {
	if r.Subject == "" && len(r.DNSNames) == 0 {
		return nil, store.Entry{}, errors.New("a request needs a subject or DNS names")
	}
	rawSubject, err := enroll.ParseDN(r.Subject)
	if err != nil {
		return nil, store.Entry{}, err // names the subject and why
	}
	for _, d := range r.DNSNames {
		if err := enroll.CheckDNSName(d); err != nil {
			return nil, store.Entry{}, err
		}
	}
	name := r.Key
	if name == "" {
		name = "rsa2048"
	}
	kt, ok := keyNames[strings.ToLower(name)]
	if !ok {
		return nil, store.Entry{}, fmt.Errorf("unknown key %q: use rsa2048, rsa3072, rsa4096, p256 or p384", r.Key)
	}
	s, err := c.Store(cx)
	if err != nil {
		return nil, store.Entry{}, err
	}
	key, err := enroll.GenerateKey(c.rand, kt)
	if err != nil {
		return nil, store.Entry{}, err
	}
	// The CSR carries exactly the subject asked for (none with -dns only);
	// the made-up name is only the Request entry's display name.
	csr := &x509.CertificateRequest{DNSNames: r.DNSNames}
	if r.Subject != "" {
		csr.RawSubject = rawSubject
	}
	der, err := x509.CreateCertificateRequest(c.rand, csr, key)
	if err != nil {
		return nil, store.Entry{}, fmt.Errorf("create the request: %w", err)
	}
	e, err := s.AddRequest(ctx, key, placeholderSubject(r.Subject, "offline"), store.Meta{FriendlyName: "offline request"})
	if err != nil {
		return nil, store.Entry{}, err
	}
	_ = c.record(cx, Record{Action: ActionEnroll, Outcome: OutcomePending, Thumbprint: e.Thumbprint, Subject: e.Subject, Reason: "offline request created"})
	c.publish(cx, Event{Kind: StoreChanged, Store: string(store.Request), Thumbprint: e.Thumbprint})
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), e, nil
}

// ErrNoMatchingRequest: a CA response certifies no key waiting in Request.
var ErrNoMatchingRequest = errors.New("no pending request in the Request store matches the certificate's key")

// RequestAccept installs a CA's response (CER, PEM or P7B; name is used in
// messages) by matching its certificate to a key waiting in Request, as
// certreq -accept does. The rest of the file is the chain.
func (c *Core) RequestAccept(ctx context.Context, cx store.Context, name string, data []byte) (store.Entry, error) {
	s, err := c.Store(cx)
	if err != nil {
		return store.Entry{}, err
	}
	b, err := store.Parse(data, "")
	if err != nil {
		return store.Entry{}, &store.ImportError{File: name, Reason: err.Error(), Err: err}
	}
	tx, err := s.Lock(ctx)
	if err != nil {
		return store.Entry{}, err
	}
	defer tx.Unlock()
	es, err := s.List(ctx, store.Request, store.ListOptions{})
	if err != nil {
		return store.Entry{}, err
	}
	// The placeholder is self-signed with the waiting key, so its public
	// key is the one the CA's certificate must carry.
	for _, e := range es {
		ph, err := s.Get(ctx, store.Request, e.Thumbprint)
		if err != nil {
			return store.Entry{}, err
		}
		for i, cert := range b.Certs {
			if !samePublicKey(cert.PublicKey, ph.Certificate.PublicKey) {
				continue
			}
			chain := append(append([]*x509.Certificate(nil), b.Certs[:i]...), b.Certs[i+1:]...)
			return c.acceptIssued(ctx, tx, e, cert, chain)
		}
	}
	return store.Entry{}, fmt.Errorf("%s: %w", name, ErrNoMatchingRequest)
}

// samePublicKey compares two public keys of any supported algorithm.
func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// markDenied records the denial of old's renewal as a permanent failure;
// the caller holds the lock.
func (c *Core) markDenied(s *store.Store, old string, reason string) {
	retry, err := readRetry(s)
	if err != nil {
		return
	}
	retry[old], _ = retry[old].Failed(c.clock.Now(), old, "renewal denied: "+reason, true, c.backoff)
	_ = writeRetry(s, retry)
}
