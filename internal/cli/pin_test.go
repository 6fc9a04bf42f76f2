package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
)

// TestTemplatesKeyStorage: templates -json carries where each template
// demands its key, and the text output shows it.
func TestTemplatesKeyStorage(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	code, out, stderr := runCLIStdin(t, "", "templates", "-server", s.ID, "-json")
	var rows []templateRow
	if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("templates -json: %d %s %s", code, out, stderr)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Name] = r.KeyStorage
	}
	want := map[string]string{testca.TemplateUser: "software", testca.TemplateUserTPM: "tpm",
		testca.TemplateUserSmartCard: "pkcs11", testca.TemplateUserAttested: "tpm"}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s: keyStorage %q, want %q", n, got[n], w)
		}
	}
	code, out, _ = runCLIStdin(t, "", "templates", "-server", s.ID)
	if code != exitOK || !strings.Contains(out, "STORAGE") {
		t.Fatalf("templates: %d %s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == testca.TemplateUserSmartCard && !strings.Contains(line, " pkcs11 ") {
			t.Errorf("text row %q", line)
		}
	}
}

// TestPINCommands: -save-pin keeps the PIN the token accepted, renew then
// needs no PIN flag; pin forget removes it, after which renew exits 1
// with one sentence; pin save refuses a wrong PIN and keeps the right one.
func TestPINCommands(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	softhsmtest.NewToken(t, "cli-pin") // first: it skips a build without cgo, which has no PKCS#11
	t.Setenv("CERTDESK_PKCS11_MODULE", "")
	if code, _, stderr := runCLIStdin(t, "", "pin"); code != exitFail || !strings.Contains(stderr, "no PKCS#11 module is configured") {
		t.Errorf("pin without a module: %d %q", code, stderr)
	}
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", "cli-pin")
	defer runCLIStdin(t, "", "pin", "forget")

	if code, _, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUserSmartCard, "-save-pin"); code != exitUsage || !strings.Contains(stderr, "-save-pin needs the PIN") {
		t.Errorf("-save-pin without a PIN: %d %q", code, stderr)
	}
	code, out, stderr := runCLIStdin(t, softhsmtest.PIN+"\n", "enroll", "-server", s.ID, "-template", testca.TemplateUserSmartCard, "-pin-stdin", "-save-pin", "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("enroll: %d %s %s", code, out, stderr)
	}
	if code, out, _ := runCLIStdin(t, "", "pin"); code != exitOK || out != "a PIN is saved for token \"cli-pin\"\n" {
		t.Errorf("pin: %d %q", code, out)
	}
	code, out, stderr = runCLIStdin(t, "", "renew", res.Thumbprint, "-json")
	var o app.RenewalOutcome
	if code != exitOK || json.Unmarshal([]byte(out), &o) != nil || o.Outcome != app.OutcomeOK {
		t.Fatalf("renew with the saved PIN: %d %s %s", code, out, stderr)
	}
	if code, out, _ := runCLIStdin(t, "", "pin", "forget"); code != exitOK || out != "the PIN of token \"cli-pin\" is forgotten\n" {
		t.Errorf("pin forget: %d %q", code, out)
	}
	code, _, stderr = runCLIStdin(t, "", "renew", o.NewThumbprint)
	want := "certdesk: renewal of " + o.NewThumbprint + ` needs the PIN of token "cli-pin"; give it with -pin-stdin or save it with "certdesk pin save -token cli-pin -pin-stdin"` + "\n"
	if code != exitFail || stderr != want {
		t.Errorf("renew without a PIN: %d %q\nwant %q", code, stderr, want)
	}
	if code, _, stderr := runCLIStdin(t, "0000\n", "renew", o.NewThumbprint, "-pin-stdin"); code != exitFail || stderr != "certdesk: token \"cli-pin\" refused the PIN; nothing was changed\n" {
		t.Errorf("renew with a wrong PIN: %d %q", code, stderr)
	}
	if code, _, stderr := runCLIStdin(t, "0000\n", "pin", "save", "-pin-stdin"); code != exitFail || !strings.Contains(stderr, "refused the PIN") {
		t.Errorf("pin save of a wrong PIN: %d %q", code, stderr)
	}
	if code, out, _ := runCLIStdin(t, "", "pin"); code != exitOK || !strings.HasPrefix(out, "no PIN") {
		t.Errorf("a wrong PIN was saved: %q", out)
	}
	if code, _, stderr := runCLIStdin(t, softhsmtest.PIN+"\n", "pin", "save", "-token", "cli-pin", "-pin-stdin"); code != exitOK {
		t.Fatalf("pin save: %d %q", code, stderr)
	}
	if code, _, stderr := runCLIStdin(t, "", "renew", o.NewThumbprint); code != exitOK {
		t.Errorf("renew after pin save: %d %q", code, stderr)
	}
}
