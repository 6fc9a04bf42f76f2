package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

func TestParseInterleavedFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPos  []string
		wantJSON bool
		wantCtx  string
	}{
		{"flags first", []string{"-json", "-context", "machine", "AB"}, []string{"AB"}, true, "machine"},
		{"flags after positional", []string{"AB", "-json"}, []string{"AB"}, true, "user"},
		{"between positionals", []string{"a", "-context=app:x", "b"}, []string{"a", "b"}, false, "app:x"},
		{"double dash keeps dashes", []string{"--", "-json"}, []string{"-json"}, false, "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cmd{stderr: new(bytes.Buffer)}
			fs := c.newFlags("test")
			js := fs.Bool("json", false, "")
			ctx := fs.String("context", "user", "")
			pos, code, ok := c.parseOrExit(fs, tt.args)
			if !ok {
				t.Fatalf("parse failed with code %d", code)
			}
			if !reflect.DeepEqual(pos, tt.wantPos) || *js != tt.wantJSON || *ctx != tt.wantCtx {
				t.Errorf("got %q json=%v ctx=%s", pos, *js, *ctx)
			}
		})
	}
}

func TestParseBadFlagIsUsage(t *testing.T) {
	c := &cmd{stderr: new(bytes.Buffer)}
	fs := c.newFlags("test")
	if _, code, ok := c.parseOrExit(fs, []string{"-nope"}); ok || code != exitUsage {
		t.Fatalf("ok=%v code=%d, want usage error", ok, code)
	}
	if _, code, ok := c.parseOrExit(c.newFlags("x"), []string{"-h"}); ok || code != exitOK {
		t.Fatalf("-h: ok=%v code=%d, want exit 0", ok, code)
	}
}

func TestReadPassword(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pw")
	if err := os.WriteFile(f, []byte("s3cret\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cmd{stdin: strings.NewReader("from-stdin\r\n")}
	tests := []struct {
		name    string
		file    string
		stdin   bool
		want    string
		wantErr string
	}{
		{"file first line", f, false, "s3cret", ""},
		{"stdin strips newline", "", true, "from-stdin", ""},
		{"none", "", false, "", ""},
		{"both", f, true, "", "not both"},
		{"missing file", filepath.Join(dir, "nope"), false, "", "cannot read password file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.readPassword(tt.file, tt.stdin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"unknown verb", []string{"frobnicate"}, exitUsage, "unknown verb"},
		{"help", []string{"-h"}, exitOK, "usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(tt.args, strings.NewReader(""), &out, &errb, nil)
			if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.out) {
				t.Fatalf("code %d, out %q %q", code, out.String(), errb.String())
			}
		})
	}
}

// runCLI runs the command line in-process with empty standard input.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, strings.NewReader(""), &out, &errb, nil)
	return out.String(), errb.String(), code
}

// startTestCA starts testca (cfg.Dir defaults to a temporary directory)
// over HTTPS on loopback for a test that needs the keyring; it is closed
// when the test ends.
func startTestCA(t *testing.T, cfg testca.Config) (*testca.CA, *testca.Server) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus: run under scripts/with-keyring.sh")
	}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	ca, err := testca.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return ca, srv
}

// addPasswordServer runs "server add" for the CEP url of ca with the
// password on stdin, trusting ca's root, and returns the server and what
// it said on stderr (one line: the hosts that receive the password).
func addPasswordServer(t *testing.T, ca *testca.CA, url string) (app.Server, string) {
	t.Helper()
	code, out, stderr := runCLIStdin(t, testca.DefaultPassword+"\n", "server", "add", "-url", url, "-auth", "password",
		"-username", testca.DefaultUser, "-password-stdin", "-ca-file", ca.RootFile(), "-trust-ca", "-json")
	var s app.Server
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("server add: %d %s %s", code, out, stderr)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("server add printed %q; want one line", stderr)
	}
	return s, stderr
}
