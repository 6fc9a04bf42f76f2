package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestESTThroughTheCLI: server add -protocol est with the CA pinned,
// templates, enroll without -template, renew, and a pending request
// approved by "testca approve" and installed by request status.
func TestESTThroughTheCLI(t *testing.T) {
	setupRoot(t)
	dir := t.TempDir()
	ca, srv := startTestCA(t, testca.Config{Dir: dir})
	add := func(url string) app.Server {
		t.Helper()
		code, out, errs := runCLIStdin(t, testca.DefaultPassword+"\n", "server", "add", "-protocol", "est", "-url", url, "-auth", "password",
			"-username", testca.DefaultUser, "-password-stdin", "-ca-file", ca.RootFile(), "-trust-ca",
			"-ca-fingerprint", app.Fingerprint(ca.Root()), "-json")
		var s app.Server
		if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.Protocol != app.ProtocolEST {
			t.Fatalf("server add: %d %s %s", code, out, errs)
		}
		return s
	}
	s := add(srv.ESTURL())
	if code, out, errs := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK || !strings.Contains(out, "EST") {
		t.Errorf("templates: %d %s %s", code, out, errs)
	}
	code, out, errs := runCLIStdin(t, "", "enroll", "-server", s.ID, "-subject", "CN=host.example.test", "-dns", "host.example.test", "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Status != app.StatusIssued {
		t.Fatalf("enroll: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLIStdin(t, "", "renew", res.Thumbprint); code != exitOK {
		t.Errorf("renew: %d %s %s", code, out, errs)
	}
	p := add(srv.ESTURL() + "/" + testca.TemplatePendAll)
	code, out, errs = runCLIStdin(t, "", "enroll", "-server", p.ID, "-subject", "CN=alice", "-json")
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Status != app.StatusPending {
		t.Fatalf("pending enroll: %d %s %s", code, out, errs)
	}
	pend, _ := ca.Pending()
	if len(pend) != 1 {
		t.Fatalf("%d pending at the CA", len(pend))
	}
	if code, out, errs := runCLIStdin(t, "", "testca", "approve", "-dir", dir, pend[0].ID); code != exitOK {
		t.Fatalf("testca approve: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLIStdin(t, "", "request", "status"); code != exitOK || !strings.Contains(out, "issued: installed") {
		t.Errorf("request status: %d %s %s", code, out, errs)
	}
	// An http:// EST URL: one sentence, nothing added.
	code, _, errs = runCLIStdin(t, "", "server", "add", "-protocol", "est", "-url", "http://est.example.test/.well-known/est")
	if code != exitFail || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "https") {
		t.Errorf("http EST: %d %q", code, errs)
	}
}
