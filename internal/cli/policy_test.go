package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

// "templates -refresh" fetches the policy in full (no lastUpdate), so does
// the first use of the policy after "pulse -retry", and an empty answer
// keeps the cached templates.
func TestTemplatesRefreshFetchesInFull(t *testing.T) {
	setupRoot(t)
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus: run under scripts/with-keyring.sh")
	}
	ca, err := testca.New(testca.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, out, stderr := runCLIStdin(t, testca.DefaultPassword+"\n", "server", "add", "-url", srv.CEPURL(), "-auth", "password",
		"-username", testca.DefaultUser, "-password-stdin", "-ca-file", ca.RootFile(), "-trust-ca", "-json")
	if code != exitOK {
		t.Fatalf("server add: %d %s", code, stderr)
	}
	var s app.Server
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates: %d %s", code, out)
	}
	n := len(srv.PolicyRequests())
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID, "-refresh"); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates -refresh: %d %s", code, out)
	}
	lus := srv.PolicyRequests()
	if len(lus) != n+1 || !lus[n].IsZero() {
		t.Fatalf("templates -refresh sent %v; want one request without lastUpdate", lus[n:])
	}
	// pulse -retry makes the next use of the cached policy a full fetch.
	if code, _, stderr := runCLIStdin(t, "", "pulse", "-retry"); code != exitOK {
		t.Fatalf("pulse -retry: %d %s", code, stderr)
	}
	n = len(srv.PolicyRequests())
	if code, _, _ := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK {
		t.Fatalf("templates after pulse -retry: %d", code)
	}
	if lus := srv.PolicyRequests(); len(lus) != n+1 || !lus[n].IsZero() {
		t.Fatalf("templates after pulse -retry sent %v; want one request without lastUpdate", lus[n:])
	}
	srv.SetEmptyPolicies(testca.EmptyPoliciesOnce)
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID, "-refresh"); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates -refresh over an empty answer: %d %s", code, out)
	}
	if code, out, _ := runCLIStdin(t, "", "history", "-json"); code != exitOK || !strings.Contains(out, `"policy"`) {
		t.Errorf("the empty answer is not in the history: %s", out)
	}
}
