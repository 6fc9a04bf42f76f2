package ui

import (
	"context"
	"time"

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

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// StoreChanged: entries of a store were added, removed or updated.
	StoreChanged EventKind = iota
	// RenewalSucceeded: a certificate was renewed; the old one is archived.
	RenewalSucceeded
	// RenewalFailed: a renewal failed; Err says why.
	RenewalFailed
	// NotificationWindow: a certificate is Days days from expiring.
	NotificationWindow
)

// Event is a change the core reports; fields that do not apply to the
// kind are zero.
type Event struct {
	Kind     EventKind
	Context  store.Context
	Store    store.Name
	Subject  string // the certificate's common name
	NotAfter time.Time
	Days     int
	Err      error
}

// Enroller is the optional part of a Core that enrolls from policy
// servers (CEP/CES). The Request certificate action needs it.
type Enroller interface {
	// Servers lists the registered policy servers of a context.
	Servers(ctx context.Context, c store.Context) ([]Server, error)
	// TestServer connects to a server that is not registered yet and
	// returns how many templates it offers.
	TestServer(ctx context.Context, c store.Context, o ServerOptions) (int, error)
	// AddServer registers a server, saving its password in the keyring
	// when o.SavePassword.
	AddServer(ctx context.Context, c store.Context, o ServerOptions) (Server, error)
	// Templates lists the templates a server lets this person enroll;
	// password is used for this call when none is saved.
	Templates(ctx context.Context, c store.Context, serverID, password string) ([]Template, error)
	// Enroll requests a certificate and installs it; it returns when the
	// CA issued it, left it pending, or refused it. Cancelling ctx
	// abandons the request.
	Enroll(ctx context.Context, r EnrollRequest) (*EnrollResult, error)
}

// The authentication kinds of a policy server.
const (
	AuthPassword    = "password"
	AuthCertificate = "certificate"
	AuthAnonymous   = "anonymous"
)

// Server is a registered policy server.
type Server struct {
	ID, URL, FriendlyName string
	Auth                  string // AuthPassword, AuthCertificate or AuthAnonymous
	Username              string
	PasswordSaved         bool
	AutoEnroll            bool
}

// ServerOptions describe a server to test or add.
type ServerOptions struct {
	URL, FriendlyName, Auth, Username, Password string
	SavePassword, AutoEnroll                    bool
}

// Template is an enrollment template as the wizard offers it.
type Template struct {
	Name            string
	Validity        time.Duration
	KeyAlgorithm    string // "RSA" or "ECDSA"
	MinKeyBits      int    // RSA modulus or curve size
	SubjectSupplied bool   // the enrollee supplies subject and DNS names
}

// EnrollRequest asks for a certificate from a registered server.
type EnrollRequest struct {
	Context  store.Context
	Server   string // server id
	Template string
	Subject  string   // RFC 4514, only when the template lets the enrollee supply it
	DNSNames []string // likewise
	Key      string   // "rsa2048", "rsa3072", "rsa4096", "p256" or "p384"
	Password string   // for this request only, when none is saved
}

// EnrollResult is what an enrollment did.
type EnrollResult struct {
	Status     string // "issued" or "pending"
	Thumbprint string // the new entry in My (issued) or Request (pending)
	Subject    string
	NotAfter   time.Time
	RequestID  string
}

// HistoryReader is the optional part of a Core that reads the history of
// checks and renewals.
type HistoryReader interface {
	// History returns a context's records, newest first; outcome, when
	// not empty, keeps only records with that outcome.
	History(ctx context.Context, c store.Context, outcome string) ([]HistoryRecord, error)
}

// HistoryRecord is one line of the history.
type HistoryRecord struct {
	Time                     time.Time
	Subject, Action, Outcome string // Outcome: "ok", "nothing-due", "failed", "pending" or "denied"
	Reason                   string
}

// Configurer is the optional part of a Core that holds the settings and
// the OS schedule of pulse.
type Configurer interface {
	Settings() Settings
	SetSettings(s Settings) error
	// ScheduleInstalled reports whether the OS runs pulse for c.
	ScheduleInstalled(ctx context.Context, c store.Context) (bool, error)
	// SetSchedule installs or removes the OS job that runs pulse for c.
	SetSchedule(ctx context.Context, c store.Context, on bool) error
}

// Settings are the person's choices that shape renewal and the GUI.
type Settings struct {
	CheckInterval time.Duration
	RenewalRatio  float64 // of the lifetime, for certificates without a template renewal period
	NotifyDays    []int   // days before expiry at which the person is told
	StartInTray   bool
	// PublishIssued adds newly issued certificates to the OS's own store
	// (offered where Publisher.NativeSystem says there is one).
	PublishIssued bool
}

// ServerManager is the optional part of a Core behind the policy servers
// view.
type ServerManager interface {
	Enroller
	RemoveServer(ctx context.Context, c store.Context, id string) error
	SetAutoEnroll(ctx context.Context, c store.Context, id string, on bool) error
}

// Requester is the optional part of a Core behind the pending requests
// view.
type Requester interface {
	// PollRequests asks the CAs about every pending request of c now.
	PollRequests(ctx context.Context, c store.Context) ([]RequestOutcome, error)
	// AcceptResponse installs a CA's answer to an offline request.
	AcceptResponse(ctx context.Context, c store.Context, file string, data []byte) (store.Entry, error)
	// NewRequest makes a key, keeps it in Request and returns the CSR (PEM).
	NewRequest(ctx context.Context, c store.Context, r OfflineRequest) ([]byte, error)
}

// RequestOutcome is what became of a pending request at a poll.
type RequestOutcome struct {
	RequestID, Subject string
	Outcome            string // "ok" (installed), "pending", "denied" or "failed"
	Reason             string
}

// OfflineRequest describes a CSR for any CA.
type OfflineRequest struct {
	Subject  string // RFC 4514
	DNSNames []string
	Key      string // "rsa2048", "rsa3072", "rsa4096", "p256" or "p384"
}

// The targets a Publisher publishes to.
const (
	TargetSystem   = "system"   // the machine's Root and CA: trusted system-wide
	TargetBrowsers = "browsers" // the user's Root and My (with key): every browser's NSS database
)

// Publisher is the optional part of a Core that publishes certificates
// outside certdesk, to the system's trust store or to the browsers, and
// removes them from there. The Trust system-wide and Add to browsers
// actions and their undo actions need it.
type Publisher interface {
	// CanPublish reports whether entries of store n of context c can go
	// to target (TargetSystem or TargetBrowsers).
	CanPublish(c store.Context, n store.Name, target string) bool
	// Publish makes an entry available at target; publishing again is
	// not an error.
	Publish(ctx context.Context, c store.Context, n store.Name, thumbprint, target string) error
	// Unpublish undoes Publish: the entry is no longer available at
	// target. Removing what is not published is not an error.
	Unpublish(ctx context.Context, c store.Context, n store.Name, thumbprint, target string) error
	// NativeSystem reports whether TargetSystem is the operating
	// system's own certificate store (Windows, macOS: certmgr.msc's
	// stores, the keychains), which browsers read too, rather than
	// Linux's system-wide trust anchors.
	NativeSystem() bool
	// Publication says where an entry of store n is published.
	Publication(ctx context.Context, c store.Context, n store.Name, thumbprint string) (Publication, error)
}

// Publication is where an entry is published.
type Publication struct {
	System   bool // trusted system-wide, or in the native store (Native)
	Native   bool // System means the OS's certificate store (Windows, macOS)
	Browsers int  // the browser databases holding it
}
