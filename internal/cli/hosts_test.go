package cli

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
)

// hostServer starts testca for the host tests and returns it with the
// host ("localhost:port") SetExtraCESHost("localhost") brings in.
func hostServer(t *testing.T, cfg testca.Config) (*testca.CA, *testca.Server, string) {
	t.Helper()
	ca, srv := startTestCA(t, cfg)
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	return ca, srv, net.JoinHostPort("localhost", port)
}

// "server add" names every host of the policy that will receive the
// password; adding confirms them, so enrolling there needs nothing more.
func TestServerAddListsPasswordHosts(t *testing.T) {
	setupRoot(t)
	ca, srv, extra := hostServer(t, testca.Config{})
	srv.SetExtraCESHost("localhost")
	s, stderr := addPasswordServer(t, ca, srv.CEPURL())
	if want := "Your password will be sent to: " + srv.Addr().String() + ", " + extra + "\n"; stderr != want {
		t.Fatalf("server add said %q, want %q", stderr, want)
	}
	if n := srv.RequestsTo(extra); n != 0 {
		t.Fatalf("server add sent %d requests to %s", n, extra)
	}
	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser); code != exitOK {
		t.Fatalf("enroll: %d %s", code, stderr)
	}
}

// With the server down, "server add" still adds, with the CEP's host only,
// and says so in one line.
func TestServerAddPolicyUnreachable(t *testing.T) {
	setupRoot(t)
	ca, srv, _ := hostServer(t, testca.Config{})
	url := srv.CEPURL()
	srv.Close()
	s, stderr := addPasswordServer(t, ca, url)
	if !strings.HasPrefix(stderr, "Your password will be sent to: "+srv.Addr().String()+" (the policy could not be fetched") ||
		!strings.Contains(stderr, "confirm-hosts -context user "+s.ID) || len(s.PasswordHosts) != 0 {
		t.Fatalf("server add said %q, added %+v", stderr, s)
	}
}

// A policy update that names a CES on another host: enroll exits 1 with
// one line naming the host and the command, sends nothing there and
// changes no store; "server confirm-hosts" prints and confirms it.
func TestServerConfirmHosts(t *testing.T) {
	root := setupRoot(t)
	ca, srv, extra := hostServer(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	srv.SetExtraCESHost("localhost")
	if code, _, stderr := runCLIStdin(t, "", "templates", "-server", s.ID, "-refresh"); code != exitOK {
		t.Fatalf("templates -refresh: %d %s", code, stderr)
	}
	stores := filepath.Join(root, "user")
	before := hashTree(t, stores)
	code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser)
	if code != exitFail || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, extra) ||
		!strings.Contains(stderr, "certdesk server confirm-hosts -context user "+s.ID) {
		t.Fatalf("enroll with a new CES host: %d %q", code, stderr)
	}
	if n := srv.RequestsTo(extra); n != 0 {
		t.Errorf("%d requests went to %s", n, extra)
	}
	if hashTree(t, stores) != before {
		t.Error("the refused enrollment changed the context's files")
	}

	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"confirms the new host", []string{s.ID}, exitOK, "server " + s.ID + ": confirmed " + extra + "; the password goes to " + srv.Addr().String() + ", " + extra + "\n"},
		{"again: nothing new", []string{s.ID}, exitOK, "nothing new to confirm"},
		{"no id", nil, exitUsage, "needs one server id"},
		{"unknown server", []string{"nope"}, exitFail, "no such policy server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLIStdin(t, "", append([]string{"server", "confirm-hosts"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+stderr, tt.out) {
				t.Fatalf("exit %d, out %q, stderr %q; want %d and %q", code, out, stderr, tt.code, tt.out)
			}
			if code == exitFail && strings.Count(stderr, "\n") != 1 {
				t.Errorf("more than one line: %q", stderr)
			}
		})
	}
	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser); code != exitOK {
		t.Fatalf("enroll after confirm-hosts: %d %s", code, stderr)
	}
	if srv.RequestsTo(extra) == 0 {
		t.Error("the confirmed host, preferred by the policy, was not used")
	}
}

// A headless pulse whose password renewal would go to a new host: exit 1,
// one line naming the host, the context's files untouched, the history
// says why; after "server confirm-hosts" the next pulse renews at once.
func TestPulseRefusesUnconfirmedHost(t *testing.T) {
	root := setupRoot(t)
	// ShortLived certificates are due a second after issuance; without
	// key-based renewal the renewal uses the password.
	ca, srv, extra := hostServer(t, testca.Config{ShortValidity: 2 * time.Hour, ShortRenewal: 2*time.Hour - time.Second})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateShortLived); code != exitOK {
		t.Fatalf("enroll: %d %s", code, stderr)
	}
	srv.SetExtraCESHost("localhost")
	if code, _, stderr := runCLIStdin(t, "", "templates", "-server", s.ID, "-refresh"); code != exitOK {
		t.Fatalf("templates -refresh: %d %s", code, stderr)
	}
	time.Sleep(1100 * time.Millisecond) // due (real clock: this is the CLI)
	files := filepath.Join(root, "user")
	before := hashTree(t, files)
	code, _, stderr := runCLIStdin(t, "", "pulse")
	if code != exitFail || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, extra) || !strings.Contains(stderr, "retried after") {
		t.Fatalf("pulse: %d %q", code, stderr)
	}
	if n := srv.RequestsTo(extra); n != 0 {
		t.Errorf("%d requests went to %s", n, extra)
	}
	if hashTree(t, files) != before {
		t.Error("the refused renewal changed the context's files")
	}
	if code, out, _ := runCLIStdin(t, "", "history", "-outcome", "failed"); code != exitOK || !strings.Contains(out, "renew") || !strings.Contains(out, extra) {
		t.Errorf("history: %s", out)
	}
	if code, _, stderr := runCLIStdin(t, "", "server", "confirm-hosts", s.ID); code != exitOK {
		t.Fatalf("confirm-hosts: %d %s", code, stderr)
	}
	if code, out, stderr := runCLIStdin(t, "", "pulse"); code != exitOK || !strings.Contains(out, "1 renewed") {
		t.Fatalf("pulse after confirm-hosts: %d %s %s", code, out, stderr)
	}
}
