package ui

import (
	"context"
	"crypto/x509"
)

// Core is the part of the certdesk core the UI uses. Its methods may be
// called from any goroutine (the UI calls them off the UI thread), honour
// ctx, and report failures as errors whose text is one plain sentence.
type Core interface {
	// Contexts lists the contexts with their stores and entry counts.
	Contexts(ctx context.Context) ([]ContextInfo, error)
	// List returns every entry of a store, archived ones included.
	List(ctx context.Context, contextID, store string) ([]Entry, error)
	// Chain builds the chain of cert in a context, leaf first, with the
	// validation result of each element.
	Chain(ctx context.Context, contextID string, cert *x509.Certificate) ([]ChainElement, error)
	// Delete removes the entry with the thumbprint from a store.
	Delete(ctx context.Context, contextID, store, thumbprint string) error
	// Renew renews the entry with the thumbprint now.
	Renew(ctx context.Context, contextID, thumbprint string) error
	// Pulse runs one renewal check of a context now.
	Pulse(ctx context.Context, contextID string) error
	// Subscribe calls fn, from any goroutine, whenever something changes;
	// the returned func stops the calls.
	Subscribe(fn func(Event)) (cancel func())
}

// ContextInfo describes one context and its stores.
type ContextInfo struct {
	ID       string // "machine", "user" or "app:<id>"
	ReadOnly bool   // true when this process may not change the context
	Stores   []StoreInfo
}

// StoreInfo is a store of a context with the number of entries it holds.
type StoreInfo struct {
	Name  string // "My", "Root", "CA", "Request" or another name
	Count int
}

// Entry is one certificate in a store, as the browser shows it.
type Entry struct {
	Cert       *x509.Certificate
	Thumbprint string // SHA-1 of the DER, upper-case hex
	HasKey     bool
	Template   string
	Archived   bool
}

// ChainElement is one certificate of a chain; Problem is empty when the
// element validated, else one sentence saying why not.
type ChainElement struct {
	Cert    *x509.Certificate
	Problem string
}

// Event tells the UI that a store of a context changed; Message, when set,
// is worth showing to the user (for example "Renewed www.example.com").
type Event struct {
	Context, Store string
	Message        string
}

// noCore stands in until the lead wires the real core: no contexts.
type noCore struct{}

func (noCore) Contexts(context.Context) ([]ContextInfo, error)       { return nil, nil }
func (noCore) List(context.Context, string, string) ([]Entry, error) { return nil, nil }
func (noCore) Delete(context.Context, string, string, string) error  { return nil }
func (noCore) Renew(context.Context, string, string) error           { return nil }
func (noCore) Pulse(context.Context, string) error                   { return nil }
func (noCore) Subscribe(func(Event)) func()                          { return func() {} }
func (noCore) Chain(context.Context, string, *x509.Certificate) ([]ChainElement, error) {
	return nil, nil
}
