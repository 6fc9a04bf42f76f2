package cli

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/certdesk/certdesk/store"
)

// importTestCert imports testCert's leaf (with key, chain trusted) into
// user/My and returns its thumbprint.
func importTestCert(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ca, leaf, key := testCert(t)
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{ca}, "pw")
	if err := os.WriteFile(filepath.Join(dir, "c.pfx"), pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLIStdin(t, "pw", "store", "import", "-password-stdin", "-trust-roots", dir+"/c.pfx"); code != exitOK {
		t.Fatalf("import: %s", errs)
	}
	return store.Thumbprint(leaf.Raw)
}

// TestErrorsNameWhatOnce: each error names the thing and the reason once.
func TestErrorsNameWhatOnce(t *testing.T) {
	setupRoot(t)
	const missing = "0123456789ABCDEF0123456789ABCDEF01234567"
	tests := []struct {
		name string
		args []string
		want string
		once string
	}{
		{"show a missing entry", []string{"store", "show", missing}, missing, missing},
		{"hook remove of a missing hook", []string{"hook", "remove", missing}, "no deploy hook", missing},
		{"request new with a bad subject", []string{"request", "new", "-subject", "x", "-out", "-"}, `"x"`, `subject "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLIStdin(t, "", tt.args...)
			if code != exitFail || !strings.Contains(errs, tt.want) || strings.Count(errs, tt.once) != 1 || strings.Contains(out, "removed") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
}

// TestStoreListMissingStoreWarns: a store name that does not exist is
// warned about, with the name meant.
func TestStoreListMissingStoreWarns(t *testing.T) {
	setupRoot(t)
	code, _, errs := runCLIStdin(t, "", "store", "list", "-store", "Personal")
	if code != exitOK || !strings.Contains(errs, `no store "Personal"`) || !strings.Contains(errs, "did you mean My") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if _, _, errs := runCLIStdin(t, "", "store", "list", "-store", "Root"); errs != "" {
		t.Fatalf("a standard store warned: %q", errs)
	}
}

// TestStoreShowLeafSource: the leaf of a chain comes from its own store,
// not from "system".
func TestStoreShowLeafSource(t *testing.T) {
	setupRoot(t)
	thumb := importTestCert(t)
	code, out, errs := runCLIStdin(t, "", "store", "show", thumb, "-json")
	var r struct {
		Chain store.Chain `json:"chain"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &r) != nil || len(r.Chain.Elements) < 2 {
		t.Fatalf("store show: %d %s %s", code, out, errs)
	}
	if got := r.Chain.Elements[0].Source; got != "My" {
		t.Fatalf("the leaf's source is %q, want My", got)
	}
}

// TestHookListArrayAndForce: "hook list -json" is an array; "hook set"
// keeps an existing hook unless -force.
func TestHookListArrayAndForce(t *testing.T) {
	setupRoot(t)
	thumb := importTestCert(t)
	dir := t.TempDir()
	set := []string{"hook", "set", thumb, "-cert", filepath.Join(dir, "c.pem")}
	if code, _, errs := runCLIStdin(t, "", set...); code != exitOK {
		t.Fatalf("hook set: %s", errs)
	}
	if code, _, errs := runCLIStdin(t, "", set...); code != exitFail || !strings.Contains(errs, "-force") {
		t.Fatalf("hook set again: %d %q", code, errs)
	}
	if code, _, errs := runCLIStdin(t, "", append(set, "-force")...); code != exitOK {
		t.Fatalf("hook set -force: %s", errs)
	}
	code, out, _ := runCLIStdin(t, "", "hook", "list", "-json")
	var rows []struct {
		Thumbprint string `json:"thumbprint"`
		CertFile   string `json:"certFile"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].Thumbprint != thumb {
		t.Fatalf("hook list -json: %d %s", code, out)
	}
	if code, out, _ := runCLIStdin(t, "", "hook", "remove", thumb); code != exitOK || !strings.Contains(out, "removed") {
		t.Fatalf("hook remove: %d %s", code, out)
	}
	if _, out, _ := runCLIStdin(t, "", "hook", "list", "-json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty hook list -json: %s", out)
	}
}

// TestRequestNewKeepsFile: request new does not replace an existing -out
// file without -force.
func TestRequestNewKeepsFile(t *testing.T) {
	setupRoot(t)
	out := filepath.Join(t.TempDir(), "r.csr")
	if err := os.WriteFile(out, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLIStdin(t, "", "request", "new", "-subject", "CN=x", "-out", out); code != exitFail || !strings.Contains(errs, "-force") {
		t.Fatalf("request new over a file: %d %q", code, errs)
	}
	if b, _ := os.ReadFile(out); string(b) != "mine" {
		t.Fatal("the file was replaced")
	}
}
