package ui

import (
	"context"

	"github.com/certdesk/certdesk/store"
)

// Core is the part of the certdesk core the UI uses. Its methods may be
// called from any goroutine (the UI calls them off the UI thread), honour
// ctx, and return errors whose text is one plain sentence.
type Core interface {
	// Contexts lists the contexts with their stores and entry counts.
	Contexts(ctx context.Context) ([]ContextInfo, error)
	// List returns every entry of a store, archived ones included; the
	// entries need not carry their parsed Certificate.
	List(ctx context.Context, c store.Context, n store.Name) ([]store.Entry, error)
	// Get returns one entry with its parsed Certificate.
	Get(ctx context.Context, c store.Context, n store.Name, thumbprint string) (store.Entry, error)
	// Chain builds and validates an entry's chain now.
	Chain(ctx context.Context, c store.Context, n store.Name, thumbprint string) (*store.Chain, error)
	// Import stores the certificates and keys of one file; file names it
	// in messages. A bad file changes nothing.
	Import(ctx context.Context, c store.Context, file string, data []byte, opt store.ImportOptions) (*store.ImportResult, error)
	// Export encodes an entry as a file.
	Export(ctx context.Context, c store.Context, n store.Name, thumbprint string, opt store.ExportOptions) ([]byte, error)
	// Delete archives an entry.
	Delete(ctx context.Context, c store.Context, n store.Name, thumbprint string) error
	// Renew renews the entry of My with the thumbprint now.
	Renew(ctx context.Context, c store.Context, thumbprint string) error
	// Pulse runs one renewal check of a context now.
	Pulse(ctx context.Context, c store.Context) error
	// Subscribe calls fn, from any goroutine, whenever something changes;
	// the returned func stops the calls.
	Subscribe(fn func(Event)) (cancel func())
}

// ContextInfo describes one context and its stores.
type ContextInfo struct {
	ID       store.Context
	ReadOnly bool // this process may not change the context
	Stores   []StoreInfo
}

// StoreInfo is a store of a context with the number of (unarchived)
// entries it holds.
type StoreInfo struct {
	Name  store.Name
	Count int
}

// Event tells the UI that a store of a context changed; Message, when set,
// is worth showing to the user (for example "Renewed www.example.com").
type Event struct {
	Context store.Context
	Store   store.Name
	Message string
}
