package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/certdesk/certdesk/store"
)

// Delete archives entry thumbprint of store n of cx (store.Tx.Delete),
// first taking back every publication of it: an archived certificate is
// published nowhere, as after a renewal. If taking one back fails (the
// system trust store without root, a browser database that cannot be
// written), nothing is archived and the error says where it is still
// published.
func (c *Core) Delete(ctx context.Context, cx store.Context, n store.Name, thumbprint string) error {
	return c.remove(ctx, cx, n, thumbprint, false)
}

// Purge removes entry thumbprint of store n of cx for good
// (store.Tx.Purge), after taking back its publications as Delete does.
func (c *Core) Purge(ctx context.Context, cx store.Context, n store.Name, thumbprint string) error {
	return c.remove(ctx, cx, n, thumbprint, true)
}

func (c *Core) remove(ctx context.Context, cx store.Context, n store.Name, thumbprint string, purge bool) error {
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return err
	}
	defer tx.Unlock()
	e, err := s.Get(ctx, n, thumbprint)
	if err != nil {
		// A damaged entry can still be purged; what was published of it
		// is in the record.
		th, nerr := store.NormalizeThumbprint(thumbprint)
		if !purge || errors.Is(err, store.ErrNotFound) || nerr != nil {
			return err
		}
		e = store.Entry{Thumbprint: th}
		if rec, ok := recorded(s, n, th); ok {
			e = rec
		}
	}
	m, err := readPublished(s)
	if err != nil {
		return err
	}
	if p, ok := m[e.Thumbprint]; ok && p.Store == n && e.Certificate != nil {
		for _, t := range []Target{TargetSystem, TargetBrowsers} {
			if !p.On(t) {
				continue
			}
			if err := c.unpublishEntry(ctx, s, n, e.Thumbprint, e.Certificate.Raw, t); err != nil {
				return fmt.Errorf("%s was not deleted, because taking it out of %s failed: %w", e.Thumbprint, c.targetName(t), err)
			}
		}
	}
	if purge {
		err = tx.Purge(ctx, n, e.Thumbprint)
	} else {
		err = tx.Delete(ctx, n, e.Thumbprint)
	}
	c.publish(cx, Event{Kind: StoreChanged, Store: string(n), Thumbprint: e.Thumbprint})
	return err
}
