package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/certdesk/certdesk/store"
)

// errNoCore is what Renew and Pulse say in builds without the app core.
var errNoCore = errors.New("renewal is not available in this build")

// StoreCore is a Core over the certificate stores alone, for builds in
// which the app core is not wired in: Renew and Pulse are unavailable and
// nothing is ever announced through Subscribe.
type StoreCore struct {
	loc store.Location
	// opener opens a context's store; NewStoreCore's caches them, the app
	// core's adapter uses the core's own.
	opener func(store.Context) (*store.Store, error)
	// contexts lists the contexts there are (the app core's Contexts, or
	// scanContexts).
	contexts func() ([]store.Context, error)
}

var _ Core = (*StoreCore)(nil)

// NewStoreCore returns a StoreCore over the contexts at loc.
func NewStoreCore(loc store.Location, opts ...store.Option) *StoreCore {
	var mu sync.Mutex
	stores := map[store.Context]*store.Store{}
	c := &StoreCore{loc: loc}
	c.contexts = c.scanContexts
	c.opener = func(ctx store.Context) (*store.Store, error) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := stores[ctx]; ok {
			return s, nil
		}
		s, err := store.Open(loc, ctx, opts...)
		if err == nil {
			stores[ctx] = s
		}
		return s, err
	}
	return c
}

// scanContexts lists user, machine and every app context found on disk.
func (c *StoreCore) scanContexts() ([]store.Context, error) {
	ids := []store.Context{store.User, store.Machine}
	apps, _ := os.ReadDir(filepath.Join(c.loc.Data, "apps"))
	for _, d := range apps {
		if id, err := store.AppContext(d.Name()); err == nil && d.IsDir() {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (c *StoreCore) open(ctx store.Context) (*store.Store, error) { return c.opener(ctx) }

// Contexts lists machine, user and every app context found on disk.
func (c *StoreCore) Contexts(ctx context.Context) ([]ContextInfo, error) {
	return c.contextsExcept(ctx, "", "")
}

// contextsExcept is Contexts without counting store n of context skip
// (its Count is -1): the browser counts the store it shows from its own
// List instead of reading a large index twice.
func (c *StoreCore) contextsExcept(ctx context.Context, skip store.Context, skipName store.Name) ([]ContextInfo, error) {
	ids, err := c.contexts()
	if err != nil {
		return nil, err
	}
	var out []ContextInfo
	for _, id := range ids {
		s, err := c.open(id)
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

// List returns the entries of a store, archived ones included.
func (c *StoreCore) List(ctx context.Context, id store.Context, n store.Name) ([]store.Entry, error) {
	s, err := c.open(id)
	if err != nil {
		return nil, err
	}
	return s.List(ctx, n, store.ListOptions{IncludeArchived: true})
}

// Get returns an entry with its certificate.
func (c *StoreCore) Get(ctx context.Context, id store.Context, n store.Name, thumbprint string) (store.Entry, error) {
	s, err := c.open(id)
	if err != nil {
		return store.Entry{}, err
	}
	return s.Get(ctx, n, thumbprint)
}

// Chain builds an entry's chain as of now.
func (c *StoreCore) Chain(ctx context.Context, id store.Context, n store.Name, thumbprint string) (*store.Chain, error) {
	s, err := c.open(id)
	if err != nil {
		return nil, err
	}
	return s.Chain(ctx, n, thumbprint, time.Now())
}

// Import stores the contents of a file.
func (c *StoreCore) Import(ctx context.Context, id store.Context, file string, data []byte, opt store.ImportOptions) (*store.ImportResult, error) {
	s, err := c.open(id)
	if err != nil {
		return nil, err
	}
	return s.Import(ctx, file, data, opt)
}

// Export encodes an entry as a file.
func (c *StoreCore) Export(ctx context.Context, id store.Context, n store.Name, thumbprint string, opt store.ExportOptions) ([]byte, error) {
	s, err := c.open(id)
	if err != nil {
		return nil, err
	}
	return s.Export(ctx, n, thumbprint, opt)
}

// Delete archives an entry.
func (c *StoreCore) Delete(ctx context.Context, id store.Context, n store.Name, thumbprint string) error {
	s, err := c.open(id)
	if err != nil {
		return err
	}
	return s.Delete(ctx, n, thumbprint)
}

// Renew is not available without the app core.
func (c *StoreCore) Renew(context.Context, store.Context, string) error { return errNoCore }

// Pulse is not available without the app core.
func (c *StoreCore) Pulse(context.Context, store.Context) error { return errNoCore }

// Subscribe never calls fn: the stores announce nothing.
func (c *StoreCore) Subscribe(func(Event)) func() { return func() {} }
