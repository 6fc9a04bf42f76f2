package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/cli"
	"github.com/certdesk/certdesk/internal/demo"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/store"
)

const (
	realUser     = "kiosk@certdesk.test"
	realPassword = "kiosk-Passw0rd"
)

// needKeyring skips a test when no Secret Service is reachable, unless
// REQUIRE_SECRET_SERVICE=1 (scripts/with-keyring.sh, CI), where it fails.
func needKeyring(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	err := keyring.Set(ctx, keyring.Service, "certdesk-ui-test-probe", "x")
	if err == nil {
		_ = keyring.Delete(ctx, keyring.Service, "certdesk-ui-test-probe")
		return
	}
	if os.Getenv("REQUIRE_SECRET_SERVICE") == "1" {
		t.Fatalf("REQUIRE_SECRET_SERVICE=1 but the keyring is unreachable: %v", err)
	}
	t.Skipf("no Secret Service (run under scripts/with-keyring.sh): %v", err)
}

// The tests of this file run a real core against testca over HTTPS. Its
// HTTP client goroutines read crypto/rand while they close, with no
// happens-before edge to anything a later test does, so a later test's
// cryptotest.SetGlobalRandom (newFixtures) would be reported by the race
// detector. Go runs test files in name order: this file's name keeps it
// after every file that calls newFixtures.

// waitHTTPClosed waits until the HTTP client connections of the core have
// seen the server close: their goroutines send a TLS alert with
// crypto/rand, which must not overlap a later test's
// cryptotest.SetGlobalRandom.
func waitHTTPClosed(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !bytes.Contains(buf[:runtime.Stack(buf, true)], []byte("net/http.(*persistConn)")) {
			return
		}
	}
	t.Log("HTTP client connections still open after 5 s")
}

// realEnv is the main window over a real app.Core (real stores, the real
// OS keyring) and an in-process testca over HTTPS on loopback whose root
// the user context trusts.
type realEnv struct {
	v    *mainView
	w    fyne.Window
	core *app.Core
	srv  *testca.Server
}

func newRealEnv(t *testing.T) *realEnv {
	t.Helper()
	needKeyring(t)
	ca, err := testca.New(testca.Config{Dir: t.TempDir(), Users: map[string]string{realUser: realPassword}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		waitHTTPClosed(t)
	})
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), HTTPTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := core.Store(store.User)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(context.Background(), "root.pem", ca.RootPEM(), store.ImportOptions{TrustRoots: true}); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newMainView(a, w, newAppCore(core, nil), time.Now, &tasks{inline: true})
	w.SetContent(v.content)
	w.Resize(fyne.NewSize(1280, 800))
	return &realEnv{v: v, w: w, core: core, srv: srv}
}

// addServerInWizard opens the wizard, adds the testca with its password
// saved in the keyring, and stops on the template step.
func (e *realEnv) addServerInWizard(t *testing.T) *wizard {
	t.Helper()
	test.Tap(e.v.requestButton)
	z := e.v.wizard
	if z == nil || z.serverPick == nil {
		t.Fatal("the wizard did not open on the server step")
	}
	if got := z.serverPick.Options; len(got) != 0 {
		t.Fatalf("servers %q, want none", got)
	}
	test.Tap(z.addServer)
	f := z.form
	f.url.SetText(e.srv.CEPURL())
	f.name.SetText("Test CA")
	f.username.SetText(realUser)
	f.password.SetText(realPassword)
	test.Tap(f.test)
	if !strings.Contains(f.status.Text, "Connected: the server offers") {
		t.Fatalf("test connection: %q", f.status.Text)
	}
	tapOverlayButton(t, e.w, "Save")
	if got, want := overlayText(t, e.w), "Your password will be sent to: "+e.srv.Addr().String()+"."; !strings.Contains(got, want) {
		t.Fatalf("the confirmation says %q, want %q", got, want)
	}
	tapOverlayButton(t, e.w, "Send my password")
	t.Cleanup(func() {
		for _, s := range mustServers(t, e.core) {
			_ = e.core.RemoveServer(context.Background(), store.User, s.ID) // and its keyring entry
		}
	})
	if z.title.Text != "Template" {
		t.Fatalf("step %q: %q", z.title.Text, z.status.Text)
	}
	srv := mustServers(t, e.core)
	if len(srv) != 1 || !e.core.HasPassword(context.Background(), store.User, srv[0]) {
		t.Fatalf("servers %+v: want one with its password in the keyring", srv)
	}
	return z
}

func mustServers(t *testing.T, c *app.Core) []app.Server {
	t.Helper()
	s, err := c.Servers(store.User)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *realEnv) entries(t *testing.T, n store.Name) []store.Entry {
	t.Helper()
	s, err := e.core.Store(store.User)
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.List(context.Background(), n, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestRealWizardPasswordIssued(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	for _, want := range []string{testca.TemplateUser, testca.TemplateWebServer, testca.TemplatePendAll} {
		if !strings.Contains(strings.Join(z.templatePick.Options, ","), want) {
			t.Errorf("templates %q lack %s", z.templatePick.Options, want)
		}
	}
	z.templatePick.SetSelected(testca.TemplateUser)
	if !strings.Contains(z.templateInfo.Text, "The CA fills in the name") {
		t.Errorf("template info %q", z.templateInfo.Text)
	}
	test.Tap(z.next)
	if z.title.Text != "Key" || z.keyPick.Selected != "RSA 2048" {
		t.Fatalf("step %q, key %q", z.title.Text, z.keyPick.Selected)
	}
	test.Tap(z.next) // the summary
	test.Tap(z.next)
	if z.title.Text != "Done" || !strings.Contains(z.result.Text, "was issued and installed in Personal") {
		t.Fatalf("step %q: %s", z.title.Text, overlayText(t, e.w))
	}
	my := e.entries(t, store.My)
	if len(my) != 1 || !my[0].HasKey || my[0].Meta.TemplateName != testca.TemplateUser {
		t.Fatalf("My holds %+v", my)
	}
	test.Tap(z.openDetails)
	if r, ok := e.v.browser.current(); !ok || r.Thumbprint != my[0].Thumbprint {
		t.Errorf("the issued certificate is not selected in the browser")
	}
}

// TestRealWizardNewCESHost: a policy that now names a CES on another
// host stops the request before anything is sent there; the person's
// yes confirms the host and the request goes through.
func TestRealWizardNewCESHost(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	_, port, _ := strings.Cut(e.srv.Addr().String(), ":")
	newHost := "localhost:" + port
	e.srv.SetExtraCESHost("localhost")
	srv := mustServers(t, e.core)[0]
	if _, err := e.core.Policies(context.Background(), store.User, srv.ID, "", true); err != nil {
		t.Fatal(err)
	}
	z.templatePick.SetSelected(testca.TemplateUser)
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.next)
	if got := overlayText(t, e.w); !strings.Contains(got, "now names "+newHost) {
		t.Fatalf("no question about the new host: step %q, dialog %q", z.title.Text, got)
	}
	if n := e.srv.RequestsTo(newHost); n != 0 || len(e.entries(t, store.My)) != 0 {
		t.Fatalf("before the yes: %d requests to %s", n, newHost)
	}
	tapOverlayButton(t, e.w, "Send my password")
	if z.title.Text != "Done" {
		t.Fatalf("step %q: %s", z.title.Text, overlayText(t, e.w))
	}
	if n := e.srv.RequestsTo(newHost); n == 0 {
		t.Errorf("the request did not go to the confirmed host %s", newHost)
	}
	if got := mustServers(t, e.core)[0].ConfirmedHosts(); !slices.Contains(got, newHost) {
		t.Errorf("confirmed hosts %q lack %s", got, newHost)
	}
}

// TestRealServerTestUsesSavedPassword: Test on a registered password
// server signs in with the saved password, as enrollment does (it used to
// send none and fail with FailedAuthentication).
func TestRealServerTestUsesSavedPassword(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	test.Tap(z.cancel)
	sv := e.v.servers
	sv.reload()
	sv.list.Select(0)
	test.Tap(sv.test)
	if !strings.HasPrefix(sv.status.Text, "Connected: Test CA") {
		t.Fatalf("Test on the registered server: %q", sv.status.Text)
	}
}

func TestRealWizardPending(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplatePendAll)
	for _, want := range []string{"For: Client Authentication, Secure Email", "Needs approval by a CA manager"} {
		if !strings.Contains(z.templateInfo.Text, want) {
			t.Errorf("template info %q lacks %q", z.templateInfo.Text, want)
		}
	}
	test.Tap(z.next)
	test.Tap(z.next)
	if got := strings.Join(labelTexts(z.body), " | "); z.title.Text != "Summary" || !strings.Contains(got, "Needs approval by a CA manager") {
		t.Fatalf("step %q: %s", z.title.Text, got)
	}
	test.Tap(z.next)
	if z.title.Text != "Request pending" || !strings.Contains(z.result.Text, "is waiting for a CA administrator") || z.openDetails.Visible() {
		t.Fatalf("step %q: %s", z.title.Text, overlayText(t, e.w))
	}
	if req := e.entries(t, store.Request); len(req) != 1 || len(e.entries(t, store.My)) != 0 {
		t.Errorf("Request holds %d entries, My %d; want the pending key in Request only", len(req), len(e.entries(t, store.My)))
	}
	// The Pending tab lists it without a manual reload.
	if r := e.v.requests; len(r.entries) != 1 || r.entries[0].Meta.TemplateName != testca.TemplatePendAll {
		t.Errorf("the Pending tab lists %d requests after the wizard", len(r.entries))
	}
	// A CA manager approves it; a background check (the scheduler's pulse,
	// not Check now) installs it, and the status bar says so.
	id := e.entries(t, store.Request)[0].Meta.RequestID
	if _, err := e.srv.CA().Approve(id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Pulse(context.Background(), store.User); err != nil {
		t.Fatal(err)
	}
	want := "Request " + id + " was approved: “" + realUser + "” is installed in Personal."
	if got := e.v.checked.Text; !strings.HasPrefix(got, "User, ") || !strings.HasSuffix(got, want) {
		t.Errorf("status bar %q, want %q", got, want)
	}
	if my := e.entries(t, store.My); len(my) != 1 {
		t.Errorf("My holds %d certificates after the approval", len(my))
	}
}

func TestRealWizardSubjectValidation(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplateWebServer)
	test.Tap(z.next)
	if z.title.Text != "Name of the certificate" || !z.next.Disabled() {
		t.Fatalf("step %q, next disabled %v", z.title.Text, z.next.Disabled())
	}
	test.Type(z.commonName, "kiosk01,corp")
	if !strings.Contains(z.status.Text, "The name may not contain") || !z.next.Disabled() {
		t.Errorf("bad name: status %q, next disabled %v", z.status.Text, z.next.Disabled())
	}
	z.commonName.SetText("kiosk01.certdesk.test")
	z.dnsNames.SetText("kiosk01.certdesk.test\nbad_name!")
	if z.status.Text != "“bad_name!” is not a DNS name." || !z.next.Disabled() {
		t.Errorf("bad DNS name: status %q, next disabled %v", z.status.Text, z.next.Disabled())
	}
	z.dnsNames.SetText("kiosk01.certdesk.test\nkiosk01")
	if z.next.Disabled() {
		t.Fatalf("valid subject: %q", z.status.Text)
	}
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.next)
	if z.title.Text != "Done" || !strings.Contains(z.result.Text, "kiosk01.certdesk.test") {
		t.Fatalf("step %q: %s", z.title.Text, overlayText(t, e.w))
	}
	my := e.entries(t, store.My)
	if len(my) != 1 || strings.Join(my[0].SANs, ",") != "DNS:kiosk01.certdesk.test,DNS:kiosk01" {
		t.Errorf("My holds %+v", my)
	}
}

// TestRealWizardSlowServerCancellable: while a slow CA keeps the request
// waiting, the window stays responsive (Request returns at once, the
// search box filters) and Cancel ends the request well before the CA
// would have answered, installing nothing.
func TestRealWizardSlowServerCancellable(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplateUser)
	test.Tap(z.next)
	test.Tap(z.next)
	const delay = 8 * time.Second
	e.srv.SetDelay(delay)
	e.v.tasks.inline = false // from here on work runs off the UI thread, as in the app

	t0 := time.Now()
	test.Tap(z.next)
	if d := time.Since(t0); d > delay/4 || z.title.Text != "Requesting" || z.cancel.Disabled() {
		t.Fatalf("Request took %v and shows %q (cancel disabled %v)", d, z.title.Text, z.cancel.Disabled())
	}
	// The window answers while the CA thinks.
	t1 := time.Now()
	test.Type(e.v.browser.search, "nothing matches this")
	if d := time.Since(t1); d > delay/4 || len(e.v.browser.rows) != 0 {
		t.Errorf("search took %v, rows %d", d, len(e.v.browser.rows))
	}
	time.Sleep(300 * time.Millisecond) // the request is on the wire
	t2 := time.Now()
	test.Tap(z.cancel)
	e.v.tasks.wait()
	if d := time.Since(t2); d > 3*time.Second {
		t.Errorf("cancel took %v with a %v CA delay", d, delay)
	}
	if z.title.Text != "Requesting" || time.Since(t0) >= delay {
		t.Errorf("after cancel the wizard shows %q, %v after Request", z.title.Text, time.Since(t0))
	}
	e.srv.SetDelay(0)
	if my := e.entries(t, store.My); len(my) != 0 {
		t.Errorf("a cancelled request installed %d certificates", len(my))
	}
}

// TestDemoStarts: the demo's CA, root and account work without touching
// the OS keyring, and its ShortLived certificate is linked for renewal.
func TestDemoStarts(t *testing.T) {
	d, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := d.Dir
	defer func() {
		d.Close()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("the demo left %s behind", dir)
		}
	}()
	ac := newAppCore(d.Core, nil)
	servers, err := listServers(context.Background(), ac, store.User)
	if err != nil || len(servers) != 3 {
		t.Fatalf("servers %+v, %v", servers, err)
	}
	protocols := map[app.Protocol]bool{}
	for _, s := range servers {
		if !s.passwordSaved || s.Username != demo.User {
			t.Errorf("server %+v", s)
		}
		protocols[s.Protocol] = true
	}
	if len(protocols) != 3 {
		t.Errorf("the demo's protocols: %v", protocols)
	}
	my, err := ac.List(context.Background(), store.User, store.My)
	if err != nil || len(my) != 1 || my[0].Meta.TemplateName != testca.TemplateShortLived || my[0].Meta.PolicyServer == "" {
		t.Fatalf("My %+v, %v", my, err)
	}
	if o, err := ac.Renew(context.Background(), store.User, my[0].Thumbprint); err != nil || renewalProblem(o) != nil {
		t.Fatalf("renew now: %v", err)
	}
	if rep, err := ac.Pulse(context.Background(), store.User); err != nil || pulseProblem(rep) != nil {
		t.Fatalf("check now: %v", err)
	}
	for _, s := range servers { // NDES and EST enroll from the demo too
		if s.Protocol != app.ProtocolCEP {
			if _, err := d.Core.Enroll(context.Background(), app.EnrollRequest{Context: store.User, Server: s.ID, Subject: "CN=demo-" + string(s.Protocol)}); err != nil {
				t.Errorf("enroll through %s: %v", s.FriendlyName, err)
			}
		}
	}
	data, err := os.ReadFile(d.PFX)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ac.Import(context.Background(), store.User, filepath.Base(d.PFX), data, store.ImportOptions{Password: demo.PFXPassword})
	if err != nil || res == nil {
		t.Fatalf("import the sample PFX: %v", err)
	}
	if !strings.Contains(d.Describe(), d.Location.Data) || !strings.Contains(d.Describe(), demo.Password) {
		t.Errorf("Describe: %s", d.Describe())
	}
	if err := ac.SetSchedule(context.Background(), store.User, true); err == nil {
		t.Errorf("the demo installed an OS schedule")
	}
}

// TestRealWizardSlowTemplatesCancellable: Cancel while a slow server is
// asked for its templates closes the wizard at once and abandons the call.
func TestRealWizardSlowTemplatesCancellable(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	test.Tap(z.cancel)
	const delay = 8 * time.Second
	e.srv.SetDelay(delay)
	defer e.srv.SetDelay(0)
	e.v.tasks.inline = false

	test.Tap(e.v.requestButton)
	e.v.tasks.wait() // the servers come from the local list
	z = e.v.wizard
	if z.title.Text != "Policy server" {
		t.Fatalf("step %q", z.title.Text)
	}
	t0 := time.Now()
	test.Tap(z.next) // asks the slow server for its templates
	if d := time.Since(t0); d > delay/4 || !z.next.Disabled() {
		t.Fatalf("Next took %v (disabled while loading: %v)", d, z.next.Disabled())
	}
	time.Sleep(300 * time.Millisecond)
	test.Tap(z.cancel)
	e.v.tasks.wait()
	if d := time.Since(t0); d >= delay/2 {
		t.Errorf("the templates call ran on for %v after Cancel", d)
	}
	if z.title.Text != "Policy server" || !strings.HasPrefix(z.status.Text, "Asking ") {
		t.Errorf("a closed wizard moved on to %q: %q", z.title.Text, z.status.Text)
	}
}

// TestAppCoreEvents: the core's events reach the UI as the core sent
// them until it unsubscribes, and the main view shows only the kinds a
// person is told about.
func TestAppCoreEvents(t *testing.T) {
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Keyring: demo.NewMemoryKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	var got []app.Event
	stop := newAppCore(core, nil).Subscribe(func(e app.Event) { got = append(got, e) })
	sent := []app.Event{
		{Kind: app.RenewalDue, Context: "user", Subject: "CN=due"},
		{Kind: app.RenewalSucceeded, Context: "user", Store: "My", Subject: "CN=kiosk01,O=Example"},
		{Kind: app.NotificationWindow, Context: "user", Subject: "CN=vpn", Days: 7},
	}
	for _, e := range sent {
		core.Bus().Publish(e)
	}
	stop()
	core.Bus().Publish(app.Event{Kind: app.StoreChanged, Context: "user", Store: "My"})
	if len(got) != len(sent) {
		t.Fatalf("events %+v, want %+v", got, sent)
	}
	for i := range sent {
		if got[i].Kind != sent[i].Kind || got[i].Subject != sent[i].Subject {
			t.Errorf("event %d: %+v, want %+v", i, got[i], sent[i])
		}
	}
}

// TestRealRenewNowAndCheckNow: the toolbar's Renew now renews the issued
// certificate through the CA (the old one archived), and Check now runs a
// pulse without complaint.
func TestRealRenewNowAndCheckNow(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplateUser)
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.openDetails)
	old, ok := e.v.browser.current()
	if !ok || !e.v.renewButton.Visible() || e.v.renewButton.Disabled() {
		t.Fatalf("the issued certificate is not selected with Renew now enabled")
	}
	test.Tap(e.v.renewButton)
	if txt := overlayText(t, e.w); !strings.Contains(txt, "was renewed; the old certificate is archived") {
		t.Fatalf("after Renew now: %s", txt)
	}
	tapOverlayButton(t, e.w, "OK")
	my := e.entries(t, store.My)
	if len(my) != 1 || my[0].Thumbprint == old.Thumbprint {
		t.Fatalf("My holds %+v; want one new certificate", my)
	}
	test.Tap(e.v.checkButton)
	if e.w.Canvas().Overlays().Top() != nil {
		t.Errorf("Check now left a dialog: %s", overlayText(t, e.w))
	}
}

// TestRealTemplatesAgreeWithCLI: the wizard offers exactly the templates
// "certdesk templates -json" marks enroll (app.UsableTemplates), and for
// each of them the keys of app.KeyChoices.
func TestRealTemplatesAgreeWithCLI(t *testing.T) {
	e := newRealEnv(t)
	z := e.addServerInWizard(t)
	t.Setenv(store.RootEnv, e.core.Location().Data)
	var out, errb bytes.Buffer
	if code := cli.Run([]string{"templates", "-server", z.server.ID, "-json"}, strings.NewReader(""), &out, &errb, nil); code != 0 {
		t.Fatalf("certdesk templates: %d %s", code, errb.String())
	}
	var rows []struct {
		Name   string `json:"name"`
		Enroll bool   `json:"enroll"`
	}
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	var cliNames []string
	for _, r := range rows {
		if r.Enroll {
			cliNames = append(cliNames, r.Name)
		}
	}
	if gui := z.templatePick.Options; !slices.Equal(gui, cliNames) || len(gui) == 0 {
		t.Fatalf("the wizard offers %q, certdesk templates marks %q", gui, cliNames)
	}
	for _, tmpl := range z.templates {
		z.templatePick.SetSelected(tmpl.CommonName)
		test.Tap(z.next)
		if z.title.Text == "Name of the certificate" {
			z.commonName.SetText("kiosk01.example.test")
			test.Tap(z.next)
		}
		var want []string
		for _, k := range app.KeyChoices(&tmpl) {
			want = append(want, k.Type.String())
		}
		if z.title.Text != "Key" || !slices.Equal(z.keyPick.Options, want) {
			t.Errorf("%s: step %q, keys %q, want %q", tmpl.CommonName, z.title.Text, z.keyPick.Options, want)
		}
		z.showTemplates()
	}
}

// TestRealWizardAddEST adds testca's EST endpoint from the wizard through
// the server form: the protocol follows the address, the CA fingerprint
// is fetched and confirmed, and the wizard goes on to the templates of
// the new server.
func TestRealWizardAddEST(t *testing.T) {
	e := newRealEnv(t)
	test.Tap(e.v.requestButton)
	z := e.v.wizard
	if z == nil || z.addServer == nil {
		t.Fatal("the wizard did not open on the server step")
	}
	test.Tap(z.addServer)
	f := z.form
	root := e.fetchEST(t, f)
	// Save with a fetched CA not confirmed does not save.
	tapOverlayButton(t, e.w, "Save")
	if list := mustServers(t, e.core); len(list) != 0 || !strings.Contains(f.status.Text, "Confirm the CA fingerprint") {
		t.Fatalf("saved without the confirmed CA: %+v, %q", list, f.status.Text)
	}
	f.confirmPin.SetChecked(true)
	tapOverlayButton(t, e.w, "Save")
	list := mustServers(t, e.core)
	if len(list) != 1 || list[0].Protocol != app.ProtocolEST || list[0].CAPin != app.Fingerprint(root) || list[0].TrustedCA != store.Thumbprint(root.Raw) {
		t.Fatalf("servers %+v (%s)", list, overlayText(t, e.w))
	}
	if z.title.Text != "Template" || z.server.ID != list[0].ID {
		t.Fatalf("step %q with %+v: %q", z.title.Text, z.server, z.status.Text)
	}
	if got := z.serverPick.Options; len(got) != 1 {
		t.Errorf("the server step lists %q", got)
	}
	if len(z.templatePick.Options) == 0 {
		t.Errorf("no template offered by the EST server")
	}
}
