package app

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/certdesk/certdesk/store"
)

// TestManagedRegistry writes a policy key with good and hostile values
// (wrong types, a huge string, a bad server) under HKCU, where a test may
// write, and reads it back: each bad value is one problem and ignored,
// the rest applies. Runs for real on Windows and under Wine
// (scripts/wine.sh).
func TestManagedRegistry(t *testing.T) {
	path := fmt.Sprintf(`Software\certdesk-test-%d`, os.Getpid())
	k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range []string{`Contexts\machine\Servers\m\big`, `Servers\a`, `Servers\b`, `Servers\c`, `Servers`, `Contexts\machine\Servers\m`,
			`Contexts\machine\Servers`, `Contexts\machine`, `Contexts\bogus`, `Contexts`, ""} {
			_ = registry.DeleteKey(registry.CURRENT_USER, strings.TrimSuffix(path+`\`+p, `\`))
		}
	})
	set := func(k registry.Key, f func(registry.Key) error) {
		t.Helper()
		if err := f(k); err != nil {
			t.Fatal(err)
		}
	}
	sub := func(p string) registry.Key {
		t.Helper()
		sk, _, err := registry.CreateKey(registry.CURRENT_USER, path+`\`+p, registry.ALL_ACCESS)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sk.Close() })
		return sk
	}
	set(k, func(k registry.Key) error { return k.SetStringValue("renewalRatio", "70%") })
	set(k, func(k registry.Key) error { return k.SetDWordValue("startInTray", 1) })
	set(k, func(k registry.Key) error { return k.SetDWordValue("reenrollRevoked", 0) })
	set(k, func(k registry.Key) error { return k.SetBinaryValue("checkInterval", []byte{1, 2}) })
	set(k, func(k registry.Key) error { return k.SetStringValue("tpm", strings.Repeat("x", maxPolicyValue)) })
	set(k, func(k registry.Key) error { return k.SetStringsValue("notifyDays", []string{"30", "7"}) })
	a := sub(`Servers\a`)
	set(a, func(k registry.Key) error { return k.SetStringValue("url", "https://cep.example/CEP") })
	set(a, func(k registry.Key) error { return k.SetStringValue("username", `EXAMPLE\alice`) })
	set(a, func(k registry.Key) error { return k.SetDWordValue("autoEnroll", 1) })
	set(a, func(k registry.Key) error { return k.SetStringsValue("templates", []string{"User", "Machine"}) })
	b := sub(`Servers\b`)
	set(b, func(k registry.Key) error { return k.SetStringValue("url", "https://other.example/CEP") })
	set(b, func(k registry.Key) error { return k.SetStringValue("auth", "anonymous") })
	set(b, func(k registry.Key) error { return k.SetDWordValue("autoEnroll", 7) })
	c := sub(`Servers\c`)
	set(c, func(k registry.Key) error { return k.SetStringValue("url", "http://plain.example/CEP") })
	set(c, func(k registry.Key) error { return k.SetStringValue("auth", "anonymous") })
	m := sub(`Contexts\machine\Servers\m`)
	set(m, func(k registry.Key) error { return k.SetStringValue("url", "https://machine.example/CEP") })
	set(m, func(k registry.Key) error { return k.SetStringValue("auth", "anonymous") })
	set(sub(`Contexts\machine`), func(k registry.Key) error { return k.SetStringValue("metricsDir", `C:\metrics`) })
	sub(`Contexts\bogus`)

	got, err := readManagedRegistry(registry.CURRENT_USER, path, `HKCU\`+path)
	if err != nil {
		t.Fatal(err)
	}
	s := got.apply(DefaultSettings())
	if s.RenewalRatio != 0.7 || !s.StartInTray || s.ReenrollRevoked || s.CheckInterval != DefaultCheckInterval || s.TPM != "" || len(s.NotifyDays) != len(DefaultNotifyDays()) {
		t.Errorf("settings: %+v", s)
	}
	if srv := got.Servers(store.User); len(srv) != 1 || srv[0].URL != "https://cep.example/CEP" || !srv[0].AutoEnroll ||
		srv[0].Username != `EXAMPLE\alice` || strings.Join(srv[0].Templates, ",") != "User,Machine" {
		t.Errorf("user servers: %+v", srv)
	}
	if srv := got.Servers(store.Machine); len(srv) != 2 || srv[1].URL != "https://machine.example/CEP" {
		t.Errorf("machine servers: %+v", srv)
	}
	if d, ok := got.metricsDir(store.Machine); !ok || d != `C:\metrics` {
		t.Errorf("machine metricsDir %q %v", d, ok)
	}
	all := strings.Join(got.Problems, "\n")
	for _, want := range []string{"checkInterval of HKCU\\" + path + " is of type REG_BINARY", "tpm", "notifyDays", "server 2 ignored: autoEnroll", "server 3 ignored", `"bogus"`} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not name %s:\n%s", want, all)
		}
	}
	if len(got.Problems) != 6 {
		t.Errorf("%d problems:\n%s", len(got.Problems), all)
	}
	if m, err := readManagedRegistry(registry.CURRENT_USER, path+`\missing`, "missing"); m != nil || err != nil {
		t.Errorf("no key: %v, %v", m, err)
	}

	// Values of 62,000 bytes each (UTF-16): the 17th is past 1 MiB.
	big := sub(`Contexts\machine\Servers\m\big`)
	for i := range 17 {
		set(big, func(k registry.Key) error {
			return k.SetStringValue(fmt.Sprintf("pad%02d", i), strings.Repeat("x", 30999))
		})
	}
	got, err = readManagedRegistry(registry.CURRENT_USER, path+`\Contexts\machine\Servers\m\big`, "big")
	if err != nil || len(got.Problems) != 17 || !strings.Contains(got.Problems[0], "pad16") || !strings.Contains(got.Problems[0], "past the") {
		t.Errorf("over 1 MiB: %v, %v", got, err)
	}
}

// TestManagedPolicyKeyWine reads the real HKLM\SOFTWARE\Policies\certdesk
// that scripts/wine.sh wrote, through LoadManaged as Open does:
// CERTDESK_MANAGED_REG_TEST=1 after its reg add lines, =docs after
// importing the .reg example of docs/managed.md.
func TestManagedPolicyKeyWine(t *testing.T) {
	mode := os.Getenv("CERTDESK_MANAGED_REG_TEST")
	if mode == "" {
		t.Skip("set CERTDESK_MANAGED_REG_TEST after writing the policy key (scripts/wine.sh)")
	}
	m, source, err := LoadManaged(func(string) string { return "" })
	if err != nil || m == nil || source != `HKLM\SOFTWARE\Policies\certdesk` {
		t.Fatalf("%v, %q, %v", m, source, err)
	}
	s := m.apply(DefaultSettings())
	srv := m.Servers(store.User)
	if mode == "docs" {
		d, _ := m.metricsDir(store.Machine)
		if s.RenewalRatio != 0.7 || len(s.NotifyDays) != 3 || !s.ReenrollRevoked || len(srv) != 1 || !srv[0].AutoEnroll ||
			srv[0].Username != `EXAMPLE\alice` || strings.Join(srv[0].Templates, ",") != "User" || len(srv[0].CAPin) != 64 ||
			d != `C:\ProgramData\node_exporter\textfile` || len(m.Problems) != 0 {
			t.Errorf("settings %+v, servers %+v, machine metricsDir %q, problems %q", s, srv, d, m.Problems)
		}
		return
	}
	if s.RenewalRatio != 0.7 || s.ReenrollRevoked || len(srv) != 1 || srv[0].URL != "https://cep.example.org/CEP" ||
		!srv[0].AutoEnroll || strings.Join(srv[0].Templates, ",") != "User,Workstation" || len(m.Problems) != 1 ||
		!strings.Contains(m.Problems[0], "checkInterval") {
		t.Errorf("settings %+v, servers %+v, problems %q", s, srv, m.Problems)
	}
}
