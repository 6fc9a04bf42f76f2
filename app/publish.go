package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/certdesk/certdesk/internal/systrust"
	"github.com/certdesk/certdesk/store"
)

// PublishedFile, in a context's directory, records where certificates of
// the context were published (thumbprint → Publication), so the CLI and
// the GUI can say "trusted system-wide" / "available to browsers" and a
// renewal can publish the successor. It holds no secret.
const PublishedFile = "published.json"

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

// Publication says where one certificate is published. Its JSON form is
// the shape of published.json and of "publication" in "store show -json".
type Publication struct {
	Store  store.Name `json:"store"`
	System bool       `json:"system,omitempty"` // an anchor in the system trust store, or in the native store (Native)
	Native bool       `json:"native,omitempty"` // System means the Windows store or macOS keychain of the context
	// Found: the certificate was in the native store before certdesk
	// published it, so unpublishing leaves it there.
	Found    bool     `json:"found,omitempty"`
	Browsers []string `json:"browsers,omitempty"` // NSS database directories holding it
	// Chain lists the thumbprints of the chain certificates an
	// identity's PKCS#12 carried; Added, per database, those of them that
	// were not there before and so are certdesk's to remove.
	Chain []string            `json:"chain,omitempty"`
	Added map[string][]string `json:"added,omitempty"`
	At    time.Time           `json:"at"` // last change
	// Certificate is the DER published, so Unpublish still works after
	// the entry was purged from the store.
	Certificate []byte `json:"certificate,omitempty"`
}

// Summary says where the certificate is published, for people: the words
// the command line and the GUI both show, "" when nowhere.
func (p Publication) Summary() string {
	var parts []string
	switch {
	case p.System && p.Native:
		parts = append(parts, "in the system certificate store")
	case p.System:
		parts = append(parts, "trusted system-wide")
	}
	switch len(p.Browsers) {
	case 0:
	case 1:
		parts = append(parts, "available to browsers ("+p.Browsers[0]+")")
	default:
		parts = append(parts, fmt.Sprintf("available to browsers (%d databases: %s)", len(p.Browsers), strings.Join(p.Browsers, ", ")))
	}
	return strings.Join(parts, "; ")
}

// addChain records chain certificates ths as added to database d.
func (p *Publication) addChain(d string, ths ...string) {
	if p.Added == nil {
		p.Added = map[string][]string{}
	}
	for _, th := range ths {
		if !slices.Contains(p.Added[d], th) {
			p.Added[d] = append(p.Added[d], th)
		}
	}
}

// Empty reports whether the certificate is published nowhere.
func (p Publication) Empty() bool { return !p.On(TargetSystem) && !p.On(TargetBrowsers) }

// On reports whether the certificate is published to t.
func (p Publication) On(t Target) bool {
	if t == TargetSystem {
		return p.System
	}
	return len(p.Browsers) > 0
}

// ErrNeedsRoot is returned when publishing to (or removing from) the
// system trust store without root rights.
var ErrNeedsRoot = errors.New("changing the system-wide trust store needs root: run the command as root (sudo certdesk ...)")

// ErrPublishUnsupported is returned where this system has no trust store
// or browser database certdesk can write (systrust.ErrUnsupported).
var ErrPublishUnsupported = errors.New("this system has no trust store certdesk can publish to (Linux with ca-certificates or p11-kit for system-wide trust, libnss3-tools for browsers)")

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

// Published returns where the certificates of cx are published, by
// thumbprint, as recorded by Publish (read from published.json, no
// external tool runs).
func (c *Core) Published(cx store.Context) (map[string]Publication, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return readPublished(s)
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

// recorded returns the certificate published from store n as an entry,
// if the record has it.
func recorded(s *store.Store, n store.Name, thumbprint string) (store.Entry, bool) {
	th, err := store.NormalizeThumbprint(thumbprint)
	if err != nil {
		return store.Entry{}, false
	}
	m, err := readPublished(s)
	p, ok := m[th]
	if err != nil || !ok || p.Store != n || len(p.Certificate) == 0 {
		return store.Entry{}, false
	}
	cert, err := x509.ParseCertificate(p.Certificate)
	if err != nil {
		return store.Entry{}, false
	}
	return store.Entry{Thumbprint: th, Certificate: cert}, true
}

// publishEntry publishes e under the caller's lock and records it. What
// succeeded is recorded even when a later browser database fails, so
// Unpublish can undo it.
func (c *Core) publishEntry(ctx context.Context, s *store.Store, n store.Name, e store.Entry, t Target) (Publication, error) {
	der := e.Certificate.Raw
	var done []string
	var chain []*x509.Certificate
	added := map[string][]string{}
	var err error
	var native nativeOutcome
	switch {
	case t == TargetSystem && c.hasNative:
		native, err = c.publishNative(ctx, s, n, e)
	case t == TargetSystem:
		err = c.systemTrust().Trust(ctx, der)
	case t == TargetBrowsers:
		var dirs []string
		if dirs, err = c.browserDBs(); err != nil {
			break
		}
		var pfx []byte
		var pw string
		if n == store.My {
			chain = c.chainOf(ctx, s, e.Thumbprint)
			if pfx, pw, err = c.identityPFX(ctx, s, n, e.Thumbprint); err != nil {
				break
			}
		}
		for _, d := range dirs {
			db := &systrust.NSS{Dir: d}
			if n == store.My {
				// pk12util also imports the chain the PKCS#12 carries
				// (Chromium needs the intermediates to offer the identity
				// to a server naming its root); note which certificates
				// were not there before, so removal takes them out again.
				var fresh []string
				for _, ce := range chain {
					if ok, cerr := db.Contains(ctx, ce.Raw); cerr == nil && !ok {
						fresh = append(fresh, store.Thumbprint(ce.Raw))
					}
				}
				if err = db.AddIdentity(ctx, der, pfx, pw); err == nil && len(fresh) > 0 {
					added[d] = fresh
				}
			} else {
				err = db.AddRoot(ctx, der)
			}
			if err != nil {
				break
			}
			done = append(done, d)
		}
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
		// The databases recorded, and those found now: a profile created
		// after publishing, or a lost record, still gets cleaned.
		dirs, derr := c.browserDBs()
		for _, d := range p.Browsers {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
		var chain map[string][]byte
		if len(p.Added) > 0 {
			chain = map[string][]byte{}
			for _, ce := range c.chainOf(ctx, s, thumbprint) {
				chain[store.Thumbprint(ce.Raw)] = ce.Raw
			}
		}
		for _, d := range dirs {
			db := &systrust.NSS{Dir: d}
			rerr := db.Remove(ctx, der)
			if rerr == nil || errors.Is(rerr, systrust.ErrNotInNSS) {
				rerr = nil
				for _, th := range p.Added[d] {
					if owner := chainOwner(m, thumbprint, d, th); owner != "" {
						if owner != th {
							o := m[owner]
							o.addChain(d, th)
							m[owner] = o
						}
					} else if cd, ok := chain[th]; ok {
						if cerr := db.Remove(ctx, cd); cerr != nil && !errors.Is(cerr, systrust.ErrNotInNSS) {
							rerr = errors.Join(rerr, cerr)
						}
					}
				}
			}
			if rerr != nil {
				left = append(left, d)
				err = errors.Join(err, rerr)
			}
		}
		if err == nil && derr != nil && len(p.Browsers) == 0 {
			err = derr
		}
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

// chainOwner returns who keeps chain certificate th in database d when
// identity except leaves: th itself if it is a published root there,
// else another published identity whose chain carries it, else "".
func chainOwner(m map[string]Publication, except, d, th string) string {
	if slices.Contains(m[th].Browsers, d) {
		return th
	}
	for k, o := range m {
		if k != except && slices.Contains(o.Browsers, d) && slices.Contains(o.Chain, th) {
			return k
		}
	}
	return ""
}

// chainOf returns the chain certificates (issuer first, leaf excluded)
// that the store's PFX export of a My entry carries.
func (c *Core) chainOf(ctx context.Context, s *store.Store, thumbprint string) []*x509.Certificate {
	ch, err := s.Chain(ctx, store.My, thumbprint, c.clock.Now())
	if err != nil || len(ch.Elements) < 2 {
		return nil
	}
	var out []*x509.Certificate
	for _, el := range ch.Elements[1:] {
		if el.Certificate != nil {
			out = append(out, el.Certificate)
		}
	}
	return out
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

// identityPFX exports the entry with its key and chain under a one-time
// random password, for pk12util.
func (c *Core) identityPFX(ctx context.Context, s *store.Store, n store.Name, thumbprint string) ([]byte, string, error) {
	pw, err := oneTimePassword()
	if err != nil {
		return nil, "", err
	}
	pfx, err := s.Export(ctx, n, thumbprint, store.ExportOptions{Format: store.FormatPFX, Profile: store.Modern, Password: pw, Chain: true})
	return pfx, pw, err
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

// oneTimePassword is a random password for one PKCS#12 handed to
// another program.
func oneTimePassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// publishErr maps systrust's sentinels to one sentence for the person.
func publishErr(err error) error {
	switch {
	case errors.Is(err, systrust.ErrUnsupported):
		return ErrPublishUnsupported
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w (%v)", ErrNeedsRoot, err)
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("a tool certdesk needs is not installed (Debian: ca-certificates, libnss3-tools; Fedora: ca-certificates, nss-tools): %w", err)
	}
	return err
}

func (c *Core) systemTrust() *systrust.System {
	if c.sysTrust != nil {
		return c.sysTrust
	}
	return &systrust.System{}
}

// browserDBs returns the NSS databases to publish to.
func (c *Core) browserDBs() ([]string, error) {
	if c.nssDirs != nil {
		return c.nssDirs()
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("finding the browsers' certificate databases: %w", err)
	}
	return systrust.BrowserDBs(home)
}

func setPublication(m map[string]Publication, thumbprint string, p Publication) {
	if p.Empty() {
		delete(m, thumbprint)
	} else {
		m[thumbprint] = p
	}
}

func readPublished(s *store.Store) (map[string]Publication, error) {
	return readConfigMap[Publication](s.Dir(), PublishedFile)
}

// updatePublished rewrites PublishedFile; the caller holds the context lock.
func (c *Core) updatePublished(s *store.Store, f func(map[string]Publication)) error {
	return updateConfigMap(s.Dir(), PublishedFile, f)
}
