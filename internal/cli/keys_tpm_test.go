package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/tpmkey/swtpmtest"
	"github.com/certdesk/certdesk/store"
)

// TestEnrollTPMCLI: with CERTDESK_TPM naming a real swtpm, enroll makes
// UserTPM's key in the TPM, -key-storage tpm does so for a software
// template, renew renews it there, store list -json says "tpm", and the
// deploy hook writes a TSS2 key file. A tpm setting that is no TCTI
// string is one line and is not saved.
func TestEnrollTPMCLI(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{KBR: true})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	t.Setenv("CERTDESK_TPM", swtpmtest.Start(t))

	var issued []string
	for _, args := range [][]string{{"-template", testca.TemplateUserTPM}, {"-template", testca.TemplateShortLived, "-key-storage", "tpm"}} {
		code, out, stderr := runCLIStdin(t, "", append([]string{"enroll", "-server", s.ID, "-json"}, args...)...)
		var res app.EnrollResult
		if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.KeyStorage != store.KeyTPM {
			t.Fatalf("enroll %v: %d %s %s", args, code, out, stderr)
		}
		issued = append(issued, res.Thumbprint)
	}
	code, out, stderr := runCLIStdin(t, "", "renew", "-json", issued[1])
	var o app.RenewalOutcome
	if code != exitOK || json.Unmarshal([]byte(out), &o) != nil || o.Outcome != app.OutcomeOK {
		t.Fatalf("renew: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCLIStdin(t, "", "store", "list", "-json")
	var list []store.Entry
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("store list -json: %d %s", code, out)
	}
	for _, e := range list {
		if e.KeyStorage != store.KeyTPM {
			t.Errorf("%s: keyStorage %q", e.Thumbprint, e.KeyStorage)
		}
	}

	key := filepath.Join(t.TempDir(), "key.pem")
	if code, _, stderr := runCLIStdin(t, "", "hook", "set", o.NewThumbprint, "-key", key); code != exitOK {
		t.Fatalf("hook set: %d %s", code, stderr)
	}
	if code, _, stderr := runCLIStdin(t, "", "hook", "run", o.NewThumbprint); code != exitOK {
		t.Fatalf("hook run: %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(key); !strings.HasPrefix(string(b), "-----BEGIN TSS2 PRIVATE KEY-----\n") {
		t.Errorf("deployed key:\n%s", b)
	}

	code, _, stderr = runCLIStdin(t, "", "settings", "set", "tpm", "swtpm:host=127.0.0.1;rm -rf /")
	if code == exitOK || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "is not a TCTI string") {
		t.Errorf("settings set tpm: %d %q", code, stderr)
	}
	if code, out, _ := runCLIStdin(t, "", "settings", "-json"); code != exitOK || strings.Contains(out, "rm -rf") {
		t.Errorf("the refused tpm setting was saved: %s", out)
	}
}
