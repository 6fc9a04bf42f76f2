package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
	"github.com/certdesk/certdesk/store"
)

// TestEnrollKeyStorageCLI: bad -key-storage and two PIN sources are
// usage; a smart-card template without a module is one line before the
// CA sees anything; with a SoftHSM2 token and -pin-file the key is made on
// the token, list -json says so, and export refuses the key but gives the
// certificate.
func TestEnrollKeyStorageCLI(t *testing.T) {
	setupRoot(t)
	caDir := t.TempDir()
	ca, srv := startTestCA(t, testca.Config{Dir: caDir})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser, "-key-storage", "hsm"); code != exitUsage || !strings.Contains(stderr, "-key-storage") {
		t.Errorf("-key-storage hsm: %d %q", code, stderr)
	}
	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser, "-pin-stdin", "-password-stdin"); code != exitUsage {
		t.Errorf("two readers of stdin: %d %q", code, stderr)
	}
	t.Setenv("CERTDESK_PKCS11_MODULE", "")
	code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUserSmartCard)
	if code != exitFail || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "requires the key to be kept on a smart card or token") {
		t.Fatalf("no module: %d %q", code, stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(caDir, "requests", "*.json")); len(files) != 0 {
		t.Fatalf("the CA received %d requests", len(files))
	}

	softhsmtest.NewToken(t, "cli-card")
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", "cli-card")
	pin := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(pin, []byte(softhsmtest.PIN+"\n"), 0o600)
	code, out, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUserSmartCard, "-pin-file", pin, "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.KeyStorage != store.KeyPKCS11 {
		t.Fatalf("enroll onto the token: %d %s %s", code, out, stderr)
	}
	softhsmtest.CheckKeyStaysOnToken(t, "cli-card")
	code, out, _ = runCLIStdin(t, "", "store", "list", "-json")
	var list []store.Entry
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].KeyStorage != store.KeyPKCS11 {
		t.Fatalf("store list -json: %d %s", code, out)
	}
	dir := t.TempDir()
	code, _, stderr = runCLIStdin(t, "x\n", "store", "export", res.Thumbprint, "-format", "pfx", "-password-stdin", "-out", filepath.Join(dir, "k.pfx"))
	if code != exitFail || !strings.Contains(stderr, "not exportable") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("export of the token key: %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "k.pfx")); err == nil {
		t.Error("a refused export left a file")
	}
	if code, _, stderr := runCLIStdin(t, "", "store", "export", res.Thumbprint, "-format", "der", "-out", filepath.Join(dir, "c.cer")); code != exitOK {
		t.Errorf("certificate-only export: %d %q", code, stderr)
	}
}
