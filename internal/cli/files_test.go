//go:build unix

package cli

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// hostile runs certdesk with a failure guard (a FIFO or device must never
// block it) and checks the refusal: exit 1, one line on stderr naming
// want, the store tree under root unchanged.
func hostile(t *testing.T, root, want string, args ...string) {
	t.Helper()
	before := hashTree(t, root)
	type res struct {
		code      int
		out, errs string
	}
	done := make(chan res, 1)
	go func() {
		code, out, errs := runCLIStdin(t, "", args...)
		done <- res{code, out, errs}
	}()
	var r res
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("certdesk %s blocked", strings.Join(args, " "))
	}
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stdout %q stderr %q", r.code, r.out, r.errs)
	}
	if lines := strings.Split(strings.TrimSuffix(r.errs, "\n"), "\n"); len(lines) != 1 || !strings.Contains(r.errs, want) {
		t.Fatalf("stderr %q: want one line naming %q", r.errs, want)
	}
	if after := hashTree(t, root); after != before {
		t.Fatal("the store tree changed")
	}
}

// TestImportRefusesNonRegular: import, -password-file and request accept
// of a FIFO, a directory or a device fail at once with one sentence.
func TestImportRefusesNonRegular(t *testing.T) {
	root := setupRoot(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	_, leaf, _ := testCert(t)
	good := filepath.Join(dir, "c.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"fifo", []string{"store", "import", fifo}, fifo},
		{"directory", []string{"store", "import", dir}, dir},
		{"device", []string{"store", "import", "/dev/zero"}, "/dev/zero"},
		{"fifo password file", []string{"store", "import", "-password-file", fifo, good}, fifo},
		{"fifo request accept", []string{"request", "accept", fifo}, fifo},
	} {
		t.Run(tc.name, func(t *testing.T) { hostile(t, root, tc.want, tc.args...) })
	}
}

// TestExportOut: -out - is standard output; an existing file only with
// -force; a non-regular target never, force or not.
func TestExportOut(t *testing.T) {
	root := setupRoot(t)
	dir := t.TempDir()
	_, leaf, _ := testCert(t)
	in := filepath.Join(dir, "c.pem")
	os.WriteFile(in, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", in); code != 0 {
		t.Fatal(e)
	}
	thumb := store.Thumbprint(leaf.Raw)
	existing := filepath.Join(dir, "existing.pem")
	os.WriteFile(existing, []byte("keep me"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(existing, link)
	export := func(out string, extra ...string) []string {
		return append([]string{"store", "export", thumb, "-format", "pem", "-out", out}, extra...)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"existing without -force", export(existing)},
		{"fifo with -force", export(fifo, "-force")},
		{"symlink with -force", export(link, "-force")},
		{"device with -force", export("/dev/null", "-force")},
		{"directory with -force", export(dir, "-force")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hostile(t, root, tc.args[len(tc.args)-1-boolInt(tc.args[len(tc.args)-1] == "-force")], tc.args...)
			if b, _ := os.ReadFile(existing); string(b) != "keep me" {
				t.Fatalf("existing file changed: %q", b)
			}
		})
	}
	if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode().IsRegular() {
		t.Fatal("/dev/null replaced")
	}
	code, _, e := runCLIStdin(t, "", export(existing, "-force")...)
	if b, _ := os.ReadFile(existing); code != 0 || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatalf("-force: exit %d %q, file %q", code, e, b)
	}
	if fi, _ := os.Stat(existing); fi.Mode().Perm() != 0o600 {
		t.Fatalf("-force kept mode %v", fi.Mode())
	}
	code, out, e := runCLIStdin(t, "", export("-")...)
	if code != 0 || !strings.HasPrefix(out, "-----BEGIN CERTIFICATE") || e != "" {
		t.Fatalf("-out -: exit %d stdout %q stderr %q", code, out, e)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Fatal("-out - created a file named -")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestNoSymlinkUnderRoot: a symbolic link planted at history.jsonl or at
// the context's lock file is refused, never followed.
func TestNoSymlinkUnderRoot(t *testing.T) {
	root := setupRoot(t)
	dir := t.TempDir()
	_, leaf, _ := testCert(t)
	in := filepath.Join(dir, "c.pem")
	os.WriteFile(in, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600)
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("victim\n"), 0o600)
	for _, tc := range []struct {
		name, at string
		args     []string
	}{
		{"history", filepath.Join(root, "state", "user", app.HistoryFile), []string{"history"}},
		{"lock", filepath.Join(root, "user", ".lock"), []string{"store", "import", in}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.MkdirAll(filepath.Dir(tc.at), 0o700)
			os.Remove(tc.at)
			if err := os.Symlink(victim, tc.at); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(tc.at)
			hostile(t, root, tc.at, tc.args...)
			if b, _ := os.ReadFile(victim); string(b) != "victim\n" {
				t.Fatalf("victim changed: %q", b)
			}
		})
	}
}
