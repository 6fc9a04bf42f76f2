package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestCoreCLIUsageAndErrors: bad usage exits 2, failures exit 1, each with
// one line on stderr; neither needs a server or a keyring.
func TestCoreCLIUsageAndErrors(t *testing.T) {
	setupRoot(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"server without verb", []string{"server"}, exitUsage, "needs one of"},
		{"server add without url", []string{"server", "add", "-auth", "anonymous"}, exitUsage, "needs -url"},
		{"server add bad auth", []string{"server", "add", "-url", "https://ca.example/CEP", "-auth", "kerberos"}, exitUsage, "unknown -auth"},
		{"server add http password", []string{"server", "add", "-url", "http://ca.example/CEP", "-auth", "password", "-username", "u"}, exitFail, "plain http"},
		{"server remove unknown", []string{"server", "remove", "nope"}, exitFail, "no such policy server"},
		{"bad context", []string{"pulse", "-context", "system"}, exitUsage, "system"},
		{"pulse argument", []string{"pulse", "extra"}, exitUsage, "no arguments"},
		{"templates without server", []string{"templates"}, exitUsage, "needs -server"},
		{"enroll without template", []string{"enroll", "-server", "x"}, exitUsage, "-template NAME"},
		{"enroll unknown server", []string{"enroll", "-server", "x", "-template", "User"}, exitFail, "no such policy server"},
		{"request new without out", []string{"request", "new", "-subject", "CN=x"}, exitUsage, "-out"},
		{"request accept missing file", []string{"request", "accept", "/nonexistent/x.cer"}, exitFail, "x.cer"},
		{"hook bad thumbprint", []string{"hook", "set", "zz"}, exitUsage, ""},
		{"hook unknown verb", []string{"hook", "frob", "AA"}, exitUsage, "unknown hook verb"},
		{"testca serve bad empty-policies", []string{"testca", "serve", "-empty-policies", "sometimes"}, exitUsage, "once or always"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLIStdin(t, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if code == exitFail && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("more than one line: %q", stderr)
			}
		})
	}
	if code, out, _ := runCLIStdin(t, "", "pulse", "-json"); code != exitOK || !strings.Contains(out, `"renewals": []`) {
		t.Errorf("empty pulse: %d %s", code, out)
	}
}

// TestCoreCLIFlow drives server add, templates, enroll, hook, request,
// pulse against testca over HTTPS with the real keyring.
func TestCoreCLIFlow(t *testing.T) {
	setupRoot(t)
	// ShortLived certificates are due a second after issuance, so every
	// pulse renews them.
	ca, srv := startTestCA(t, testca.Config{KBR: true, ShortValidity: 2 * time.Hour, ShortRenewal: 2*time.Hour - time.Second})
	add := []string{"server", "add", "-url", srv.CEPURL(), "-auth", "password", "-username", testca.DefaultUser,
		"-password-stdin", "-ca-file", ca.RootFile(), "-json"}
	if code, _, stderr := runCLIStdin(t, testca.DefaultPassword+"\n", add...); code != exitFail || !strings.Contains(stderr, "-trust-ca") && !strings.Contains(stderr, "confirm") {
		t.Fatalf("add without -trust-ca: %d %q", code, stderr)
	}
	code, out, stderr := runCLIStdin(t, testca.DefaultPassword+"\n", append(add, "-trust-ca")...)
	if code != exitOK {
		t.Fatalf("server add: %d %s", code, stderr)
	}
	var s app.Server
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.ID == "" || strings.Contains(out, testca.DefaultPassword) {
		t.Fatalf("server add -json: %s %v", out, err)
	}
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates: %d %s", code, out)
	}
	code, out, stderr = runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateShortLived, "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Status != app.StatusIssued {
		t.Fatalf("enroll: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser, "-subject", "CN=x"); code != exitFail || !strings.Contains(stderr, "drop -subject") {
		t.Fatalf("enroll with a subject the template builds: %d %q", code, stderr)
	}
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	if code, _, stderr := runCLIStdin(t, "", "hook", "set", res.Thumbprint, "-cert", certFile, "--", "true"); code != exitOK {
		t.Fatalf("hook set: %s", stderr)
	}
	time.Sleep(1100 * time.Millisecond) // the certificate becomes due (real clock: this is the CLI)
	code, out, stderr = runCLIStdin(t, "", "pulse", "-json")
	var rep app.PulseReport
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != app.OutcomeOK {
		t.Fatalf("pulse: %d %s %s", code, out, stderr)
	}
	if _, err := os.Stat(certFile); err != nil {
		t.Errorf("hook did not write the certificate: %v", err)
	}
	// With the server down, the next pulse fails: exit 1, one line.
	srv.Close()
	time.Sleep(1100 * time.Millisecond)
	code, _, stderr = runCLIStdin(t, "", "pulse")
	if code != exitFail || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "retried after") {
		t.Fatalf("pulse with the server down: %d %q", code, stderr)
	}
	// Within the backoff the next pulse waits, and says so by its exit
	// status; -retry tries at once.
	if code, out, _ := runCLIStdin(t, "", "pulse", "-json"); code != exitFail || !strings.Contains(out, `"retrying": 1`) {
		t.Fatalf("pulse within the backoff: %d %s", code, out)
	}
	if code, _, _ := runCLIStdin(t, "", "pulse", "-retry"); code != exitFail {
		t.Fatalf("pulse -retry with the server down: %d", code)
	}
	if code, out, _ := runCLIStdin(t, "", "history", "-outcome", "failed"); code != exitOK || !strings.Contains(out, "renew") {
		t.Errorf("history: %s", out)
	}
	code, _, stderr = runCLIStdin(t, "", "request", "new", "-subject", "CN=offline", "-out", filepath.Join(dir, "r.csr"))
	if code != exitOK {
		t.Fatalf("request new: %s", stderr)
	}
	if code, _, stderr := runCLIStdin(t, "", "request", "accept", ca.RootFile()); code != exitFail || !strings.Contains(stderr, "no pending request") {
		t.Fatalf("request accept of a foreign certificate: %d %q", code, stderr)
	}
	if code, out, _ := runCLIStdin(t, "", "server", "list"); code != exitOK || !strings.Contains(out, s.ID) {
		t.Errorf("server list: %s", out)
	}
	if code, _, stderr := runCLIStdin(t, "", "server", "remove", s.ID); code != exitOK {
		t.Errorf("server remove: %s", stderr)
	}
}
