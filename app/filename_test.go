package app

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// TestServerIDsAreFileNames: server ids become file names (policy caches,
// machine passwords), so an id from an edited servers.json that is a path
// or a Windows device name is refused before any file is touched.
func TestServerIDsAreFileNames(t *testing.T) {
	root := t.TempDir()
	s, err := store.Open(store.LocationAt(root), store.User)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../../evil", "CON", "nul.txt", "COM1", "x.", "x ", ""} {
		if err := writePolicyCache(s, id, enroll.PolicyCache{}); err == nil {
			t.Errorf("policy cache written for id %q", id)
		}
		if _, err := readPolicyCache(s, id); err == nil {
			t.Errorf("policy cache read for id %q", id)
		}
	}
	if err := writePolicyCache(s, "0a1b2c3d", enroll.PolicyCache{}); err != nil {
		t.Errorf("good id refused: %v", err)
	}

	path := filepath.Join(t.TempDir(), ServersFile)
	os.WriteFile(path, []byte(`[{"id":"AUX","url":"https://cep.example/x"}]`), 0o600)
	if _, err := readServers(path); err == nil || !strings.Contains(err.Error(), "AUX") || strings.Contains(err.Error(), "\n") {
		t.Errorf("readServers = %v, want one sentence naming AUX", err)
	}
}

// TestContextsSkipReserved: an app context made under an id Windows
// reserves does not make Contexts fail; ReservedContexts names it.
func TestContextsSkipReserved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot make the directory")
	}
	root := t.TempDir()
	for _, id := range []string{"CON", "kiosk"} {
		if err := os.MkdirAll(filepath.Join(root, "apps", id, "stores"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New(Options{Location: store.LocationAt(root)})
	if err != nil {
		t.Fatal(err)
	}
	cxs, err := c.Contexts()
	if want := []store.Context{store.User, store.Machine, "app:kiosk"}; err != nil || !slices.Equal(cxs, want) {
		t.Errorf("Contexts = %v, %v; want %v", cxs, err, want)
	}
	reserved, err := c.ReservedContexts()
	if err != nil || len(reserved) != 1 || reserved[0].ID != "CON" || reserved[0].Dir != filepath.Join(root, "apps", "CON") {
		t.Errorf("ReservedContexts = %v, %v", reserved, err)
	}
}
