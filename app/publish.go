package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/certdesk/certdesk/store"
)

// ActionPublish is the history action of publishing a renewed
// certificate in place of the one it replaced.
const ActionPublish Action = "publish"

// Target is a place outside certdesk's stores where other programs look
// for certificates.
type Target string

// The publication targets.
const (
	// TargetSystem is the distribution's system-wide trust store, for
	// Root and CA certificates of the machine context (needs root).
	TargetSystem Target = "system"
	// TargetBrowsers is every NSS database of the user's browsers
	// (~/.pki/nssdb, snap Chromium, Firefox profiles): Root
	// certificates as trusted roots, My certificates with their key as
	// client identities.
	TargetBrowsers Target = "browsers"
)

// ParseTarget parses "system" or "browsers".
func ParseTarget(s string) (Target, error) {
	switch t := Target(s); t {
	case TargetSystem, TargetBrowsers:
		return t, nil
	}
	return "", fmt.Errorf("unknown target %q: use system or browsers", s)
}

// Publish makes certificate thumbprint of store n of context cx available
// outside certdesk: TargetSystem writes a machine Root or CA certificate
// as a system-wide trust anchor; TargetBrowsers adds a user Root
// certificate as a trusted root, or a user My certificate with its key as
// a client identity, to every browser NSS database. The identity travels
// as a PKCS#12 made by the store's export under a one-time random password
// that never reaches argv (systrust hands it to pk12util in a private
// temporary file). Publishing again is not an error.
func (c *Core) Publish(ctx context.Context, cx store.Context, n store.Name, thumbprint string, t Target) (Publication, error) {
	s, tx, e, err := c.publishable(ctx, cx, n, thumbprint, t, true)
	if err != nil {
		return Publication{}, err
	}
	defer tx.Unlock()
	p, err := c.publishEntry(ctx, s, n, e, t)
	c.publish(cx, Event{Kind: StoreChanged, Store: string(n), Thumbprint: e.Thumbprint})
	return p, err
}

// Unpublish undoes Publish: it removes the system anchor, or the
// certificate (and for an identity its key) from every browser database
// it was published to and every one found now. Removing what is not
// published is not an error.
func (c *Core) Unpublish(ctx context.Context, cx store.Context, n store.Name, thumbprint string, t Target) error {
	s, tx, e, err := c.publishable(ctx, cx, n, thumbprint, t, false)
	if err != nil {
		return err
	}
	defer tx.Unlock()
	err = c.unpublishEntry(ctx, s, n, e.Thumbprint, e.Certificate.Raw, t)
	c.publish(cx, Event{Kind: StoreChanged, Store: string(n), Thumbprint: e.Thumbprint})
	return err
}

// CheckTarget reports whether certificates of store n of context cx can
// be published to t on this system: on Linux the machine context's Root
// and CA to the system, the user context's Root and My to browsers; on
// Windows and macOS the user and machine contexts' My, Root and CA to the
// native store of the same name (TargetSystem).
func CheckTarget(cx store.Context, n store.Name, t Target) error {
	return checkTarget(cx, n, t, nativeOS)
}

// CheckTarget is the package's CheckTarget for this core, which may stand
// in for a system with native stores (Options.NativeStore).
func (c *Core) CheckTarget(cx store.Context, n store.Name, t Target) error {
	return checkTarget(cx, n, t, c.hasNative)
}

func checkTarget(cx store.Context, n store.Name, t Target, native bool) error {
	if native {
		return checkNative(cx, n, t)
	}
	switch {
	case t == TargetSystem && (cx != store.Machine || (n != store.Root && n != store.CA)):
		return fmt.Errorf("system-wide trust is for the Root and CA stores of the machine context, not %s/%s", cx, n)
	case t == TargetBrowsers && (cx != store.User || (n != store.Root && n != store.My)):
		return fmt.Errorf("browsers take the Root and My stores of the user context, not %s/%s", cx, n)
	case t != TargetSystem && t != TargetBrowsers:
		return fmt.Errorf("unknown target %q: use system or browsers", t)
	}
	return nil
}

// publishable checks that t suits cx and n, finds the entry (to unpublish,
// one purged from the store is taken from the record) and takes the
// context lock (the caller unlocks tx).
func (c *Core) publishable(ctx context.Context, cx store.Context, n store.Name, thumbprint string, t Target, publish bool) (*store.Store, *store.Tx, store.Entry, error) {
	if err := c.CheckTarget(cx, n, t); err != nil {
		return nil, nil, store.Entry{}, err
	}
	if t == TargetSystem && !c.hasNative {
		// Ask the platform first, so Windows and macOS hear "unsupported"
		// rather than "needs root"; then the rights, before any change.
		if _, err := c.systemTrust().Path(nil); err != nil {
			return nil, nil, store.Entry{}, publishErr(err)
		}
		if c.euid() != 0 {
			return nil, nil, store.Entry{}, ErrNeedsRoot
		}
	}
	s, err := c.Store(cx)
	if err != nil {
		return nil, nil, store.Entry{}, err
	}
	e, err := s.Get(ctx, n, thumbprint)
	if errors.Is(err, store.ErrNotFound) && !publish {
		// Purged while published: the record still holds the certificate,
		// so the publication can be undone.
		if rec, ok := recorded(s, n, thumbprint); ok {
			e, err = rec, nil
		}
	}
	if err != nil {
		return nil, nil, store.Entry{}, err
	}
	if publish && n == store.My && !e.HasKey {
		return nil, nil, store.Entry{}, fmt.Errorf("certificate %s has no private key: programs need one to use it for authentication", e.Thumbprint)
	}
	tx, err := s.Lock(ctx)
	if err != nil {
		return nil, nil, store.Entry{}, err
	}
	if publish {
		// Read again under the lock: a renewal may have archived it since,
		// and an archived certificate is published nowhere.
		if e, err = s.Get(ctx, n, thumbprint); err == nil && e.Meta.Archived {
			err = fmt.Errorf("certificate %s is archived (deleted or replaced by a renewal): archived certificates are not published", e.Thumbprint)
		}
		if err != nil {
			tx.Unlock()
			return nil, nil, store.Entry{}, err
		}
	}
	return s, tx, e, nil
}

// publishEntry publishes e under the caller's lock and records it. What
// succeeded is recorded even when a later browser database fails, so
// Unpublish can undo it.
func (c *Core) publishEntry(ctx context.Context, s *store.Store, n store.Name, e store.Entry, t Target) (Publication, error) {
	der := e.Certificate.Raw
	var done []string
	var chain []*x509.Certificate
	var added map[string][]string
	var err error
	var native nativeOutcome
	switch {
	case t == TargetSystem && c.hasNative:
		native, err = c.publishNative(ctx, s, n, e)
	case t == TargetSystem:
		err = c.systemTrust().Trust(ctx, der)
	case t == TargetBrowsers:
		done, chain, added, err = c.publishBrowsers(ctx, s, n, e)
	}
	var p Publication
	uerr := c.updatePublished(s, func(m map[string]Publication) {
		p = m[e.Thumbprint]
		p.Store, p.Certificate = n, der
		if t == TargetSystem && (err == nil || native.landed) {
			// Recorded even when a later step failed, so it can be undone.
			p.Found = p.Found || (native.found && !p.System)
			p.System, p.Native = true, c.hasNative
		}
		for _, d := range done {
			if !slices.Contains(p.Browsers, d) {
				p.Browsers = append(p.Browsers, d)
			}
		}
		for _, ce := range chain {
			if th := store.Thumbprint(ce.Raw); !slices.Contains(p.Chain, th) {
				p.Chain = append(p.Chain, th)
			}
		}
		for d, ths := range added {
			p.addChain(d, ths...)
		}
		p.At = c.clock.Now().UTC()
		setPublication(m, e.Thumbprint, p)
	})
	if err != nil {
		return p, publishErr(err)
	}
	return p, uerr
}

// unpublishEntry removes the certificate der (thumbprint) from t under
// the caller's lock and updates the record. For an identity, the chain
// certificates its publication brought into a database go too, unless a
// published root is one of them or another published identity carries
// them: that one then owns them.
func (c *Core) unpublishEntry(ctx context.Context, s *store.Store, n store.Name, thumbprint string, der []byte, t Target) error {
	m, err := readPublished(s)
	if err != nil {
		return err
	}
	p := m[thumbprint]
	var left []string
	switch {
	case t == TargetSystem && c.hasNative && p.Found:
		// Not certdesk's to remove: only the record goes.
	case t == TargetSystem && c.hasNative:
		err = c.unpublishNative(ctx, s.Context(), n, thumbprint)
	case t == TargetSystem:
		err = c.systemTrust().Untrust(ctx, der)
	case t == TargetBrowsers:
		left, err = c.unpublishBrowsers(ctx, s, m, thumbprint, der)
	}
	// Write back m with the ownership moves above.
	uerr := c.updatePublished(s, func(cur map[string]Publication) {
		clear(cur)
		for k, v := range m {
			cur[k] = v
		}
		p := cur[thumbprint]
		if p.Store == "" {
			p.Store = n
		}
		if t == TargetSystem && err == nil {
			p.System, p.Native, p.Found = false, false, false
		}
		if t == TargetBrowsers {
			p.Browsers = slices.DeleteFunc(p.Browsers, func(d string) bool { return !slices.Contains(left, d) })
			for d := range p.Added {
				if !slices.Contains(left, d) {
					delete(p.Added, d)
				}
			}
			if len(p.Browsers) == 0 {
				p.Chain, p.Added = nil, nil
			}
		}
		p.At = c.clock.Now().UTC()
		setPublication(cur, thumbprint, p)
	})
	if err != nil {
		return publishErr(err)
	}
	return uerr
}

// republish follows a renewal: wherever the old certificate was
// published (browsers; on Windows and macOS the native store), the new one
// (already installed in My) is published and the old one removed. A
// failure goes to the history; the renewal stays. The caller holds the
// context lock.
func (c *Core) republish(ctx context.Context, s *store.Store, old store.Entry, ne store.Entry) {
	m, err := readPublished(s)
	if err != nil {
		return
	}
	p := m[old.Thumbprint]
	for _, t := range []Target{TargetBrowsers, TargetSystem} {
		if !p.On(t) {
			continue
		}
		where := c.targetName(t)
		rec := Record{Action: ActionPublish, Outcome: OutcomeOK, Thumbprint: ne.Thumbprint, Subject: ne.Subject,
			Reason: "published to " + where + " in place of " + old.Thumbprint}
		if _, err = c.publishEntry(ctx, s, store.My, ne, t); err != nil {
			rec.Outcome, rec.Reason = OutcomeFailed, "publishing the renewed certificate to "+where+": "+err.Error()
		} else if err = c.unpublishEntry(ctx, s, store.My, old.Thumbprint, old.Certificate.Raw, t); err != nil {
			rec.Outcome, rec.Reason = OutcomeFailed, "the renewed certificate is published to "+where+", but taking out "+old.Thumbprint+" failed: "+err.Error()
		}
		_ = c.record(s.Context(), rec)
	}
}

// targetName names t for people: "the browsers", "the system trust
// store" (Linux) or "the system certificate store" (Windows, macOS).
func (c *Core) targetName(t Target) string {
	switch {
	case t == TargetBrowsers:
		return "the browsers"
	case c.hasNative:
		return "the system certificate store"
	}
	return "the system trust store"
}
