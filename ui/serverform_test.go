package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// caCore is the fake core with a CA to show (CAFetcher), a test result to
// give, and the options of every AddServer.
type caCore struct {
	*fakeCore
	ca      *x509.Certificate
	testErr error
	added   []app.ServerOptions
	trusted []string
}

func (c *caCore) TrustServerCA(_ context.Context, _ store.Context, ref string) (app.Server, error) {
	c.trusted = append(c.trusted, ref)
	return app.Server{}, nil
}

func (c *caCore) ServerCA(context.Context, store.Context, app.ServerOptions) (*x509.Certificate, error) {
	return c.ca, nil
}

func (c *caCore) TestServer(ctx context.Context, cx store.Context, o app.ServerOptions) (*enroll.Policies, error) {
	if c.testErr != nil {
		return nil, c.testErr
	}
	return c.fakeCore.TestServer(ctx, cx, o)
}

func (c *caCore) AddServer(ctx context.Context, cx store.Context, o app.ServerOptions) (app.Server, error) {
	c.added = append(c.added, o)
	return c.fakeCore.AddServer(ctx, cx, o)
}

// newFormEnv opens the servers view in an 800×600 window over core and
// its Add dialog.
func newFormEnv(t *testing.T, core ServerManager) (*serversView, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	s := newServersView(core, w, &tasks{inline: true}, func() store.Context { return store.User })
	w.SetContent(s.content)
	w.Resize(fyne.NewSize(800, 600))
	test.Tap(s.add)
	return s, w
}

// TestServerFormProtocolFromURL: the protocol follows the address's shape
// (app.ProtocolForURL) until the person chooses one.
func TestServerFormProtocolFromURL(t *testing.T) {
	s, _ := newFormEnv(t, &caCore{fakeCore: newFakeCore()})
	f := s.form
	for u, want := range map[string]app.Protocol{
		"https://ndes.corp.example/certsrv/mscep/mscep.dll": app.ProtocolSCEP,
		"https://est.corp.example/.well-known/est":          app.ProtocolEST,
		"https://cep.corp.example/CEP":                      app.ProtocolCEP,
	} {
		f.url.SetText(u)
		if got := protocolOf(f.protocol.Selected); got != want {
			t.Errorf("%s: %s, want %s", u, got, want)
		}
	}
	f.protocol.SetSelected(protocolLabel(app.ProtocolSCEP))
	f.url.SetText("https://est.corp.example/.well-known/est")
	if got := protocolOf(f.protocol.Selected); got != app.ProtocolSCEP {
		t.Errorf("the address overrode the person's choice: %s", got)
	}
}

// TestServerFormFingerprint: an EST server's CA fingerprint is fetched
// and shown; Save waits for the person to confirm it, then the pin is
// saved with the server.
func TestServerFormFingerprint(t *testing.T) {
	f := newFixtures(t)
	c := &caCore{fakeCore: newFakeCore(), ca: f.root}
	s, w := newFormEnv(t, c)
	form := s.form
	if !form.fetch.Disabled() || !strings.Contains(form.fingerprint.Text, "CEP server") {
		t.Errorf("CEP: fetch enabled %v, %q", !form.fetch.Disabled(), form.fingerprint.Text)
	}
	form.url.SetText("https://est.corp.example/.well-known/est")
	form.username.SetText("u")
	test.Tap(form.fetch)
	pin := app.Fingerprint(f.root)
	if !strings.Contains(strings.ReplaceAll(form.fingerprint.Text, "\n        ", ""), colonHex(pin)) || form.confirmPin.Disabled() || form.confirmPin.Checked {
		t.Fatalf("fingerprint %q, confirm disabled %v", form.fingerprint.Text, form.confirmPin.Disabled())
	}
	tapOverlayButton(t, w, "Save")
	if len(c.added) != 0 || !strings.Contains(form.status.Text, "Confirm the CA fingerprint") {
		t.Fatalf("saved without confirmation: %+v %q", c.added, form.status.Text)
	}
	form.confirmPin.SetChecked(true)
	tapOverlayButton(t, w, "Save")
	tapOverlayButton(t, w, "Send my password")
	if len(c.added) != 1 || !reflect.DeepEqual(c.added[0].ConfirmedHosts, []string{"est.corp.example"}) || c.added[0].CAFingerprint != pin || c.added[0].Protocol != app.ProtocolEST || len(c.trusted) != 1 {
		t.Fatalf("added %+v, trusted %v", c.added, c.trusted)
	}
}

// TestServerFormTestBeforeSave: a new server that fails its test is not
// saved silently: the person reads why and goes back, or saves anyway.
func TestServerFormTestBeforeSave(t *testing.T) {
	c := &caCore{fakeCore: newFakeCore(), testErr: errors.New("connection refused")}
	s, w := newFormEnv(t, c)
	s.form.url.SetText("https://cep.corp.example/CEP")
	s.form.username.SetText("u")
	tapOverlayButton(t, w, "Save")
	if text := overlayText(t, w); !strings.Contains(text, "Connection refused") || len(c.added) != 0 {
		t.Fatalf("after a failed test: %q, added %+v", text, c.added)
	}
	tapOverlayButton(t, w, "Go back")
	if s.form.url.Text != "https://cep.corp.example/CEP" || !strings.Contains(overlayText(t, w), "Test connection") {
		t.Fatalf("not back in the form: %q", overlayText(t, w))
	}
	tapOverlayButton(t, w, "Save")
	tapOverlayButton(t, w, "Save anyway")
	if len(c.added) != 1 {
		t.Fatalf("Save anyway saved %+v", c.added)
	}
	// Test connection in the form says what the server offers.
	test.Tap(s.add)
	c.testErr = nil
	s.form.url.SetText("https://cep.corp.example/CEP")
	test.Tap(s.form.test)
	if !strings.Contains(s.form.status.Text, "Connected: the server offers 0 templates") {
		t.Errorf("test says %q", s.form.status.Text)
	}
}

// TestServerFormFits: the dialog fits an 800×600 window, also with a
// fetched CA and a long failure.
func TestServerFormFits(t *testing.T) {
	f := newFixtures(t)
	c := &caCore{fakeCore: newFakeCore(), ca: f.root}
	s, _ := newFormEnv(t, c)
	s.form.url.SetText("https://est.corp.example/.well-known/est")
	test.Tap(s.form.fetch)
	c.testErr = errors.New(strings.Repeat("the server said something long and unhelpful ", 8))
	test.Tap(s.form.test)
	if m := s.form.d.MinSize(); m.Width > 800 || m.Height > 580 {
		t.Errorf("the Add dialog needs %v", m)
	}
}

// TestServerFormRealEST drives the dialog over the real core against
// testca's EST endpoint: fetch and confirm the CA, test, save, trust.
func TestServerFormRealEST(t *testing.T) {
	e := newRealEnv(t)
	s := e.v.servers
	test.Tap(s.add)
	f := s.form
	root := e.fetchEST(t, f)
	f.confirmPin.SetChecked(true)
	tapOverlayButton(t, e.w, "Save")
	list, err := e.core.Servers(store.User)
	if err != nil || len(list) != 1 || list[0].Protocol != app.ProtocolEST || list[0].CAPin != app.Fingerprint(root) {
		t.Fatalf("servers %+v %v (%s)", list, err, overlayText(t, e.w))
	}
	if d := serverDetail(s.servers[0]); !strings.Contains(d, "EST (RFC 7030)") {
		t.Errorf("list detail %q", d)
	}
	if list[0].TrustedCA != store.Thumbprint(root.Raw) {
		t.Errorf("the confirmed CA is not trusted: %+v", list[0])
	}
}

// fetchEST fills form f with testca's EST endpoint, anonymous, checks the
// protocol follows the address and fetches the CA; it returns testca's
// root, whose fingerprint the form shows.
func (e *realEnv) fetchEST(t *testing.T, f *serverForm) *x509.Certificate {
	t.Helper()
	f.url.SetText(e.srv.ESTURL())
	f.auth.SetSelected(authLabels[app.AuthAnonymous])
	if protocolOf(f.protocol.Selected) != app.ProtocolEST {
		t.Fatalf("protocol %s", f.protocol.Selected)
	}
	test.Tap(f.fetch)
	root := e.srv.CA().Root()
	if !strings.Contains(strings.ReplaceAll(f.fingerprint.Text, "\n        ", ""), colonHex(app.Fingerprint(root))) {
		t.Fatalf("fingerprint %q", f.fingerprint.Text)
	}
	return root
}

// TestServerFormEditKeepsProtocolAndPin: editing an EST server keeps its
// protocol and pin and trusts nothing again.
func TestServerFormEditKeepsProtocolAndPin(t *testing.T) {
	c := &caCore{fakeCore: newFakeCore()}
	s, w := newFormEnv(t, c)
	tapOverlayButton(t, w, "Cancel")
	pin := strings.Repeat("ab", 32)
	s.showForm(serverRow{Server: app.Server{ID: "e1", URL: "https://est.corp.example/.well-known/est", Protocol: app.ProtocolEST,
		Auth: app.AuthAnonymous, CAPin: pin}})
	if !s.form.protocol.Disabled() || protocolOf(s.form.protocol.Selected) != app.ProtocolEST || !s.form.confirmPin.Checked {
		t.Fatalf("edit form: protocol %q disabled %v, pin confirmed %v", s.form.protocol.Selected, s.form.protocol.Disabled(), s.form.confirmPin.Checked)
	}
	s.form.name.SetText("devices")
	tapOverlayButton(t, w, "Save")
	if len(c.added) != 1 || c.added[0].Protocol != app.ProtocolEST || c.added[0].CAFingerprint != pin || len(c.trusted) != 0 {
		t.Fatalf("added %+v, trusted %v", c.added, c.trusted)
	}
}
