package cli

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
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

// TestReservedContextOnDisk: naming an app context that an older certdesk
// made under an id Windows reserves says, in one line, where its
// certificates are and how to rename it; the other verbs still work.
func TestReservedContextOnDisk(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot make the directory")
	}
	root := setupRoot(t)
	dir := filepath.Join(root, "apps", "CON")
	if err := os.MkdirAll(filepath.Join(dir, "stores", "My"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"store", "list", "-context", "app:CON"},
		{"history", "-context", "app:CON"},
		{"pulse", "-context", "app:con"},
	} {
		code, _, e := runCLIStdin(t, "", args...)
		wantDir := dir
		if args[len(args)-1] == "app:con" {
			wantDir = "" // another id; on a case-sensitive disk nothing is there
		}
		switch {
		case code != exitUsage || strings.Count(e, "\n") != 1:
			t.Errorf("%v: exit %d, stderr %q; want %d and one line", args, code, e, exitUsage)
		case !strings.Contains(e, "device name Windows reserves"):
			t.Errorf("%v: %q does not say why", args, e)
		case wantDir != "" && (!strings.Contains(e, wantDir) || !strings.Contains(e, "rename") || !strings.Contains(e, "-context app:app-CON")):
			t.Errorf("%v: %q does not say how to rename %s", args, e, wantDir)
		case wantDir == "" && strings.Contains(e, "rename"):
			t.Errorf("%v: %q offers a rename of nothing", args, e)
		}
	}
	if code, _, e := runCLIStdin(t, "", "store", "list"); code != 0 {
		t.Errorf("store list of the user context: %d %s", code, e)
	}
}
