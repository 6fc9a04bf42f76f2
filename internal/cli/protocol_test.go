package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestServerAddProtocol: -protocol and -ca-fingerprint reach servers.json
// (the pin normalised), server list shows the protocol, and bad values
// are usage errors that add nothing.
func TestServerAddProtocol(t *testing.T) {
	setupRoot(t)
	const pin = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"
	url := "http://ndes.example/certsrv/mscep/mscep.dll"
	for _, bad := range [][]string{
		{"-protocol", "acme", "-url", url, "-ca-fingerprint", pin},
		{"-protocol", "scep", "-url", url, "-ca-fingerprint", "AB:CD"},
	} {
		if code, _, errs := runCLIStdin(t, "", append([]string{"server", "add"}, bad...)...); code != exitUsage {
			t.Errorf("server add %q: %d %s", bad, code, errs)
		}
	}
	if code, _, errs := runCLIStdin(t, "", "server", "add", "-protocol", "scep", "-url", url); code != exitFail || !strings.Contains(errs, "-ca-fingerprint") {
		t.Errorf("http without a pin: %d %s", code, errs)
	}
	code, out, errs := runCLIStdin(t, "", "server", "add", "-protocol", "scep", "-url", url, "-ca-fingerprint", pin, "-json")
	var s app.Server
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("server add: %d %s %s", code, out, errs)
	}
	if s.Protocol != app.ProtocolSCEP || s.Auth != app.AuthAnonymous || s.CAPin != strings.ToLower(strings.ReplaceAll(pin, ":", "")) {
		t.Errorf("added %+v", s)
	}
	code, out, _ = runCLIStdin(t, "", "server", "list")
	if code != exitOK || !strings.Contains(out, "PROTOCOL") || !strings.Contains(out, " scep ") {
		t.Errorf("server list: %d %s", code, out)
	}
	code, out, _ = runCLIStdin(t, "", "server", "list", "-json")
	var list []app.Server
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || !strings.Contains(out, `"protocol": "scep"`) {
		t.Errorf("server list -json: %d %s", code, out)
	}
	if code, _, errs := runCLIStdin(t, "x\n", "enroll", "-server", s.ID, "-challenge-stdin", "-password-stdin"); code != exitUsage {
		t.Errorf("two readers of stdin: %d %s", code, errs)
	}
}

// TestSCEPEnrollCLI: a SCEP server over pinned http, enroll with the
// challenge from standard input and no -template, templates and renew
// through the command line; the challenge is in no file under the root.
func TestSCEPEnrollCLI(t *testing.T) {
	root := setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	h, err := srv.StartSCEPHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	sum := sha256.Sum256(ca.Issuing().Raw)
	code, out, errs := runCLIStdin(t, "", "server", "add", "-protocol", "scep", "-url", h.URL(), "-ca-fingerprint", hex.EncodeToString(sum[:]),
		"-ca-file", ca.RootFile(), "-trust-ca", "-json") // the root, for the chain a renewal must build
	var s app.Server
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("server add: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK || !strings.Contains(out, app.SCEPTemplate) {
		t.Fatalf("templates: %d %s %s", code, out, errs)
	}
	challenge := srv.SCEPChallenge()
	code, out, errs = runCLIStdin(t, challenge+"\n", "enroll", "-server", s.ID, "-subject", "CN=router1", "-dns", "router1.example.com", "-challenge-stdin", "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Status != app.StatusIssued {
		t.Fatalf("enroll: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLIStdin(t, challenge+"\n", "enroll", "-server", s.ID, "-subject", "CN=router1", "-challenge-stdin")
	if code != exitFail || !strings.Contains(errs, "challenge password") || strings.Contains(errs, challenge) {
		t.Errorf("a used challenge: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLIStdin(t, "", "renew", res.Thumbprint, "-json"); code != exitOK || !strings.Contains(out, `"ok"`) {
		t.Errorf("renew: %d %s %s", code, out, errs)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte(challenge)) {
			t.Errorf("%s holds the challenge", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
