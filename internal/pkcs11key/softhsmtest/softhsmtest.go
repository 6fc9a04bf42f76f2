// Package softhsmtest makes SoftHSM2 tokens for tests and reads them back
// with OpenSC's pkcs11-tool, as a person would check them.
package softhsmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Module is SoftHSM2's PKCS#11 module as Debian installs it.
const Module = "/usr/lib/softhsm/libsofthsm2.so"

// PIN is the user PIN of the tokens NewToken makes.
const PIN = "1234"

// NewToken creates a fresh token labelled label (user PIN PIN) in a
// private SoftHSM2 configuration (SOFTHSM2_CONF, set for the test only),
// or skips the test where SoftHSM2 is not installed or the build has no
// cgo (and so no PKCS#11).
func NewToken(t testing.TB, label string) {
	t.Helper()
	if !withCgo {
		t.Skip("built without cgo: no PKCS#11")
	}
	if _, err := os.Stat(Module); err != nil {
		t.Skip("SoftHSM2 is not installed (scripts/setup-debian.sh installs it)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "directories.tokendir = " + filepath.Join(dir, "tokens") + "\nobjectstore.backend = file\nlog.level = ERROR\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "5678").CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util: %v\n%s", err, out)
	}
}

// Objects lists the objects on token label with pkcs11-tool, one string
// per object (its header line and attributes), or skips the test where
// OpenSC is not installed.
func Objects(t testing.TB, label string) []string {
	t.Helper()
	if _, err := exec.LookPath("pkcs11-tool"); err != nil {
		t.Skip("OpenSC's pkcs11-tool is not installed (scripts/setup-debian.sh installs it)")
	}
	out, err := exec.Command("pkcs11-tool", "--module", Module, "--token-label", label, "--login", "--pin", PIN, "--list-objects").CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool --list-objects: %v\n%s", err, out)
	}
	var objs []string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.Contains(line, " Object"):
			objs = append(objs, line)
		case len(objs) > 0 && strings.HasPrefix(line, " "):
			objs[len(objs)-1] += "\n" + line
		}
	}
	return objs
}

// CheckKeyStaysOnToken fails t unless token label holds a private key
// that is sensitive and was never extractable, and a certificate.
func CheckKeyStaysOnToken(t testing.TB, label string) {
	t.Helper()
	var key, cert bool
	for _, o := range Objects(t, label) {
		switch {
		case strings.HasPrefix(o, "Private Key Object"):
			key = true
			if !strings.Contains(o, "never extractable") || !strings.Contains(o, "sensitive") {
				t.Errorf("the private key may leave the token:\n%s", o)
			}
		case strings.HasPrefix(o, "Certificate Object"):
			cert = true
		}
	}
	if !key || !cert {
		t.Errorf("token %q: private key %v, certificate %v", label, key, cert)
	}
}
