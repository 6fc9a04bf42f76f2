package ui

import (
	"context"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// Core is the part of the certdesk core the UI uses. It speaks the core's
// own types (store, app, enroll): the UI presents what the core decides
// and decides nothing again. appCore (appcore.go) is *app.Core with the
// OS stores' read-only views added; tests pass a fake. Its methods may be
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
	// Delete archives an entry (app.Core.Delete).
	Delete(ctx context.Context, c store.Context, n store.Name, thumbprint string) error
	// Renew renews the entry of My with the thumbprint now (app.Core.Renew).
	Renew(ctx context.Context, c store.Context, thumbprint string) (app.RenewalOutcome, error)
	// Pulse runs one renewal check of a context now (app.Core.Pulse).
	Pulse(ctx context.Context, c store.Context) (*app.PulseReport, error)
	// FullPolicyFetch makes the next use of every cached policy of c a
	// full fetch (an explicit check).
	FullPolicyFetch(c store.Context) error
	// Health applies the core's health rule to the certificates of My in
	// c (app.Core.Health): what the status bar and the tray summarise.
	Health(ctx context.Context, c store.Context, o app.HealthOptions) (*app.HealthReport, error)
	// RevocationStatuses returns the cached revocation status of the
	// certificates of My in c by thumbprint, without a network call
	// (app.Core.RevocationStatuses); one absent was never checked.
	RevocationStatuses(c store.Context) (map[string]app.RevocationResult, error)
	// Revocation returns the revocation status of the certificate of My
	// with the thumbprint, checking it now over the network with refresh
	// (app.Core.Revocation).
	Revocation(ctx context.Context, c store.Context, thumbprint string, refresh bool) (*app.RevocationResult, error)
	// Subscribe calls fn, from any goroutine, with the core's events; the
	// returned func stops the calls.
	Subscribe(fn func(app.Event)) (unsubscribe func())
}

// ContextInfo describes one context and its stores.
type ContextInfo struct {
	ID       store.Context
	ReadOnly bool // this process may not change the context
	// Native: a read-only view of the operating system's own stores
	// (certmgr.msc's, the keychains) of the context ID names.
	Native bool
	Stores []StoreInfo
}

// StoreInfo is a store of a context with the number of (unarchived)
// entries it holds.
type StoreInfo struct {
	Name  store.Name
	Count int
}

// Enroller is the optional part of a Core that enrolls from policy
// servers (CEP/CES), as app.Core does. The Request certificate action
// needs it.
type Enroller interface {
	// Servers lists the registered policy servers of a context.
	Servers(c store.Context) ([]app.Server, error)
	// HasPassword reports whether a password is saved for srv.
	HasPassword(ctx context.Context, c store.Context, srv app.Server) bool
	// TestServer fetches the policy of a server that is not registered yet.
	TestServer(ctx context.Context, c store.Context, o app.ServerOptions) (*enroll.Policies, error)
	// AddServer registers a server, saving o.Password in the keyring when
	// it is set.
	AddServer(ctx context.Context, c store.Context, o app.ServerOptions) (app.Server, error)
	// Policies returns a server's policy (refresh: fetch it now); password
	// is used for this call when none is saved.
	Policies(ctx context.Context, c store.Context, ref, password string, refresh bool) (*enroll.Policies, error)
	// ConfirmHosts records that the person allows the password of server
	// ref to go to hosts (app.UnconfirmedHostsError names them).
	ConfirmHosts(ctx context.Context, c store.Context, ref string, hosts []string) (app.Server, error)
	// Enroll requests a certificate and installs it; it returns when the
	// CA issued it, left it pending, or refused it. Cancelling ctx
	// abandons the request.
	Enroll(ctx context.Context, r app.EnrollRequest) (*app.EnrollResult, error)
}

// HistoryReader is the optional part of a Core that reads the history of
// checks and renewals.
type HistoryReader interface {
	History(c store.Context) (*app.History, error)
}

// Configurer is the optional part of a Core that holds the settings and
// the OS schedule of pulse.
type Configurer interface {
	Settings() app.Settings
	SetSettings(s app.Settings) error
	// ScheduleInstalled reports whether the OS runs pulse for c.
	ScheduleInstalled(ctx context.Context, c store.Context) (bool, error)
	// SetSchedule installs or removes the OS job that runs pulse for c.
	SetSchedule(ctx context.Context, c store.Context, on bool) error
}

// ServerManager is the optional part of a Core behind the policy servers
// view.
type ServerManager interface {
	Enroller
	RemoveServer(ctx context.Context, c store.Context, ref string) error
	SetAutoEnroll(ctx context.Context, c store.Context, ref string, on bool) error
}

// Requester is the optional part of a Core behind the pending requests
// view.
type Requester interface {
	// RequestStatus asks the CAs about every pending request of c now.
	RequestStatus(ctx context.Context, c store.Context) ([]app.RequestOutcome, error)
	// RequestAccept installs a CA's answer to an offline request.
	RequestAccept(ctx context.Context, c store.Context, file string, data []byte) (store.Entry, error)
	// RequestNew makes a key, keeps it in Request and returns the CSR (PEM).
	RequestNew(ctx context.Context, c store.Context, r app.OfflineRequest) ([]byte, store.Entry, error)
}

// Publisher is the optional part of a Core that publishes certificates
// outside certdesk, to the system's trust store or to the browsers, and
// removes them from there (app.Core's Publish and Unpublish). The Trust
// system-wide and Add to browsers actions and their undo actions need it.
type Publisher interface {
	// CheckTarget says why entries of store n of context c cannot go to
	// t, or nil when they can.
	CheckTarget(c store.Context, n store.Name, t app.Target) error
	Publish(ctx context.Context, c store.Context, n store.Name, thumbprint string, t app.Target) (app.Publication, error)
	Unpublish(ctx context.Context, c store.Context, n store.Name, thumbprint string, t app.Target) error
	// NativeStores reports whether app.TargetSystem is the operating
	// system's own certificate store (Windows, macOS), which browsers read
	// too, rather than Linux's system-wide trust anchors.
	NativeStores() bool
	// Published returns where the entries of a context are published, by
	// thumbprint.
	Published(c store.Context) (map[string]app.Publication, error)
}
