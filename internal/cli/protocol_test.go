package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
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
