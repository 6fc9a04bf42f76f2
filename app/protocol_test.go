package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]Protocol{"": ProtocolCEP, "cep": ProtocolCEP, "SCEP": ProtocolSCEP, "est": ProtocolEST} {
		if got, err := ParseProtocol(in); err != nil || got != want {
			t.Errorf("ParseProtocol(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseProtocol("acme"); err == nil || !strings.Contains(err.Error(), "cep, scep or est") {
		t.Errorf("acme: %v", err)
	}
}

func TestParseFingerprint(t *testing.T) {
	const want = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	for _, in := range []string{want, strings.ToUpper(want), "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"} {
		if got, err := ParseFingerprint(in); err != nil || got != want {
			t.Errorf("ParseFingerprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "AB:CD", want + "00", strings.Replace(want, "0", "g", 1)} {
		if _, err := ParseFingerprint(in); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", in)
		}
	}
}

// TestServerProtocol: an entry of servers.json without a protocol is CEP;
// a SCEP server over http needs a pinned CA and no password; a bad
// protocol or pin changes nothing.
func TestServerProtocol(t *testing.T) {
	c := newCore(t, t.TempDir(), &fakeClock{t: time.Now()}, 0)
	ctx := context.Background()
	s, err := c.Store(store.User)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	old := `[{"id":"` + ServerID("https://old.example/CEP") + `","url":"https://old.example/CEP","auth":"anonymous","autoEnroll":false}]`
	if err := os.WriteFile(filepath.Join(s.Dir(), ServersFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := c.Servers(store.User)
	if err != nil || len(list) != 1 || list[0].Protocol != ProtocolCEP {
		t.Fatalf("old servers.json: %+v %v", list, err)
	}
	const pin = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"
	scepURL := "http://ndes.example/certsrv/mscep/mscep.dll"
	for _, bad := range []ServerOptions{
		{URL: scepURL, Protocol: ProtocolSCEP, Auth: AuthAnonymous},                                                     // http without a pin
		{URL: scepURL, Protocol: ProtocolSCEP, Auth: AuthPassword, Username: "u", Password: "p", CAFingerprint: pin},    // password over http
		{URL: scepURL, Protocol: ProtocolCEP, Auth: AuthAnonymous, CAFingerprint: pin},                                  // CEP over http
		{URL: scepURL, Protocol: "acme", Auth: AuthAnonymous, CAFingerprint: pin},                                       // unknown protocol
		{URL: scepURL, Protocol: ProtocolSCEP, Auth: AuthAnonymous, CAFingerprint: "AB:CD"},                             // not a fingerprint
		{URL: "https://ndes.example/x", Protocol: ProtocolSCEP, Auth: AuthAnonymous, KBRURL: "https://kbr.example/CEP"}, // KBR is CEP's
	} {
		if _, err := c.AddServer(ctx, store.User, bad); err == nil {
			t.Errorf("AddServer(%+v) accepted", bad)
		}
	}
	if list, _ := c.Servers(store.User); len(list) != 1 {
		t.Fatalf("a refused add changed the list: %+v", list)
	}
	if _, err := c.AddServer(ctx, store.User, ServerOptions{URL: scepURL, Protocol: ProtocolSCEP, Auth: AuthPassword, Username: "u", Password: "p", CAFingerprint: pin}); !errors.Is(err, enroll.ErrInsecureCredentials) {
		t.Errorf("password over http: %v", err)
	}
	srv, err := c.AddServer(ctx, store.User, ServerOptions{URL: scepURL, Protocol: ProtocolSCEP, Auth: AuthAnonymous, CAFingerprint: pin})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ParseFingerprint(pin)
	got, err := c.Server(store.User, srv.ID)
	if err != nil || got.Protocol != ProtocolSCEP || got.CAPin != want {
		t.Fatalf("added: %+v %v", got, err)
	}
	data, _ := os.ReadFile(filepath.Join(s.Dir(), ServersFile))
	if !strings.Contains(string(data), `"protocol": "scep"`) {
		t.Errorf("servers.json: %s", data)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), ServersFile), []byte(strings.Replace(string(data), `"scep"`, `"acme"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Servers(store.User); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("unknown protocol in servers.json: %v", err)
	}
}

// TestServersFileHandEdited: servers.json is read with the checks
// AddServer makes: a caFingerprint in another spelling is the same pin
// (the pin compares lower-case hex), and one that is no fingerprint, a
// plain-http CEP server, or a SCEP one over http without a pin or with a
// password, or a key-based-renewal URL AddServer refuses, is a damaged
// file in one sentence, never a server used
// without its pin.
func TestServersFileHandEdited(t *testing.T) {
	c := newCore(t, t.TempDir(), &fakeClock{t: time.Now()}, 0)
	s, err := c.Store(store.User)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	const pin = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	write := func(proto, url, auth, fp string, kbr ...string) {
		t.Helper()
		j := `[{"id":"` + ServerID(url) + `","url":"` + url + `","protocol":"` + proto + `","auth":"` + auth + `","username":"u","caFingerprint":"` + fp + `","kbrURL":"` + strings.Join(kbr, "") + `"}]`
		if err := os.WriteFile(filepath.Join(s.Dir(), ServersFile), []byte(j), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cep", "https://ca.example/CEP", "anonymous", "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF")
	if list, err := c.Servers(store.User); err != nil || len(list) != 1 || list[0].CAPin != pin {
		t.Fatalf("pin in colons and capitals: %+v %v", list, err)
	}
	write("scep", "http://ndes.example/mscep", "anonymous", pin)
	if list, err := c.Servers(store.User); err != nil || len(list) != 1 {
		t.Fatalf("pinned SCEP over http: %+v %v", list, err)
	}
	for _, auth := range []string{"", "bogus", "Password"} {
		write("cep", "https://ca.example/CEP", auth, "")
		if _, err := c.Servers(store.User); err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "unknown authentication") {
			t.Errorf("auth %q: %v", auth, err)
		}
	}
	for _, kbr := range []string{"http://ca.example/KBR", "https://user:pw@ca.example/KBR"} {
		write("cep", "https://ca.example/CEP", "anonymous", "", kbr)
		if _, err := c.Servers(store.User); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("kbrURL %s: %v", kbr, err)
		}
	}
	write("est", "https://est.example/.well-known/est", "anonymous", "", "https://ca.example/KBR")
	if _, err := c.Servers(store.User); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("kbrURL on an EST server: %v", err)
	}
	for _, bad := range [][4]string{
		{"cep", "https://ca.example/CEP", "anonymous", "AB:CD"},
		{"cep", "https://ca.example/CEP", "anonymous", "x"},
		{"cep", "http://ca.example/CEP", "anonymous", ""},
		{"cep", "ftp://ca.example/CEP", "anonymous", ""},
		{"scep", "http://ndes.example/mscep", "anonymous", ""},
		{"scep", "http://ndes.example/mscep", "password", pin},
		{"est", "http://est.example/.well-known/est", "anonymous", pin},
	} {
		write(bad[0], bad[1], bad[2], bad[3])
		_, err := c.Servers(store.User)
		if err == nil || !strings.Contains(err.Error(), "damaged") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one sentence saying servers.json is damaged", bad, err)
		}
	}
}
