package app

import (
	"os"
	"path/filepath"
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
