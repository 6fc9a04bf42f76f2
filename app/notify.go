package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// NotifiedFile, in a context's state directory, remembers which
// notification window (days before expiry) was announced per certificate,
// so a restarted GUI does not announce it again.
const NotifiedFile = "notified.json"

// notify publishes NotificationWindow for every certificate with a key in
// My of cx that entered a window of Settings.NotifyDays since it was last
// announced. Only the in-process scheduler calls it: a headless pulse has
// nobody to tell, and must not use up the announcement.
func (c *Core) notify(ctx context.Context, cx store.Context) error {
	s, err := c.Store(cx)
	if err != nil {
		return err
	}
	es, err := s.List(ctx, store.My, store.ListOptions{})
	if err != nil {
		return err
	}
	path := filepath.Join(s.StateDir(), NotifiedFile)
	seen := map[string]int{}
	if data, err := atomicfile.ReadOwned(path); err == nil {
		_ = json.Unmarshal(data, &seen) // a damaged file only repeats an announcement
	}
	now, days := c.clock.Now(), c.Settings().NotifyDays
	next := map[string]int{}
	changed := false
	for _, e := range es {
		if !e.HasKey {
			continue
		}
		w, ok := NotifyWindow(e.NotAfter, now, days)
		if !ok {
			continue
		}
		next[e.Thumbprint] = w
		if seen[e.Thumbprint] != w {
			changed = true
			c.publish(cx, Event{Kind: NotificationWindow, Thumbprint: e.Thumbprint, Subject: e.Subject, NotAfter: e.NotAfter, Days: w})
		}
	}
	if !changed && len(next) == len(seen) {
		return nil
	}
	data, _ := json.Marshal(next)
	if err := os.MkdirAll(s.StateDir(), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}
