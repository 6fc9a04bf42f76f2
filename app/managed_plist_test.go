package app

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/certdesk/certdesk/store"
)

// computerPlist is the computer's managed preferences as a configuration
// profile installs them (docs/managed.md), with a profile's Payload keys.
const computerPlist = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadUUID</key><string>5D2C0E0B-5C5E-4E43-9C39-0F3E8D7B2A11</string>
	<key>settings</key>
	<dict>
		<key>renewalRatio</key><real>0.7</real>
		<key>notifyDays</key><string>30,14,7</string>
		<key>startInTray</key><true/>
		<key>checkInterval</key><date>2026-01-01T00:00:00Z</date>
	</dict>
	<key>servers</key>
	<array>
		<dict>
			<key>url</key><string>https://cep.example.org/CEP</string>
			<key>username</key><string>EXAMPLE\alice</string>
			<key>autoEnroll</key><true/>
			<key>templates</key><array><string>User</string></array>
		</dict>
		<dict>
			<key>url</key><string>https://pinned.example.org/CEP</string>
			<key>auth</key><string>anonymous</string>
			<key>caFingerprint</key><data>AAEC</data>
		</dict>
		<dict>
			<key>url</key><string>https://n.example.org/CEP</string>
			<key>auth</key><integer>7</integer>
		</dict>
	</array>
	<key>contexts</key>
	<dict>
		<key>machine</key>
		<dict><key>metricsDir</key><string>/var/lib/prometheus/node-exporter</string></dict>
	</dict>
</dict>
</plist>
`

func writePlist(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestManagedPlist: the computer's XML plist and the person's binary one,
// merged (the person's settings win setting by setting), checked as the
// JSON file is: a <date>, <data> or a wrong type is one problem and
// ignored, the rest applies.
func TestManagedPlist(t *testing.T) {
	dir := t.TempDir()
	computer := writePlist(t, dir, "computer.plist", []byte(computerPlist))
	person, err := plist.Marshal(map[string]any{
		"settings": map[string]any{"renewalRatio": "75%", "reenrollRevoked": false, "colour": "blue", "tpm": math.Inf(1)},
	}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	user := writePlist(t, dir, "user.plist", person)
	m, source, err := readManagedPlists([]string{computer, user, filepath.Join(dir, "missing.plist")})
	if err != nil || source != computer+" and "+user {
		t.Fatalf("%v, %q, %v", m, source, err)
	}
	s := m.apply(DefaultSettings())
	if s.RenewalRatio != 0.75 || len(s.NotifyDays) != 3 || !s.StartInTray || s.ReenrollRevoked || s.CheckInterval != DefaultCheckInterval {
		t.Errorf("settings: %+v", s)
	}
	srv := m.Servers(store.User)
	if len(srv) != 2 || srv[0].URL != "https://cep.example.org/CEP" || !srv[0].AutoEnroll || srv[0].Username != `EXAMPLE\alice` ||
		srv[1].URL != "https://pinned.example.org/CEP" || srv[1].CAPin != "" {
		t.Errorf("servers: %+v", srv)
	}
	if d, ok := m.metricsDir(store.Machine); !ok || d != "/var/lib/prometheus/node-exporter" {
		t.Errorf("machine metricsDir %q %v", d, ok)
	}
	if _, ok := m.metricsDir(store.User); ok {
		t.Error("the machine's metricsDir applies to the user context")
	}
	all := strings.Join(m.Problems, "\n")
	for _, want := range []string{"settings.checkInterval ignored: a <date>", "servers[2].caFingerprint ignored: a <data>",
		"server 3 ignored: auth", `"colour"`, "settings.tpm ignored: a number that is not finite"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not name %s:\n%s", want, all)
		}
	}
	if len(m.Problems) != 5 || strings.Contains(all, "Payload") {
		t.Errorf("%d problems:\n%s", len(m.Problems), all)
	}

	for name, body := range map[string][]byte{
		"not a plist": []byte("not a plist at all {"),
		"an array":    []byte(`<plist version="1.0"><array><string>x</string></array></plist>`),
		"huge":        append([]byte(`<plist version="1.0"><string>`), make([]byte, maxManaged)...),
	} {
		p := writePlist(t, t.TempDir(), "p.plist", body)
		if m, _, err := readManagedPlists([]string{p}); err == nil || m != nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, %v", name, m, err)
		}
	}
	// One bad file of two: the good one applies, the bad one is a problem.
	bad := writePlist(t, t.TempDir(), "bad.plist", []byte("{"))
	if m, _, err := readManagedPlists([]string{computer, bad}); err != nil || m.apply(DefaultSettings()).RenewalRatio != 0.7 ||
		!strings.Contains(strings.Join(m.Problems, "\n"), bad) {
		t.Errorf("one bad plist: %v, %v", m, err)
	}
	link := filepath.Join(t.TempDir(), "link.plist")
	if err := os.Symlink(computer, link); err != nil {
		t.Fatal(err)
	}
	if m, _, err := readManagedPlists([]string{link}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlink: %v, %v", m, err)
	}
	if m, source, err := readManagedPlists([]string{filepath.Join(dir, "none.plist")}); m != nil || source != "" || err != nil {
		t.Errorf("no plist: %v, %q, %v", m, source, err)
	}
}

// TestManagedAppID: the managed-preferences domain is the app id of
// FyneApp.toml.
func TestManagedAppID(t *testing.T) {
	data, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^\s*ID = "([^"]+)"`).FindSubmatch(data); m == nil || string(m[1]) != ManagedAppID {
		t.Errorf("FyneApp.toml's ID is %q, ManagedAppID %q", m, ManagedAppID)
	}
}
