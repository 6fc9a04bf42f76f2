package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/store"
)

// TestPublishCLIErrors: bad usage exits 2, a failed operation 1, each
// with one line on stderr, and nothing is published.
func TestPublishCLIErrors(t *testing.T) {
	setupRoot(t)
	t.Setenv("HOME", t.TempDir()) // never the real browser databases
	ca, leaf, _ := testCert(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "leaf.cer"), leaf.Raw, 0o600)
	os.WriteFile(filepath.Join(dir, "ca.cer"), ca.Raw, 0o600)
	for _, a := range [][]string{{"store", "import", dir + "/leaf.cer"}, {"store", "import", "-store", "Root", dir + "/ca.cer"}} {
		if code, _, e := runCLIStdin(t, "", a...); code != 0 {
			t.Fatal(e)
		}
	}
	leafT, caT := store.Thumbprint(leaf.Raw), store.Thumbprint(ca.Raw)
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no target", []string{"store", "publish", caT}, 2, "-to system or -to browsers"},
		{"unknown target", []string{"store", "publish", "-to", "desktop", caT}, 2, "-to system or -to browsers"},
		{"no thumbprint", []string{"store", "publish", "-to", "browsers"}, 2, "needs one thumbprint"},
		{"two thumbprints", []string{"store", "unpublish", "-to", "browsers", caT, leafT}, 2, "needs one thumbprint"},
		{"system from user", []string{"store", "publish", "-to", "system", "-context", "user", caT}, 2, "machine context"},
		{"system from machine My", []string{"store", "publish", "-to", "system", "-store", "My", caT}, 2, "Root and CA stores"},
		{"browsers from CA store", []string{"store", "publish", "-to", "browsers", "-store", "CA", caT}, 2, "Root and My stores"},
		{"browsers from machine", []string{"store", "unpublish", "-to", "browsers", "-context", "machine", "-store", "Root", caT}, 2, "user context"},
		{"bad context", []string{"store", "publish", "-to", "browsers", "-context", "app:../x", caT}, 2, ""},
		{"bad thumbprint", []string{"store", "publish", "-to", "browsers", "-store", "Root", "xyz"}, 1, "xyz"},
		{"wrong store", []string{"store", "publish", "-to", "browsers", caT}, 1, "no such entry"},
		{"no private key", []string{"store", "publish", "-to", "browsers", leafT}, 1, "no private key"},
		{"not in machine Root", []string{"store", "unpublish", "-to", "system", caT}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLIStdin(t, "", tt.args...)
			first, _, _ := strings.Cut(errs, "\n")
			if code != tt.code || !strings.Contains(first, tt.err) || !strings.HasPrefix(errs, "certdesk: ") {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if tt.code == 1 && strings.Count(errs, "\n") != 1 {
				t.Fatalf("want one line, got %q", errs)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("HOME"), ".pki")); err == nil {
		t.Fatal("a failed publish created the browser database")
	}
}
