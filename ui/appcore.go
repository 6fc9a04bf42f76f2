package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// appCore is certdesk's core (*app.Core) as the UI's Core, Enroller,
// ServerManager, HistoryReader, Configurer, Requester and Publisher: the
// core's own methods, plus what the UI adds around them — the store
// operations the core leaves to its opened stores, the read-only views of
// the OS's stores (native.go) and the OS schedule of pulse. It decides no
// rule of the core.
type appCore struct {
	*app.Core
	// schedule registers pulse with the OS; nil where the GUI must not
	// (the demo's throwaway root).
	schedule *app.Scheduler
	native   nativeCounts // the OS's stores' sizes (native.go)
}

var (
	_ Core          = (*appCore)(nil)
	_ ServerManager = (*appCore)(nil)
	_ HistoryReader = (*appCore)(nil)
	_ Configurer    = (*appCore)(nil)
	_ Requester     = (*appCore)(nil)
	_ Publisher     = (*appCore)(nil)
)

// errNoSchedule is what the settings say where no OS schedule is offered.
var errNoSchedule = errors.New("this session does not install an OS schedule (the demo's stores are temporary)")

// newAppCore returns the UI's view of core; schedule (nil for none) is the
// OS scheduler behind the settings' "check when certdesk is closed".
func newAppCore(core *app.Core, schedule *app.Scheduler) *appCore {
	return &appCore{Core: core, schedule: schedule}
}

// Contexts lists certdesk's contexts, then the OS's stores.
func (c *appCore) Contexts(ctx context.Context) ([]ContextInfo, error) {
	return c.contextsExcept(ctx, "", "")
}

// ownContextsExcept lists certdesk's own contexts without counting store
// skipName of context skip (its Count is -1): the browser counts the store
// it shows from its own List instead of reading a large index twice.
func (c *appCore) ownContextsExcept(ctx context.Context, skip store.Context, skipName store.Name) ([]ContextInfo, error) {
	ids, err := c.Core.Contexts()
	if err != nil {
		return nil, err
	}
	var out []ContextInfo
	for _, id := range ids {
		s, err := c.Store(id)
		if err != nil {
			continue // a context this platform or process cannot open is not shown
		}
		names, err := s.Names()
		if err != nil {
			return nil, err
		}
		info := ContextInfo{ID: id, ReadOnly: id == store.Machine && !writable(s.Dir())}
		for _, n := range names {
			if id == skip && n == skipName {
				info.Stores = append(info.Stores, StoreInfo{Name: n, Count: -1})
				continue
			}
			es, err := s.List(ctx, n, store.ListOptions{})
			if err != nil {
				return nil, err
			}
			info.Stores = append(info.Stores, StoreInfo{Name: n, Count: len(es)})
		}
		out = append(out, info)
	}
	return out, nil
}

// writable reports whether this process may create files in dir, or in
// its nearest existing parent.
func writable(dir string) bool {
	for {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
	f, err := os.CreateTemp(dir, ".certdesk-probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// List returns a store's entries, archived ones included; an app context's
// My also shows the user's certificates it may use.
func (c *appCore) List(ctx context.Context, id store.Context, n store.Name) ([]store.Entry, error) {
	if base, ok := nativeBase(id); ok {
		return c.NativeList(ctx, base, n)
	}
	if n != store.My || !strings.HasPrefix(string(id), "app:") {
		// Only an app context's My can show shared entries: skip the
		// core's copy into items, which a 10,000-entry store feels.
		s, err := c.Store(id)
		if err != nil {
			return nil, err
		}
		return s.List(ctx, n, store.ListOptions{IncludeArchived: true})
	}
	items, err := c.Core.List(ctx, id, n, store.ListOptions{IncludeArchived: true})
	if err != nil {
		return nil, err
	}
	out := make([]store.Entry, len(items))
	for i, it := range items {
		out[i] = it.Entry
	}
	return out, nil
}

// Chain builds an entry's chain at the core's time.
func (c *appCore) Chain(ctx context.Context, id store.Context, n store.Name, thumbprint string) (*store.Chain, error) {
	if base, ok := nativeBase(id); ok {
		return c.NativeChain(ctx, base, n, thumbprint)
	}
	s, err := c.Store(id)
	if err != nil {
		return nil, err
	}
	return s.Chain(ctx, n, thumbprint, c.Clock().Now())
}

// Renew renews an entry of My now.
func (c *appCore) Renew(ctx context.Context, id store.Context, thumbprint string) (app.RenewalOutcome, error) {
	if _, ok := nativeBase(id); ok {
		return app.RenewalOutcome{}, errNativeReadOnly
	}
	return c.Core.Renew(ctx, id, thumbprint)
}

// Subscribe passes on the core's events, forgetting the OS stores' sizes
// after a change (a renewal may have republished to the OS's store).
func (c *appCore) Subscribe(fn func(app.Event)) func() {
	return c.Core.Subscribe(func(e app.Event) {
		if e.Kind == app.StoreChanged || e.Kind == app.RenewalSucceeded {
			c.native.reset()
		}
		fn(e)
	})
}

// ScheduleInstalled reports whether the OS runs pulse for a context.
func (c *appCore) ScheduleInstalled(ctx context.Context, id store.Context) (bool, error) {
	if c.schedule == nil {
		return false, errNoSchedule
	}
	st, err := c.schedule.Status(ctx, string(id))
	return st.Installed, err
}

// SetSchedule installs or removes the OS job of a context.
func (c *appCore) SetSchedule(ctx context.Context, id store.Context, on bool) error {
	if c.schedule == nil {
		return errNoSchedule
	}
	var err error
	if on {
		_, err = c.schedule.Install(ctx, string(id))
	} else {
		_, err = c.schedule.Remove(ctx, string(id))
	}
	return err
}

// Delete archives an entry after the core takes it back from wherever it
// is published.
func (c *appCore) Delete(ctx context.Context, id store.Context, n store.Name, thumbprint string) error {
	if _, ok := nativeBase(id); ok {
		return errNativeReadOnly
	}
	defer c.native.reset()
	return c.Core.Delete(ctx, id, n, thumbprint)
}

// Publish publishes an entry to a target.
func (c *appCore) Publish(ctx context.Context, id store.Context, n store.Name, thumbprint string, t app.Target) (app.Publication, error) {
	defer c.native.reset()
	return c.Core.Publish(ctx, id, n, thumbprint, t)
}

// Unpublish removes an entry from a target it was published to.
func (c *appCore) Unpublish(ctx context.Context, id store.Context, n store.Name, thumbprint string, t app.Target) error {
	defer c.native.reset()
	return c.Core.Unpublish(ctx, id, n, thumbprint, t)
}

// Published says where a context's entries are published; the OS's own
// stores are where things are published to, so nothing of theirs is.
func (c *appCore) Published(id store.Context) (map[string]app.Publication, error) {
	if _, ok := nativeBase(id); ok {
		return nil, nil
	}
	return c.Core.Published(id)
}
