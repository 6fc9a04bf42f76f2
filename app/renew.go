package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// Renewal methods, as reported in RenewalOutcome.Method.
const (
	MethodKeyBased = "key-based"
	MethodPassword = "password"
)

// errTemplateGone: the server no longer offers the certificate's template,
// as a full fetch of the policy (no lastUpdate) confirmed. Permanent.
var errTemplateGone = errors.New("the policy server no longer offers the template")

// errTemplateMissing: the template is not in the policy at hand, but no
// full fetch confirmed it (the server was unreachable or answered a policy
// without templates). Transient: retried with backoff.
var errTemplateMissing = errors.New("the template is missing from the policy, not confirmed by a full fetch")

// Renew renews one certificate of My now, whether due or not (the GUI's
// "Renew now"); a previous failure is forgotten first.
func (c *Core) Renew(ctx context.Context, cx store.Context, thumbprint string) (RenewalOutcome, error) {
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return RenewalOutcome{}, err
	}
	defer tx.Unlock()
	e, err := s.Get(ctx, store.My, thumbprint)
	if err != nil {
		return RenewalOutcome{}, err
	}
	if e.Meta.PolicyServer == "" {
		return RenewalOutcome{}, fmt.Errorf("%s was not issued through a registered policy server; enroll a new certificate instead", thumbprint)
	}
	retry, err := readRetry(s)
	if err != nil {
		return RenewalOutcome{}, err
	}
	delete(retry, thumbprint)
	if err := c.checkTokenPIN(ctx, cx, e); err != nil {
		return RenewalOutcome{}, err
	}
	o := c.renewEntry(ctx, tx, e, retry)
	return o, writeRetry(s, retry)
}

// renewEntry renews e under the caller's lock and updates retry. It never
// removes the old certificate before the new one is installed and
// verified: the key matches (store.Add) and the chain builds; only then
// is the old one archived.
func (c *Core) renewEntry(ctx context.Context, tx *store.Tx, e store.Entry, retry map[string]RetryState) RenewalOutcome {
	s, cx := tx.Store(), tx.Store().Context()
	o := RenewalOutcome{Thumbprint: e.Thumbprint, Subject: e.Subject}
	if !c.claim(e.Thumbprint) {
		o.Outcome, o.Reason = OutcomeFailed, "a renewal of this certificate is already running"
		return o
	}
	defer c.release(e.Thumbprint)
	full, err := s.Get(ctx, store.My, e.Thumbprint)
	if err != nil {
		o.Outcome, o.Reason = OutcomeFailed, err.Error()
		return o
	}
	if full.Meta.Archived {
		// Renewed (or deleted) meanwhile, e.g. by a pulse this call
		// waited for: renewing it again would leave two live certificates.
		o.Outcome, o.Reason = OutcomeFailed, "the certificate was already renewed or deleted"
		return o
	}
	e = full
	c.publish(cx, Event{Kind: RenewalStarted, Thumbprint: e.Thumbprint, Subject: e.Subject, NotAfter: e.NotAfter})
	method, resp, newKey, err := c.requestRenewal(ctx, s, e)
	defer newKey.close()
	o.Method = method
	if err == nil && resp.Pending() {
		meta := store.Meta{FriendlyName: renewalOf + e.Thumbprint, TemplateName: e.Meta.TemplateName, TemplateOID: e.Meta.TemplateOID,
			PolicyServer: e.Meta.PolicyServer, RequestID: resp.RequestID, PollURL: resp.Endpoint}
		newKey.setMeta(&meta)
		if _, err = tx.AddRequest(ctx, newKey.signer, e.Certificate.Subject, meta); err == nil {
			// Waiting for the CA is not a failure: pulse polls the request
			// and does not renew this certificate again meanwhile.
			delete(retry, e.Thumbprint)
			o.Outcome, o.Reason = OutcomePending, fmt.Sprintf("request %s: %s", resp.RequestID, resp.Disposition)
			_ = c.record(cx, Record{Action: ActionRenew, Outcome: OutcomePending, Thumbprint: e.Thumbprint, Subject: e.Subject, Reason: o.Reason})
			return o
		}
	}
	var ne store.Entry
	if err == nil {
		ne, err = c.replace(ctx, tx, e, resp, newKey)
	}
	if err != nil {
		perm := permanent(err)
		next, report := retry[e.Thumbprint].Failed(c.clock.Now(), e.Thumbprint, err.Error(), perm, c.backoff)
		retry[e.Thumbprint] = next
		o.Outcome, o.Reason, o.Permanent, o.NextAttempt = OutcomeFailed, err.Error(), perm, next.NextAttempt
		if report {
			_ = c.record(cx, Record{Action: ActionRenew, Outcome: OutcomeFailed, Thumbprint: e.Thumbprint, Subject: e.Subject, Reason: o.Reason})
			c.publish(cx, Event{Kind: RenewalFailed, Thumbprint: e.Thumbprint, Subject: e.Subject, NotAfter: e.NotAfter, Err: err, Permanent: perm})
		}
		return o
	}
	delete(retry, e.Thumbprint)
	o.Outcome, o.NewThumbprint, o.NotAfter = OutcomeOK, ne.Thumbprint, ne.NotAfter
	_ = c.record(cx, Record{Action: ActionRenew, Outcome: OutcomeOK, Thumbprint: ne.Thumbprint, Subject: ne.Subject,
		Reason: fmt.Sprintf("%s renewal of %s; the old certificate is archived", method, e.Thumbprint)})
	c.publish(cx, Event{Kind: RenewalSucceeded, Thumbprint: ne.Thumbprint, Subject: ne.Subject, NotAfter: ne.NotAfter})
	c.publish(cx, Event{Kind: StoreChanged, Store: string(store.My), Thumbprint: ne.Thumbprint})
	o.Hooks = c.runHooks(ctx, s, e.Thumbprint, ne)
	c.republish(ctx, s, e, ne)
	return o
}

// requestRenewal asks the CA for the renewal of e: key-based when the
// server advertises a certificate-authenticated CES for the template (or a
// key-based-renewal CEP is registered), with the old certificate and key
// as TLS client credential and CMS signer; else, or when that fails and a
// password is saved, over the password CES with the same CMS request.
//
// The new key is made where the old one lives unless the template demands
// another place (renewalStorage); the caller closes it.
func (c *Core) requestRenewal(ctx context.Context, s *store.Store, e store.Entry) (method string, resp *enroll.Response, key *placedKey, err error) {
	old, err := c.entrySigner(ctx, s, store.My, e)
	if err != nil {
		return "", nil, nil, forRenewal(err, e.Thumbprint)
	}
	oldKey := old.signer
	newKey := old
	defer func() { // close what the caller does not get
		if key != old {
			old.close()
		}
		if key != newKey && newKey != old {
			newKey.close()
		}
	}()
	srv, err := c.Server(s.Context(), e.Meta.PolicyServer)
	if err != nil {
		return "", nil, nil, err
	}
	// Key-based renewal authenticates with the certificate being renewed:
	// TLS client certificate and CMS signer ([MS-WSTEP] key-based renewal; docs/protocol-client.md).
	kbr := credential{cert: clientCert(e.Certificate, oldKey), pin: srv.CAPin}
	pwd, pwdErr := c.serverCredential(ctx, s, srv, "")
	cepURL, cepCred := srv.URL, pwd
	if srv.KBRURL != "" {
		cepURL, cepCred = srv.KBRURL, kbr
	}
	pc, err := c.renewalPolicies(ctx, s, srv, cepURL, cepCred)
	if err != nil {
		return "", nil, nil, err
	}
	pol := pc.Policies
	t := pol.Template(e.Meta.TemplateName)
	if t == nil && !pc.Full {
		// Only a full fetch may say the template is gone: ask again
		// without lastUpdate before giving up on it.
		full, ferr := c.policyCache(ctx, s, srv, cepURL, cepCred, true)
		if ferr != nil {
			return "", nil, nil, fmt.Errorf("%w: %q: %v", errTemplateMissing, e.Meta.TemplateName, ferr)
		}
		pc, pol = full, full.Policies
		t = pol.Template(e.Meta.TemplateName)
	}
	if t == nil {
		if !pc.Full {
			return "", nil, nil, fmt.Errorf("%w: %q", errTemplateMissing, e.Meta.TemplateName)
		}
		return "", nil, nil, fmt.Errorf("%w %q", errTemplateGone, e.Meta.TemplateName)
	}
	// A fresh key each renewal, as Windows does, unless the template
	// demands the same key (privateKeyFlags 0x80).
	if !t.Flags.RequireSameKeyRenewal {
		place := renewalStorage(t, e.Meta.KeyStorage)
		kt, err := chooseKey(t, "")
		if err == nil {
			err = c.checkKeyStorage(t, place)
		}
		var nk *placedKey
		if err == nil {
			nk, err = c.newKey(ctx, s.Context(), t, place, kt)
		}
		if err != nil {
			old.close()
			return "", nil, nil, err
		}
		newKey = nk
	}
	req := enroll.RenewalRequest{OldCert: e.Certificate, OldKey: oldKey, NewKey: newKey.signer, Template: t}
	if !srv.isCEP() {
		// Signed by the old certificate and key; the protocol decides
		// whether to present it over TLS too (EST does, SCEP does not).
		cred := pwd
		cred.cert = kbr.cert
		pcl, err := c.protocolClientFor(ctx, s, srv, cred)
		if err != nil {
			return "", nil, nil, err
		}
		r, err := pcl.renew(ctx, req)
		return MethodKeyBased, r, newKey, err
	}
	// The saved password is the fallback only for password servers; a
	// missing one is not an error while key-based renewal works.
	canPassword := srv.Auth == AuthPassword && pwdErr == nil
	if uris := pol.Endpoints(t, enroll.AuthCertificate, true); len(uris) > 0 {
		cl, err := c.client(ctx, s, kbr)
		if err != nil {
			return "", nil, nil, err
		}
		r, err := cl.Renew(ctx, uris, req)
		if err == nil || !canPassword {
			return MethodKeyBased, r, newKey, err
		}
		// Fall through: e.g. the certificate CES is down but the password
		// CES is not. The password's error is the one reported.
	} else if !canPassword {
		if pwdErr != nil && srv.Auth == AuthPassword {
			return MethodPassword, nil, nil, fmt.Errorf("server %s offers no key-based renewal for %q: %w", srv.URL, t.CommonName, pwdErr)
		}
		return "", nil, nil, fmt.Errorf("server %s offers no key-based renewal for %q: %w", srv.URL, t.CommonName, enroll.ErrNoEndpoint)
	}
	uris := pol.Endpoints(t, enroll.AuthUsernamePassword, true)
	if err := checkPasswordHosts(pwd, uris); err != nil {
		return MethodPassword, nil, nil, err
	}
	cl, err := c.client(ctx, s, pwd)
	if err != nil {
		return "", nil, nil, err
	}
	r, err := cl.Renew(ctx, uris, req)
	return MethodPassword, r, newKey, err
}

// renewalPolicies returns the cached policy, refreshing it when due; a
// failed refresh falls back to the stale cache, since a renewal only needs
// the template and endpoints it already knows (and there may be no
// password to fetch the policy with).
func (c *Core) renewalPolicies(ctx context.Context, s *store.Store, srv Server, cepURL string, cred credential) (enroll.PolicyCache, error) {
	pc, err := c.policyCache(ctx, s, srv, cepURL, cred, false)
	if err == nil {
		return pc, nil
	}
	if pc, cerr := readPolicyCache(s, policyCacheID(srv, cepURL)); cerr == nil && pc.Policies != nil {
		pc.Full = false // stale: it confirms nothing
		return pc, nil
	}
	return enroll.PolicyCache{}, err
}

// replace installs the renewed certificate, verifies it and archives the
// old one (retire).
func (c *Core) replace(ctx context.Context, tx *store.Tx, old store.Entry, resp *enroll.Response, key *placedKey) (store.Entry, error) {
	meta := old.Meta
	meta.RequestID, meta.PollURL, meta.Archived = resp.RequestID, "", false
	meta.Renewal, meta.ImportedAt = store.RenewalState{}, c.clock.Now().UTC()
	key.setMeta(&meta)
	ne, err := c.installTx(ctx, tx, resp.Certificate, resp.Chain, key.signer, meta)
	if err != nil {
		return store.Entry{}, err
	}
	_ = key.keepCertificate(ne.Certificate)
	return ne, c.retire(ctx, tx, old.Thumbprint, ne)
}

// retire finishes a renewal under the caller's lock, for an immediate and
// a pending one alike: only once the renewed certificate ne (its key
// already matched by store.Add) has a chain that builds is the certificate
// old archived, and a server that authenticated with old as its TLS client
// certificate is pointed at ne. If the chain does not build, ne is purged
// and old stays as it was.
func (c *Core) retire(ctx context.Context, tx *store.Tx, old string, ne store.Entry) error {
	s := tx.Store()
	ch, err := s.Chain(ctx, store.My, ne.Thumbprint, c.clock.Now())
	if err == nil && !ch.Valid {
		err = fmt.Errorf("the renewed certificate's chain does not build: %s", ch.Error)
	}
	if err != nil {
		_ = tx.Purge(ctx, store.My, ne.Thumbprint)
		return err
	}
	if err := tx.Delete(ctx, store.My, old); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return rewriteServers(s, func(list []Server) ([]Server, error) {
		for i := range list {
			if list[i].ClientCert == old {
				list[i].ClientCert = ne.Thumbprint
			}
		}
		return list, nil
	})
}
