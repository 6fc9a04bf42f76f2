package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestServerSetReplaceTest: a second "server add" of a URL is refused
// (nothing dropped) unless -replace; "server set" changes single fields;
// "server test" fetches the policy with the saved password.
func TestServerSetReplaceTest(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	if code, _, errs := runCLIStdin(t, "", "server", "set", s.ID, "-name", "Corp <CA>", "-autoenroll=true", "-kbr-url", "https://kbr.example/CEP"); code != exitOK {
		t.Fatalf("server set: %d %s", code, errs)
	}
	code, _, errs := runCLIStdin(t, testca.DefaultPassword+"\n", "server", "add", "-url", srv.CEPURL(), "-auth", "password",
		"-username", testca.DefaultUser, "-password-stdin")
	if code != exitFail || !strings.Contains(errs, "already registered") || !strings.Contains(errs, "-replace") {
		t.Fatalf("second add: %d %q", code, errs)
	}
	code, out, _ := runCLIStdin(t, "", "server", "list", "-json")
	var list []app.Server
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("server list: %d %s", code, out)
	}
	if got := list[0]; got.FriendlyName != "Corp <CA>" || !got.AutoEnroll || got.KBRURL != "https://kbr.example/CEP" || got.TrustedCA == "" {
		t.Fatalf("after set and a refused add: %+v", got)
	}
	if strings.Contains(out, `\u003c`) {
		t.Errorf("JSON escapes HTML: %s", out)
	}
	if code, _, errs := runCLIStdin(t, "\n", "server", "set", s.ID, "-password-stdin"); code != exitUsage || !strings.Contains(errs, "empty") {
		t.Fatalf("set an empty password: %d %q", code, errs)
	}
	if code, _, errs := runCLIStdin(t, testca.DefaultPassword+"\n", "server", "set", s.ID, "-password-stdin"); code != exitOK {
		t.Fatalf("set the password: %d %q", code, errs)
	}
	code, out, errs = runCLIStdin(t, "", "server", "test", s.ID, "-json")
	var r serverTestResult
	if code != exitOK || json.Unmarshal([]byte(out), &r) != nil || r.Templates == 0 || len(r.PasswordHosts) == 0 {
		t.Fatalf("server test: %d %s %s", code, out, errs)
	}
	code, _, errs = runCLIStdin(t, testca.DefaultPassword+"\n", "server", "add", "-url", srv.CEPURL(), "-auth", "password",
		"-username", testca.DefaultUser, "-password-stdin", "-replace")
	if code != exitOK {
		t.Fatalf("add -replace: %d %s", code, errs)
	}
}

// TestServerRemoveWithoutKeyring: an anonymous server has no password to
// delete, so removing it needs no keyring.
func TestServerRemoveWithoutKeyring(t *testing.T) {
	setupRoot(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	if code, _, errs := runCLIStdin(t, "", "server", "add", "-url", "https://ca.example/CEP", "-auth", "anonymous"); code != exitOK {
		t.Fatalf("server add: %d %s", code, errs)
	}
	if code, out, errs := runCLIStdin(t, "", "server", "remove", app.ServerID("https://ca.example/CEP")); code != exitOK || !strings.Contains(out, "removed") {
		t.Fatalf("server remove: %d %s", code, errs)
	}
}

// TestRenewAndPulseDryRun: "renew THUMBPRINT" renews at once; "pulse
// -dry-run" lists what is due and changes nothing; -q prints nothing.
func TestRenewAndPulseDryRun(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{ShortValidity: 2 * time.Hour, ShortRenewal: 2*time.Hour - time.Second})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	code, out, errs := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateShortLived, "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("enroll: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLIStdin(t, "", "renew", res.Thumbprint, "-json")
	var o app.RenewalOutcome
	if code != exitOK || json.Unmarshal([]byte(out), &o) != nil || o.Outcome != app.OutcomeOK || o.NewThumbprint == "" {
		t.Fatalf("renew: %d %s %s", code, out, errs)
	}
	time.Sleep(1100 * time.Millisecond) // the renewed certificate becomes due
	code, out, _ = runCLIStdin(t, "", "pulse", "-dry-run", "-json")
	var plan []app.PlannedRenewal
	if code != exitOK || json.Unmarshal([]byte(out), &plan) != nil || len(plan) != 1 || plan[0].Action != app.PlanRenew {
		t.Fatalf("pulse -dry-run: %d %s", code, out)
	}
	before := srv.RequestsTo(app.HostOf(srv.CEPURL()))
	if code, out, _ := runCLIStdin(t, "", "pulse", "-dry-run"); code != exitOK || !strings.Contains(out, "would renew "+o.NewThumbprint) {
		t.Fatalf("pulse -dry-run: %d %s", code, out)
	}
	if after := srv.RequestsTo(app.HostOf(srv.CEPURL())); after != before {
		t.Fatalf("pulse -dry-run sent %d requests", after-before)
	}
	if code, out, errs := runCLIStdin(t, "", "pulse", "-q"); code != exitOK || out != "" {
		t.Fatalf("pulse -q: %d %q %q", code, out, errs)
	}
	if code, _, errs := runCLIStdin(t, "", "renew", "AB"); code != exitUsage && code != exitFail || !strings.Contains(errs, "AB") {
		t.Fatalf("renew of nothing: %d %q", code, errs)
	}
}
