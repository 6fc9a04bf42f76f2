package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/internal/systrust"
	"github.com/certdesk/certdesk/store"
)

// DefaultHTTPTimeout bounds one CEP or CES exchange. A CES that waits on
// a CA can take a while; a dead one must not hang a scheduled pulse.
const DefaultHTTPTimeout = 60 * time.Second

// Keyring is the part of the OS keyring the core uses for CEP/CES
// passwords (and hands to the store for its key-encryption key).
// internal/keyring is the default; its ErrNotFound and ErrUnavailable are
// the sentinels implementations return.
type Keyring interface {
	Get(ctx context.Context, service, user string) (string, error)
	Set(ctx context.Context, service, user, secret string) error
	Delete(ctx context.Context, service, user string) error
}

// osKeyring adapts the functions of internal/keyring to Keyring.
type osKeyring struct{}

func (osKeyring) Get(ctx context.Context, s, u string) (string, error) { return keyring.Get(ctx, s, u) }
func (osKeyring) Set(ctx context.Context, s, u, p string) error        { return keyring.Set(ctx, s, u, p) }
func (osKeyring) Delete(ctx context.Context, s, u string) error        { return keyring.Delete(ctx, s, u) }

// Options configure a Core. The zero value is a production core: the
// store locations from CERTDESK_ROOT or the platform defaults, the system
// clock, crypto/rand, the OS keyring and the system roots.
type Options struct {
	// Location of the contexts; zero means store.LocationFromEnv(os.Getenv).
	Location store.Location
	// Clock; nil means SystemClock. It also drives TLS certificate checks,
	// so tests can move a whole enrollment through time.
	Clock Clock
	// Rand is the source of key material; nil means crypto/rand.
	Rand io.Reader
	// Keyring holds passwords; nil means the OS keyring.
	Keyring Keyring
	// SystemRoots are trusted besides each context's Root store; nil means
	// the system pool.
	SystemRoots *x509.CertPool
	// HTTPTimeout bounds each CEP/CES exchange; 0 means DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// Settings; a zero CheckInterval means those in Prefs, else
	// DefaultSettings.
	Settings Settings
	// Prefs, if set and Settings is zero, supplies the settings
	// (LoadSettings); SetSettings saves to it.
	Prefs Prefs
	// Backoff for transient renewal failures; zero means DefaultBackoff.
	Backoff Backoff
	// Contexts the in-process scheduler (Start) checks; nil means user.
	Contexts []store.Context
	// After returns a channel that fires after d, for the scheduler loop;
	// nil means time.After. Tests pass channels they fire themselves.
	After func(d time.Duration) <-chan time.Time
	// Run runs deploy-hook commands; nil means os/exec.
	Run CommandRunner
	// SystemTrust is where Publish puts machine Root and CA certificates;
	// nil means the distribution's detected trust store.
	SystemTrust *systrust.System
	// BrowserDBs lists the NSS databases Publish puts user certificates
	// in; nil means systrust.BrowserDBs of the home directory. Tests pass
	// temporary databases.
	BrowserDBs func() ([]string, error)
	// NativeStore opens the operating system's own stores, which Publish
	// uses for TargetSystem on Windows and macOS; nil means
	// store.OpenSystem there. Setting it makes the core behave as on those
	// systems, which is how the tests on Linux run that logic against a
	// stand-in for crypt32 and the keychain.
	NativeStore NativeOpener
	// Managed is the administrator's configuration (ReadManaged); nil
	// means none. Open reads it with LoadManaged.
	Managed *Managed
}

// Core is certdesk's use-case layer: what the command line and the GUI
// call. It is safe for concurrent use; every method that does I/O takes a
// context.Context. Writers of a certificate context serialise on the
// store's per-context file lock, so several Cores (a GUI and a scheduled
// pulse in another process) can share the same files.
type Core struct {
	loc     store.Location
	clock   Clock
	rand    io.Reader
	keyring Keyring
	roots   *x509.CertPool
	timeout time.Duration
	backoff Backoff
	bus     Bus
	run     CommandRunner
	prefs   Prefs
	after   func(time.Duration) <-chan time.Time
	loopCtx []store.Context
	// Publication targets (publish_system.go, publish_browsers.go); euid
	// tells whether we are root.
	sysTrust  *systrust.System
	nssDirs   func() ([]string, error)
	euid      func() int
	native    NativeOpener
	hasNative bool // TargetSystem is the native store (native.go)
	managed   *Managed

	mu       sync.Mutex
	settings Settings
	stores   map[store.Context]*store.Store
	busy     map[string]bool // thumbprints being renewed by this process
	// transports are the HTTP transports of client, one per TLS identity.
	transportsMu sync.Mutex
	transports   map[tlsKey]*http.Transport
	// rootsOnce loads the system pool on first use: reading it costs more
	// than a whole pulse with nothing due, which never needs it.
	rootsOnce sync.Once
	loop      *loop
}

// New returns a Core configured by o.
func New(o Options) (*Core, error) {
	c := &Core{
		loc: o.Location, clock: o.Clock, rand: o.Rand, keyring: o.Keyring,
		roots: o.SystemRoots, timeout: o.HTTPTimeout, backoff: o.Backoff,
		settings: o.Settings, run: o.Run, prefs: o.Prefs, after: o.After, loopCtx: o.Contexts,
		stores: map[store.Context]*store.Store{}, busy: map[string]bool{},
		sysTrust: o.SystemTrust, nssDirs: o.BrowserDBs, euid: os.Geteuid,
		native: o.NativeStore, hasNative: nativeOS || o.NativeStore != nil, managed: o.Managed,
	}
	if c.loc == (store.Location{}) {
		loc, err := store.LocationFromEnv(os.Getenv)
		if err != nil {
			return nil, err
		}
		c.loc = loc
	}
	if c.clock == nil {
		c.clock = SystemClock{}
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	if c.keyring == nil {
		c.keyring = osKeyring{}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultHTTPTimeout
	}
	if c.backoff == (Backoff{}) {
		c.backoff = DefaultBackoff()
	}
	switch {
	case c.settings.CheckInterval != 0:
	case c.prefs != nil:
		c.settings = LoadSettings(c.prefs)
	default:
		c.settings = DefaultSettings()
	}
	if c.after == nil {
		c.after = time.After
	}
	if len(c.loopCtx) == 0 {
		c.loopCtx = []store.Context{store.User}
	}
	return c, nil
}

// Location returns where the contexts live.
func (c *Core) Location() store.Location { return c.loc }

// Clock returns the core's clock.
func (c *Core) Clock() Clock { return c.clock }

// Subscribe registers fn for the core's events (see Bus); the returned
// function unsubscribes.
func (c *Core) Subscribe(fn func(Event)) (unsubscribe func()) { return c.bus.Subscribe(fn) }

// Bus returns the event bus the core publishes on.
func (c *Core) Bus() *Bus { return &c.bus }

// Settings returns the settings in force: the person's, with the managed
// ones (Options.Managed) in their place.
func (c *Core) Settings() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.managed.apply(c.settings)
}

// SetSettings replaces the settings after validating them and writes them
// to Options.Prefs, if any, saving prefs that keep a file (FilePrefs) at
// once; the scheduler picks up a new interval at its next wait. The check
// interval in force passes unchanged even outside Validate's range (the
// demo's).
//
// A managed setting must keep its value in force (ErrManagedSetting); the
// person's own value of it is what is saved.
func (c *Core) SetSettings(s Settings) error {
	if err := s.validateInForce(c.Settings().CheckInterval); err != nil {
		return err
	}
	c.mu.Lock()
	inForce := c.managed.apply(c.settings)
	for _, d := range settingDefs {
		if !c.managed.IsManaged(d.name) {
			continue
		}
		if d.show(s, store.User) != d.show(inForce, store.User) {
			c.mu.Unlock()
			return fmt.Errorf("%s %w", d.name, ErrManagedSetting)
		}
		copySetting(&s, c.settings, d.name)
	}
	c.settings = s
	c.mu.Unlock()
	if c.prefs != nil {
		s.Save(c.prefs)
		if f, ok := c.prefs.(interface{ Save() error }); ok {
			return f.Save()
		}
	}
	return nil
}

// Store returns the opened store of context cx, opening it on first use.
func (c *Core) Store(cx store.Context) (*store.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stores[cx]; ok {
		return s, nil
	}
	s, err := store.Open(c.loc, cx, store.WithClock(c.clock.Now), store.WithKeyring(c.keyring))
	if err != nil {
		return nil, err
	}
	c.stores[cx] = s
	return s, nil
}

// History returns the history of context cx.
func (c *Core) History(cx store.Context) (*History, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return NewHistory(s.StateDir(), 0), nil
}

// record appends r to the history of cx, stamping time and context.
// A history that cannot be written must not undo a renewal that
// succeeded, so the error is returned for the caller to report, not to
// roll back.
func (c *Core) record(cx store.Context, r Record) error {
	h, err := c.History(cx)
	if err != nil {
		return err
	}
	if r.Time.IsZero() {
		r.Time = c.clock.Now().UTC()
	}
	r.Context = string(cx)
	return h.Append(r)
}

// publish sends e on the bus, stamping time and context.
func (c *Core) publish(cx store.Context, e Event) {
	e.Time = c.clock.Now()
	e.Context = string(cx)
	c.bus.Publish(e)
}

// claim marks thumbprint as being renewed by this process; false if it
// already is (the GUI's "renew now" racing the scheduler).
func (c *Core) claim(thumbprint string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy[thumbprint] {
		return false
	}
	c.busy[thumbprint] = true
	return true
}

func (c *Core) release(thumbprint string) {
	c.mu.Lock()
	delete(c.busy, thumbprint)
	c.mu.Unlock()
}

// ErrNoServer is wrapped when an entry or a call names a server that is
// not registered.
var ErrNoServer = errors.New("no such policy server")

// ErrNoTemplate is wrapped when a request names a template the server's
// policy does not list.
var ErrNoTemplate = errors.New("the policy lists no template")

// systemRoots returns Options.SystemRoots, or the system pool loaded on
// first use. A system without a readable pool still trusts the contexts'
// Root stores, which is what a workgroup device mostly needs.
func (c *Core) systemRoots() *x509.CertPool {
	c.rootsOnce.Do(func() {
		if c.roots != nil {
			return
		}
		if p, err := x509.SystemCertPool(); err == nil {
			c.roots = p
		} else {
			c.roots = x509.NewCertPool()
		}
	})
	return c.roots
}

// lock opens context cx and takes its lock, which every writer of the
// context's files holds; the caller releases it with tx.Unlock.
func (c *Core) lock(ctx context.Context, cx store.Context) (*store.Store, *store.Tx, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := s.Lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s, tx, nil
}

// SettingsFile is the name of the settings file in the location's data
// directory; the GUI, the command line and the scheduled pulse share it.
const SettingsFile = "settings.json"

// Open opens the core of a location with its settings file, as the GUI and
// the command line use it; the zero Location means store.LocationFromEnv.
// A damaged settings file means default settings, which saving replaces.
func Open(loc store.Location) (*Core, error) {
	if loc == (store.Location{}) {
		var err error
		if loc, err = store.LocationFromEnv(os.Getenv); err != nil {
			return nil, err
		}
	}
	var prefs Prefs
	if p, _ := OpenFilePrefs(filepath.Join(loc.Data, SettingsFile)); p != nil {
		prefs = p
	}
	// A managed file that cannot be read at all manages nothing; its one
	// problem is reported like a bad field's (ReportManaged).
	m, source, merr := LoadManaged(os.Getenv)
	c, err := New(Options{Location: loc, Prefs: prefs, Managed: m})
	if c != nil && merr != nil {
		c.managed = &Managed{Path: source, Problems: []string{merr.Error()}, Hash: "unreadable:" + merr.Error()}
	}
	return c, err
}
