package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/certdesk/certdesk/internal/systrust"
	"github.com/certdesk/certdesk/store"
)

// publishBrowsers adds e to every browser NSS database: a Root
// certificate as a trusted root, a My certificate with its key and chain
// as a client identity. It returns the databases that took it, the chain
// certificates an identity's PKCS#12 carried, and per database those of
// them that were not there before; the first failure stops it.
func (c *Core) publishBrowsers(ctx context.Context, s *store.Store, n store.Name, e store.Entry) (done []string, chain []*x509.Certificate, added map[string][]string, err error) {
	der := e.Certificate.Raw
	added = map[string][]string{}
	dirs, err := c.browserDBs()
	if err != nil {
		return nil, nil, added, err
	}
	var pfx []byte
	var pw string
	if n == store.My {
		chain = c.chainOf(ctx, s, e.Thumbprint)
		if pfx, pw, err = c.identityPFX(ctx, s, n, e.Thumbprint); err != nil {
			return nil, chain, added, err
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
			return done, chain, added, err
		}
		done = append(done, d)
	}
	return done, chain, added, nil
}

// unpublishBrowsers removes the certificate der (thumbprint) from every
// browser database recorded in m and every one found now, and for an
// identity the chain certificates its publication brought in, unless
// chainOwner names another owner: then m records the move. It returns
// the databases it could not clean.
func (c *Core) unpublishBrowsers(ctx context.Context, s *store.Store, m map[string]Publication, thumbprint string, der []byte) (left []string, err error) {
	p := m[thumbprint]
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
	return left, err
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

// oneTimePassword is a random password for one PKCS#12 handed to
// another program.
func oneTimePassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
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
