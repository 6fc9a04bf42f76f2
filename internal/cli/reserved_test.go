package cli

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReservedNamesRefused: Windows device names and names ending in a dot
// or space are refused as contexts and store names on every OS, with one
// line on stderr and the store tree unchanged.
func TestReservedNamesRefused(t *testing.T) {
	root := setupRoot(t)
	dir := t.TempDir()
	_, leaf, key := testCert(t)
	pemFile := filepath.Join(dir, "c.pem")
	os.WriteFile(pemFile, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), mustPKCS8(key)...), 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", pemFile); code != 0 {
		t.Fatal(e)
	}
	before := hashTree(t, root)
	tests := []struct {
		name string
		args []string
	}{
		{"context CON", []string{"store", "list", "-context", "app:CON"}},
		{"context nul.txt", []string{"store", "list", "-context", "app:nul.txt"}},
		{"context COM1", []string{"store", "import", "-context", "app:com1", pemFile}},
		{"context LPT9", []string{"store", "list", "-context", "app:LPT9"}},
		{"context trailing dot", []string{"store", "import", "-context", "app:vpn.", pemFile}},
		{"store PRN", []string{"store", "import", "-store", "PRN", pemFile}},
		{"store aux", []string{"store", "import", "-store", "aux", pemFile}},
		{"store Nul", []string{"store", "list", "-store", "Nul"}},
		{"store COM9", []string{"store", "import", "-store", "COM9", pemFile}},
		{"store lpt1", []string{"store", "list", "-store", "lpt1"}},
		{"store trailing space", []string{"store", "import", "-store", "mine ", pemFile}},
		{"server context AUX", []string{"server", "list", "-context", "app:AUX"}},
		{"schedule context CON", []string{"schedule", "status", "-context", "app:CON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, e := runCLIStdin(t, "", tt.args...)
			if (code != 1 && code != 2) || strings.Count(e, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 or 2 and one line", code, e)
			}
			if after := hashTree(t, root); after != before {
				t.Error("the store tree changed")
			}
		})
	}
}
