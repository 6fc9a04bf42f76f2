package ui

import (
	"context"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// The store browser shows the operating system's own stores (Windows:
// certmgr.msc's CurrentUser and LocalMachine stores; macOS: the login and
// System keychains) as read-only contexts "system:user" and
// "system:machine" beside certdesk's own, where the core has them.
const nativePrefix = "system:"

// nativeBase returns the certdesk context whose OS stores id shows.
func nativeBase(id store.Context) (store.Context, bool) {
	base, ok := strings.CutPrefix(string(id), nativePrefix)
	return store.Context(base), ok
}

// errNativeReadOnly is what changing a native store from its view says.
var errNativeReadOnly = errors.New("certdesk only shows the system store here: add certificates to it from certdesk's own stores (Certificate menu, Add to system store…) and remove them from certmgr.msc or Keychain Access")

// nativeCounts caches the sizes of the OS's stores for the tree, which is
// rebuilt after every change: on macOS each listing runs security(1)
// several times. certdesk's own publishing resets it; changes made
// outside show within nativeCountsTTL. Listing happens outside the lock,
// so a reset (from an event) never waits for it.
type nativeCounts struct {
	mu  sync.Mutex
	at  time.Time
	gen int            // bumped by reset: a listing begun before it is not kept
	n   map[string]int // "user/My" → entries; absent: no such store here
}

const nativeCountsTTL = 30 * time.Second

func (nc *nativeCounts) reset() {
	nc.mu.Lock()
	nc.n, nc.gen = nil, nc.gen+1
	nc.mu.Unlock()
}

// get returns the counts, listing the stores again when stale. A listing
// that failed for another reason than the store not existing is not kept.
func (nc *nativeCounts) get(ctx context.Context, core *app.Core) map[string]int {
	nc.mu.Lock()
	n, gen := nc.n, nc.gen
	fresh := n != nil && time.Since(nc.at) < nativeCountsTTL
	nc.mu.Unlock()
	if fresh {
		return n
	}
	n, keep := map[string]int{}, true
	for _, base := range []store.Context{store.User, store.Machine} {
		for _, name := range store.StandardNames {
			es, err := core.NativeList(ctx, base, name)
			switch {
			case err == nil:
				n[string(base)+"/"+string(name)] = len(es)
			case !errors.Is(err, store.ErrUnsupported):
				keep = false
			}
		}
	}
	nc.mu.Lock()
	if keep && gen == nc.gen {
		nc.n, nc.at = n, time.Now()
	}
	nc.mu.Unlock()
	return n
}

// contextsExcept is ownContextsExcept, followed by the native views of the user
// and machine contexts with the stores the OS has (Windows: My, Root, CA,
// Request; macOS: My, Root, CA).
func (c *appCore) contextsExcept(ctx context.Context, skip store.Context, skipName store.Name) ([]ContextInfo, error) {
	out, err := c.ownContextsExcept(ctx, skip, skipName)
	if err != nil || !c.NativeStores() {
		return out, err
	}
	counts := c.native.get(ctx, c.Core)
	for _, base := range []store.Context{store.User, store.Machine} {
		info := ContextInfo{ID: store.Context(nativePrefix + string(base)), ReadOnly: true, Native: true}
		for _, n := range store.StandardNames {
			count, ok := counts[string(base)+"/"+string(n)]
			switch {
			case !ok:
				continue // a store this OS does not have, or may not read
			case info.ID == skip && n == skipName:
				count = -1 // the browser counts the store it shows
			}
			info.Stores = append(info.Stores, StoreInfo{Name: n, Count: count})
		}
		if len(info.Stores) > 0 {
			out = append(out, info)
		}
	}
	return out, nil
}

// Get returns an entry with its certificate, from the OS's store too.
func (c *appCore) Get(ctx context.Context, id store.Context, n store.Name, thumbprint string) (store.Entry, error) {
	if base, ok := nativeBase(id); ok {
		return c.NativeGet(ctx, base, n, thumbprint)
	}
	s, err := c.Store(id)
	if err != nil {
		return store.Entry{}, err
	}
	return s.Get(ctx, n, thumbprint)
}

// Import imports into certdesk's stores; the OS's are read-only here.
func (c *appCore) Import(ctx context.Context, id store.Context, file string, data []byte, opt store.ImportOptions) (*store.ImportResult, error) {
	if _, ok := nativeBase(id); ok {
		return nil, errNativeReadOnly
	}
	s, err := c.Store(id)
	if err != nil {
		return nil, err
	}
	return s.Import(ctx, file, data, opt)
}

// Export encodes an entry; from the OS's store only the certificate, as
// DER or PEM (its key stays with the OS).
func (c *appCore) Export(ctx context.Context, id store.Context, n store.Name, thumbprint string, opt store.ExportOptions) ([]byte, error) {
	base, ok := nativeBase(id)
	if !ok {
		s, err := c.Store(id)
		if err != nil {
			return nil, err
		}
		return s.Export(ctx, n, thumbprint, opt)
	}
	e, err := c.NativeGet(ctx, base, n, thumbprint)
	if err != nil {
		return nil, err
	}
	switch {
	case opt.Key || (opt.Format != store.FormatDER && opt.Format != store.FormatPEM):
		return nil, errors.New("from the system store certdesk exports the certificate alone, as DER or PEM: its private key stays with the operating system")
	case opt.Format == store.FormatDER:
		return e.Certificate.Raw, nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.Certificate.Raw}), nil
}
