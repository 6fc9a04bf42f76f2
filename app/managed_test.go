package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// writeManaged writes a managed file and reads it back.
func writeManaged(t *testing.T, body string) (*Managed, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ManagedFileName)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return ReadManaged(path)
}

func TestReadManagedHostile(t *testing.T) {
	m, err := writeManaged(t, `{
		"settings": {"renewalRatio": 0.7, "notifyDays": "30,7", "checkInterval": 5,
			"metricsDir": "relative/dir", "colour": "blue", "startInTray": true},
		"servers": [
			{"url": "https://cep.example/CEP", "username": "u", "templates": ["User"], "caFingerprint": "AB:CD"},
			{"url": "http://cep.example/CEP", "username": "u"},
			{"url": "https://ok.example/CEP", "auth": "anonymous", "autoEnroll": true, "extra": 1},
			{"url": "https://ok.example/CEP", "auth": "anonymous"},
			"a string",
			{"url": "https://ok.example/CEP", "auth": "anonymous"},
			{"url": "https://ok.example/CEP2", "auth": "anonymous", "templates": "User"},
			{"url": "https://pw.example/CEP", "username": "u", "passwordHosts": ["ces.example", "pw.example"]},
			{"url": "https://pw2.example/CEP", "auth": "anonymous", "passwordHosts": ["ces.example"]}
		],
		"policy": {}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	s := m.apply(DefaultSettings())
	if s.RenewalRatio != 0.7 || len(s.NotifyDays) != 2 || !s.StartInTray || s.CheckInterval != DefaultCheckInterval || s.MetricsDir != "" {
		t.Errorf("settings applied: %+v", s)
	}
	for _, n := range []string{"renewalRatio", "notifyDays", "startInTray"} {
		if !m.IsManaged(n) {
			t.Errorf("%s not managed", n)
		}
	}
	if m.IsManaged("checkInterval") || m.IsManaged("metricsDir") {
		t.Error("a bad value counts as managed")
	}
	if got := m.Servers(store.User); len(got) != 2 || got[0].URL != "https://ok.example/CEP" || !got[0].Managed || got[0].AutoEnroll ||
		len(got[1].PasswordHosts) != 1 || got[1].PasswordHosts[0] != "ces.example" {
		t.Errorf("servers: %+v", got)
	}
	all := strings.Join(m.Problems, "\n")
	for _, want := range []string{"checkInterval", "metricsDir", `"colour"`, "caFingerprint", "http", "extra", "server 5 ignored: an entry is not an object", "server 6 ignored: https://ok.example/CEP is listed twice", "server 7 ignored: templates", "server 9 ignored: anonymous", `"policy"`} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not name %s:\n%s", want, all)
		}
	}
	if len(m.Problems) != 11 {
		t.Errorf("%d problems:\n%s", len(m.Problems), all)
	}
	for _, p := range m.Problems {
		if strings.Contains(p, "\n") {
			t.Errorf("problem of more than one line: %q", p)
		}
	}

	for name, body := range map[string]string{
		"array":    `[]`,
		"null":     `null`,
		"not json": `{"settings":`,
		"huge":     `{"settings": {"tpm": "` + strings.Repeat("x", maxManaged) + `"}}`,
	} {
		if m, err := writeManaged(t, body); err == nil || m != nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, %v", name, m, err)
		}
	}
	for body, want := range map[string]string{
		`{"settings": []}`:                   "settings is not an object",
		`{"servers": {}}`:                    "servers is not a list",
		`{"settings": {"renewalRatio": {}}}`: "renewalRatio",
	} {
		m, err := writeManaged(t, body)
		if err != nil || len(m.Problems) != 1 || !strings.Contains(m.Problems[0], want) {
			t.Errorf("%s: %v, %v", body, m, err)
		}
	}

	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, ManagedFileName)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManaged(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlink: %v", err)
	}
	if m, err := ReadManaged(filepath.Join(dir, "missing.json")); m != nil || err != nil {
		t.Errorf("missing file: %v, %v", m, err)
	}
	if _, err := ReadManaged(dir); err == nil {
		t.Error("a directory was read")
	}
}

func TestManagedPath(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	env["CERTDESK_ROOT"] = "/r"
	if got := ManagedPath(getenv); got != filepath.Join("/r", ManagedFileName) {
		t.Errorf("under a root: %s", got)
	}
	env[ManagedEnv] = "/m.json"
	if got := ManagedPath(getenv); got != "/m.json" {
		t.Errorf("%s: %s", ManagedEnv, got)
	}
}

func TestManagedSettingsWin(t *testing.T) {
	m, err := writeManaged(t, `{"settings": {"renewalRatio": "70%"}}`)
	if err != nil {
		t.Fatal(err)
	}
	prefs := mapPrefs{prefRenewalRatio: 0.6}
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Prefs: prefs, Managed: m})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Settings().RenewalRatio; r != 0.7 {
		t.Errorf("ratio in force %g", r)
	}
	for _, s := range c.ListSettings(store.User) {
		if want := map[bool]SettingSource{true: SourceManaged, false: SourceDefault}[s.Name == "renewalRatio"]; s.Source != want {
			t.Errorf("%s: source %s", s.Name, s.Source)
		}
	}
	if err := c.SetSetting("renewalRatio", "0.9"); !errors.Is(err, ErrManagedSetting) {
		t.Errorf("set a managed setting: %v", err)
	}
	if err := c.SetSetting("notifyDays", "3"); err != nil {
		t.Fatal(err)
	}
	// The person's own ratio is kept, not replaced by the managed one.
	if prefs[prefRenewalRatio] != 0.6 || prefs[prefNotifyDays] != "3" {
		t.Errorf("saved %v", prefs)
	}
}

func TestReportManagedOnce(t *testing.T) {
	m, err := writeManaged(t, `{"settings": {"colour": 1}}`)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Managed: m})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		got, err := c.ReportManaged(store.User)
		if err != nil || len(got) != want {
			t.Errorf("report %d: %v, %v", i, got, err)
		}
	}
	h, _ := c.History(store.User)
	if recs, err := h.Read(HistoryFilter{}); err != nil || len(recs) != 1 || recs[0].Action != ActionManaged || !strings.Contains(recs[0].Reason, "colour") {
		t.Errorf("history %+v, %v", recs, err)
	}
	// Another file content is reported again.
	m2, _ := writeManaged(t, `{"settings": {"color": 1}}`)
	c.managed = m2
	if got, _ := c.ReportManaged(store.User); len(got) != 1 {
		t.Errorf("a changed file was not reported: %v", got)
	}
}

func TestManagedServerAutoEnroll(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	rootPin := e.trustRoot(t)
	managed := func(pin string) { e.setManaged(t, e.managedBody(testca.TemplateUser, pin, "{}")) }
	managed(strings.Repeat("00", sha256.Size))
	srv, err := e.core.Server(store.User, e.srv.CEPURL())
	if err != nil || !srv.Managed {
		t.Fatalf("managed server listed as %+v, %v", srv, err)
	}
	if err := e.core.RemoveServer(ctx, store.User, srv.ID); !errors.Is(err, ErrManagedServer) {
		t.Errorf("removed: %v", err)
	}
	if _, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: srv.URL, Auth: AuthAnonymous}); !errors.Is(err, ErrManagedServer) {
		t.Errorf("replaced: %v", err)
	}
	if _, err := e.core.UpdateServer(ctx, store.User, srv.ID, ServerUpdate{AutoEnroll: new(false)}); !errors.Is(err, ErrManagedServer) {
		t.Errorf("updated: %v", err)
	}
	pw := testca.DefaultPassword
	if _, err := e.core.UpdateServer(ctx, store.User, srv.ID, ServerUpdate{Password: &pw}); err != nil {
		t.Fatalf("the person's password of a managed server: %v", err)
	}
	// A pin the server's chain does not hold: nothing is sent.
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 1 || len(rep.Enrollments) != 1 || !strings.Contains(rep.Enrollments[0].Reason, "pins") {
		t.Fatalf("wrong pin: %+v, %v", rep, err)
	}
	managed(rootPin)
	if err := e.core.ResetRetry(ctx, store.User, autoPrefix+srv.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Enrollments) != 1 || rep.Enrollments[0].Template != testca.TemplateUser || rep.Enrollments[0].Outcome != OutcomeOK {
		t.Fatalf("right pin: %+v, %v", rep, err)
	}
}

// TestManagedContexts: servers and metricsDir of a context's section
// apply to that context alone; the top-level servers to every context. A
// managed metricsDir of the machine context is where its pulse writes,
// shown as managed there, while the user context keeps the person's.
func TestManagedContexts(t *testing.T) {
	mdir, udir := t.TempDir(), t.TempDir()
	m, err := writeManaged(t, `{
		"servers": [{"url": "https://all.example/CEP", "auth": "anonymous"}],
		"contexts": {
			"machine": {"metricsDir": "`+mdir+`", "servers": [
				{"url": "https://machine.example/CEP", "auth": "anonymous"},
				{"url": "https://all.example/CEP", "auth": "anonymous"}]},
			"user": {"metricsDir": "relative", "colour": 1},
			"kiosk": {}
		}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(m.Problems, "\n")
	for _, want := range []string{"context machine: server 2 ignored: https://all.example/CEP is listed twice", "context user: metricsDir ignored",
		`context user: unknown key "colour"`, `contexts: "kiosk" ignored`} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not name %s:\n%s", want, all)
		}
	}
	if len(m.Problems) != 4 {
		t.Errorf("%d problems:\n%s", len(m.Problems), all)
	}
	prefs := mapPrefs{}
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Prefs: prefs, Managed: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetSetting("metricsDir", udir); err != nil {
		t.Fatal(err)
	}
	for cx, want := range map[store.Context][]string{
		store.Machine: {"https://all.example/CEP", "https://machine.example/CEP"},
		store.User:    {"https://all.example/CEP"},
	} {
		list, err := c.Servers(cx)
		var got []string
		for _, s := range list {
			got = append(got, s.URL)
		}
		if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s servers %v, %v", cx, got, err)
		}
	}
	if _, err := c.AddServer(context.Background(), store.User, ServerOptions{URL: "https://machine.example/CEP", Auth: AuthAnonymous}); err != nil {
		t.Errorf("the person cannot add in the user context a server only the machine's section manages: %v", err)
	}
	for cx, want := range map[store.Context]SettingInfo{
		store.Machine: {Value: mdir, Source: SourceManaged},
		store.User:    {Value: udir, Source: SourcePerson},
	} {
		for _, s := range c.ListSettings(cx) {
			if s.Name == "metricsDir" && (s.Value != want.Value || s.Source != want.Source) {
				t.Errorf("%s metricsDir %+v", cx, s)
			}
		}
	}
	ctx := context.Background()
	for cx, dir := range map[store.Context]string{store.Machine: mdir, store.User: udir} {
		if _, err := c.Pulse(ctx, cx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, MetricsFileName(cx))); err != nil {
			t.Errorf("%s metrics: %v", cx, err)
		}
	}
	if _, err := os.Stat(filepath.Join(udir, MetricsFileName(store.Machine))); err == nil {
		t.Error("the machine context wrote into the person's metricsDir")
	}
}
