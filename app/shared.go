package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// AppSettingsFile holds an app context's own settings in its directory.
const AppSettingsFile = "app.json"

// appSettings are the per-application settings of an app context.
type appSettings struct {
	// SharedUserCertificates lets the application use the user's personal
	// certificates, like a Windows Store app's SharedUserCertificate
	// capability.
	SharedUserCertificates bool `json:"sharedUserCertificates"`
}

// Item is one entry of a List: an entry of the context's store, or, for
// an app context that shares the user's certificates, one of the user's My
// (Shared true). Its JSON form is a store.Entry plus "shared".
type Item struct {
	store.Entry
	Shared bool `json:"shared,omitempty"`
}

// SetSharedUserCertificates allows (or stops) the app context cx to use
// the user's personal certificates.
func (c *Core) SetSharedUserCertificates(cx store.Context, on bool) error {
	if cx.AppID() == "" {
		return fmt.Errorf("only application contexts share the user's certificates, not %s", cx)
	}
	s, err := c.Store(cx)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(appSettings{SharedUserCertificates: on})
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.Dir(), AppSettingsFile), data, 0o600)
}

// SharedUserCertificates reports whether app context cx may use the user's
// personal certificates.
func (c *Core) SharedUserCertificates(cx store.Context) (bool, error) {
	if cx.AppID() == "" {
		return false, nil
	}
	s, err := c.Store(cx)
	if err != nil {
		return false, err
	}
	data, err := atomicfile.ReadOwned(filepath.Join(s.Dir(), AppSettingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	var as appSettings
	if err == nil {
		err = json.Unmarshal(data, &as)
	}
	return as.SharedUserCertificates, err
}

// List returns the entries of store n of context cx from the index; for
// My of an app context that shares the user's certificates, the user's My
// entries follow, marked Shared.
func (c *Core) List(ctx context.Context, cx store.Context, n store.Name, opt store.ListOptions) ([]Item, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	es, err := s.List(ctx, n, opt)
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(es))
	for _, e := range es {
		items = append(items, Item{Entry: e})
	}
	if n != store.My {
		return items, nil
	}
	if shared, err := c.SharedUserCertificates(cx); err != nil || !shared {
		return items, err
	}
	us, err := c.Store(store.User)
	if err != nil {
		return nil, err
	}
	ues, err := us.List(ctx, store.My, opt)
	if err != nil {
		return nil, err
	}
	for _, e := range ues {
		items = append(items, Item{Entry: e, Shared: true})
	}
	return items, nil
}

// Contexts lists the contexts there are: user, machine, and every
// application context that has a directory under the data location. An
// application context whose id Windows reserves (made before
// store.CheckFileName refused such ids) is not opened and not listed; it
// does not make the listing fail, and ReservedContexts names it.
func (c *Core) Contexts() ([]store.Context, error) {
	apps, _, err := c.loc.AppContexts()
	if err != nil {
		return nil, err
	}
	return append([]store.Context{store.User, store.Machine}, apps...), nil
}

// ReservedContexts returns the application contexts on disk that Contexts
// leaves out because their id is a name Windows reserves, with their
// directories, so the frontend can say how to rename them.
func (c *Core) ReservedContexts() ([]*store.ReservedContextError, error) {
	_, reserved, err := c.loc.AppContexts()
	return reserved, err
}
