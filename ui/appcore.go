package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// AppCore adapts certdesk's core (*app.Core) to the UI's interfaces: Core,
// Enroller, ServerManager, HistoryReader, Configurer, Requester and
// Publisher. It only
// translates types; every decision stays in the core. The store operations
// go through the core's own opened stores.
type AppCore struct {
	*StoreCore
	core *app.Core
	// schedule registers pulse with the OS; nil where the GUI must not
	// (the demo's throwaway root).
	schedule *app.Scheduler
	native   nativeCounts // the OS's stores' sizes (native.go)
}

var (
	_ Core          = (*AppCore)(nil)
	_ ServerManager = (*AppCore)(nil)
	_ HistoryReader = (*AppCore)(nil)
	_ Configurer    = (*AppCore)(nil)
	_ Requester     = (*AppCore)(nil)
	_ Publisher     = (*AppCore)(nil)
)

// errNoSchedule is what the settings say where no OS schedule is offered.
var errNoSchedule = errors.New("this session does not install an OS schedule (the demo's stores are temporary)")

// NewAppCore returns the UI's view of core; schedule (nil for none) is the
// OS scheduler behind the settings' "check when certdesk is closed".
func NewAppCore(core *app.Core, schedule *app.Scheduler) *AppCore {
	return &AppCore{StoreCore: &StoreCore{loc: core.Location(), opener: core.Store, contexts: core.Contexts},
		core: core, schedule: schedule}
}

// List returns a store's entries, archived ones included; an app context's
// My also shows the user's certificates it may use.
func (c *AppCore) List(ctx context.Context, id store.Context, n store.Name) ([]store.Entry, error) {
	if base, ok := nativeBase(id); ok {
		return c.core.NativeList(ctx, base, n)
	}
	if n != store.My || !strings.HasPrefix(string(id), "app:") {
		// Only an app context's My can show shared entries: skip the
		// core's copy into items, which a 10,000-entry store feels.
		return c.StoreCore.List(ctx, id, n)
	}
	items, err := c.core.List(ctx, id, n, store.ListOptions{IncludeArchived: true})
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
func (c *AppCore) Chain(ctx context.Context, id store.Context, n store.Name, thumbprint string) (*store.Chain, error) {
	if base, ok := nativeBase(id); ok {
		return c.core.NativeChain(ctx, base, n, thumbprint)
	}
	s, err := c.core.Store(id)
	if err != nil {
		return nil, err
	}
	return s.Chain(ctx, n, thumbprint, c.core.Clock().Now())
}

// Renew renews an entry of My now; a renewal that did not install a new
// certificate is an error saying why.
func (c *AppCore) Renew(ctx context.Context, id store.Context, thumbprint string) error {
	if _, ok := nativeBase(id); ok {
		return errNativeReadOnly
	}
	o, err := c.core.Renew(ctx, id, thumbprint)
	if err != nil {
		return err
	}
	return renewalError(o)
}

func renewalError(o app.RenewalOutcome) error {
	switch o.Outcome {
	case app.OutcomeOK:
		return nil
	case app.OutcomePending:
		return errors.New("the CA took the renewal request but has not issued the new certificate yet; certdesk installs it when it does")
	}
	if o.Reason == "" {
		return errors.New("the renewal failed")
	}
	return errors.New(o.Reason)
}

// Pulse runs one renewal check of a context; renewals or polls that failed
// make it an error naming the first.
func (c *AppCore) Pulse(ctx context.Context, id store.Context) error {
	r, err := c.core.Pulse(ctx, id)
	if err != nil || r.Failed == 0 {
		return err
	}
	for _, o := range r.Renewals {
		if o.Outcome == app.OutcomeFailed {
			return fmt.Errorf("%d renewals or polls failed; “%s”: %s", r.Failed, dnCommonName(o.Subject), o.Reason)
		}
	}
	for _, o := range r.Requests {
		if o.Outcome == app.OutcomeFailed {
			return fmt.Errorf("%d renewals or polls failed; request %s: %s", r.Failed, o.RequestID, o.Reason)
		}
	}
	return fmt.Errorf("%d renewals or polls failed", r.Failed)
}

// Subscribe forwards the core's events the UI shows.
func (c *AppCore) Subscribe(fn func(Event)) func() {
	kinds := map[app.EventKind]EventKind{app.StoreChanged: StoreChanged, app.RenewalSucceeded: RenewalSucceeded,
		app.RenewalFailed: RenewalFailed, app.NotificationWindow: NotificationWindow}
	return c.core.Subscribe(func(e app.Event) {
		k, ok := kinds[e.Kind]
		if !ok {
			return
		}
		if k == StoreChanged || k == RenewalSucceeded {
			c.native.reset() // a renewal may have republished to the OS's store
		}
		fn(Event{Kind: k, Context: store.Context(e.Context), Store: store.Name(e.Store), Subject: dnCommonName(e.Subject),
			NotAfter: e.NotAfter, Days: e.Days, Err: e.Err})
	})
}

// dnCommonName returns the first CN of an RFC 4514 name, or the name itself
// when it has none (the core's records and results carry whole names; the
// UI speaks of certificates by their common name).
func dnCommonName(dn string) string {
	var parts []string
	start, escaped := 0, false
	for i, r := range dn {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == ',' || r == '+':
			parts = append(parts, dn[start:i])
			start = i + 1
		}
	}
	parts = append(parts, dn[start:])
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "CN") {
			return strings.NewReplacer(`\\`, `\`, `\,`, ",", `\+`, "+", `\=`, "=", `\;`, ";", `\"`, `"`).Replace(strings.TrimSpace(v))
		}
	}
	return dn
}

// Servers lists the policy servers of a context, with whether a password
// is saved for each.
func (c *AppCore) Servers(ctx context.Context, id store.Context) ([]Server, error) {
	ss, err := c.core.Servers(id)
	if err != nil {
		return nil, err
	}
	out := make([]Server, len(ss))
	for i, s := range ss {
		out[i] = Server{ID: s.ID, URL: s.URL, FriendlyName: s.FriendlyName, Auth: string(s.Auth),
			Username: s.Username, AutoEnroll: s.AutoEnroll,
			PasswordSaved: s.Auth == app.AuthPassword && c.core.HasPassword(ctx, id, s)}
	}
	return out, nil
}

func serverOptions(o ServerOptions) app.ServerOptions {
	return app.ServerOptions{URL: o.URL, Auth: app.Auth(o.Auth), FriendlyName: o.FriendlyName,
		Username: o.Username, Password: o.Password, AutoEnroll: o.AutoEnroll}
}

// TestServer fetches the policy of a server not registered yet.
func (c *AppCore) TestServer(ctx context.Context, id store.Context, o ServerOptions) (int, error) {
	p, err := c.core.TestServer(ctx, id, serverOptions(o))
	if err != nil {
		return 0, err
	}
	return len(usable(p)), nil
}

// AddServer registers a server; its password goes to the keyring only
// when o.SavePassword.
func (c *AppCore) AddServer(ctx context.Context, id store.Context, o ServerOptions) (Server, error) {
	ao := serverOptions(o)
	if !o.SavePassword {
		ao.Password = ""
	}
	s, err := c.core.AddServer(ctx, id, ao)
	if err != nil {
		return Server{}, err
	}
	return Server{ID: s.ID, URL: s.URL, FriendlyName: s.FriendlyName, Auth: string(s.Auth), Username: s.Username,
		AutoEnroll: s.AutoEnroll, PasswordSaved: o.SavePassword && o.Password != ""}, nil
}

// usable returns the templates of p this person may enroll for.
func usable(p *enroll.Policies) []enroll.Template {
	var out []enroll.Template
	for _, t := range p.Templates {
		if t.Usable() {
			out = append(out, t)
		}
	}
	return out
}

// Templates lists the templates of a server this person may enroll for,
// fetching a fresh policy.
func (c *AppCore) Templates(ctx context.Context, id store.Context, serverID, password string) ([]Template, error) {
	p, err := c.core.Policies(ctx, id, serverID, password, true)
	if err != nil {
		return nil, err
	}
	var out []Template
	for _, t := range usable(p) {
		kt, err := t.KeyType()
		if err != nil {
			continue // a key this client cannot make
		}
		alg := "RSA"
		if kt.Algorithm == x509.ECDSA {
			alg = "ECDSA"
		}
		out = append(out, Template{Name: t.CommonName, Validity: time.Duration(t.ValiditySeconds) * time.Second,
			KeyAlgorithm: alg, MinKeyBits: kt.Bits,
			SubjectSupplied: t.Flags.EnrolleeSuppliesSubject || t.Flags.EnrolleeSuppliesSubjectAltName})
	}
	return out, nil
}

// Enroll requests a certificate and installs it.
func (c *AppCore) Enroll(ctx context.Context, r EnrollRequest) (*EnrollResult, error) {
	res, err := c.core.Enroll(ctx, app.EnrollRequest{Context: r.Context, Server: r.Server, Template: r.Template,
		Subject: r.Subject, DNSNames: r.DNSNames, Key: r.Key, Password: r.Password})
	if err != nil {
		return nil, err
	}
	return &EnrollResult{Status: res.Status, Thumbprint: res.Thumbprint, Subject: dnCommonName(res.Subject),
		NotAfter: res.NotAfter, RequestID: res.RequestID}, nil
}

// RemoveServer unregisters a server.
func (c *AppCore) RemoveServer(ctx context.Context, id store.Context, serverID string) error {
	return c.core.RemoveServer(ctx, id, serverID)
}

// SetAutoEnroll turns a server's autoenrollment on or off.
func (c *AppCore) SetAutoEnroll(ctx context.Context, id store.Context, serverID string, on bool) error {
	return c.core.SetAutoEnroll(ctx, id, serverID, on)
}

// History returns a context's records, newest first.
func (c *AppCore) History(_ context.Context, id store.Context, outcome string) ([]HistoryRecord, error) {
	h, err := c.core.History(id)
	if err != nil {
		return nil, err
	}
	rs, err := h.Read(app.HistoryFilter{Outcome: app.Outcome(outcome)})
	if err != nil {
		return nil, err
	}
	out := make([]HistoryRecord, len(rs))
	for i, r := range rs {
		out[len(rs)-1-i] = HistoryRecord{Time: r.Time, Subject: dnCommonName(r.Subject), Action: string(r.Action),
			Outcome: string(r.Outcome), Reason: r.Reason}
	}
	return out, nil
}

// Settings returns the core's settings.
func (c *AppCore) Settings() Settings {
	s := c.core.Settings()
	return Settings{CheckInterval: s.CheckInterval, RenewalRatio: s.RenewalRatio,
		NotifyDays: slices.Clone(s.NotifyDays), StartInTray: s.StartInTray, PublishIssued: s.PublishIssued}
}

// SetSettings validates and saves the settings.
func (c *AppCore) SetSettings(s Settings) error {
	cur := c.core.Settings()
	cur.CheckInterval, cur.RenewalRatio, cur.StartInTray = s.CheckInterval, s.RenewalRatio, s.StartInTray
	cur.PublishIssued = s.PublishIssued
	cur.NotifyDays = slices.Clone(s.NotifyDays)
	return c.core.SetSettings(cur)
}

// ScheduleInstalled reports whether the OS runs pulse for a context.
func (c *AppCore) ScheduleInstalled(ctx context.Context, id store.Context) (bool, error) {
	if c.schedule == nil {
		return false, errNoSchedule
	}
	st, err := c.schedule.Status(ctx, string(id))
	return st.Installed, err
}

// SetSchedule installs or removes the OS job of a context.
func (c *AppCore) SetSchedule(ctx context.Context, id store.Context, on bool) error {
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

// PollRequests asks the CAs about the pending requests of a context.
func (c *AppCore) PollRequests(ctx context.Context, id store.Context) ([]RequestOutcome, error) {
	outcomes, err := c.core.RequestStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]RequestOutcome, len(outcomes))
	for i, o := range outcomes {
		out[i] = RequestOutcome{RequestID: o.RequestID, Subject: dnCommonName(o.Subject), Outcome: string(o.Outcome), Reason: o.Reason}
	}
	return out, nil
}

// AcceptResponse installs a CA's answer to an offline request.
func (c *AppCore) AcceptResponse(ctx context.Context, id store.Context, file string, data []byte) (store.Entry, error) {
	return c.core.RequestAccept(ctx, id, file, data)
}

// NewRequest makes a key kept in Request and returns its CSR.
func (c *AppCore) NewRequest(ctx context.Context, id store.Context, r OfflineRequest) ([]byte, error) {
	csr, _, err := c.core.RequestNew(ctx, id, app.OfflineRequest{Subject: r.Subject, DNSNames: r.DNSNames, Key: r.Key})
	return csr, err
}

// CanPublish reports whether the core's CheckTarget allows the store and
// target.
func (c *AppCore) CanPublish(id store.Context, n store.Name, target string) bool {
	return c.core.CheckTarget(id, n, app.Target(target)) == nil
}

// NativeSystem reports whether the core publishes TargetSystem to the
// OS's own certificate store.
func (c *AppCore) NativeSystem() bool { return c.core.NativeStores() }

// Delete archives an entry after the core takes it back from wherever it
// is published.
func (c *AppCore) Delete(ctx context.Context, id store.Context, n store.Name, thumbprint string) error {
	if _, ok := nativeBase(id); ok {
		return errNativeReadOnly
	}
	defer c.native.reset()
	return c.core.Delete(ctx, id, n, thumbprint)
}

// Publish publishes an entry to a target.
func (c *AppCore) Publish(ctx context.Context, id store.Context, n store.Name, thumbprint, target string) error {
	defer c.native.reset()
	_, err := c.core.Publish(ctx, id, n, thumbprint, app.Target(target))
	return err
}

// Unpublish removes an entry from a target it was published to.
func (c *AppCore) Unpublish(ctx context.Context, id store.Context, n store.Name, thumbprint, target string) error {
	defer c.native.reset()
	return c.core.Unpublish(ctx, id, n, thumbprint, app.Target(target))
}

// Publication says where an entry is published, as the core recorded it.
func (c *AppCore) Publication(_ context.Context, id store.Context, n store.Name, thumbprint string) (Publication, error) {
	if _, ok := nativeBase(id); ok {
		return Publication{}, nil // the OS's own store is where things are published to
	}
	all, err := c.core.Published(id)
	if err != nil {
		return Publication{}, err
	}
	p, ok := all[thumbprint]
	if !ok || p.Store != n {
		return Publication{}, nil
	}
	return Publication{System: p.System, Native: p.Native, Browsers: len(p.Browsers)}, nil
}
