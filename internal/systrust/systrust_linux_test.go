package systrust

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"github.com/certdesk/certdesk/internal/systrust/systrusttest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// need skips the test unless the commands are installed; setup-debian.sh
// installs them, so in make test and CI these tests always run.
func need(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed (Debian: ca-certificates, libnss3-tools, openssl)", c)
		}
	}
}

// verify runs openssl verify of leaf against the system bundle.
func verify(t *testing.T, leafPEM string) error {
	t.Helper()
	out, err := exec.Command("openssl", "verify", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", leafPEM).CombinedOutput()
	if err != nil {
		t.Logf("openssl verify: %s", strings.TrimSpace(string(out)))
	}
	return err
}

// TestSystemTrustReal changes this machine's trust store for real (root
// only): a leaf of a fresh root verifies against the system bundle after
// Trust and no longer after Untrust. Cleanup restores the store on failure.
func TestSystemTrustReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing the system trust store needs root")
	}
	need(t, "update-ca-certificates", "openssl")
	// Serialise with other test processes (go test runs packages in parallel,
	// and several worktrees share this machine): update-ca-certificates
	// rebuilds one bundle.
	systrusttest.Lock(t)

	ctx := context.Background()
	pki := newPKI(t, "leaf.test")
	leafPEM := writePEM(t, filepath.Join(t.TempDir(), "leaf.pem"), "CERTIFICATE", pki.leaf)
	s := &System{}
	path, err := s.Path(pki.root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, "/usr/local/share/ca-certificates/certdesk-") {
		t.Fatalf("anchor path on Debian = %s", path)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(path); err == nil {
			os.Remove(path)
			exec.Command("update-ca-certificates").Run()
		}
	})

	if verify(t, leafPEM) == nil {
		t.Fatal("leaf verified before its root was trusted")
	}
	if err := s.Trust(ctx, pki.root); err != nil {
		t.Fatal(err)
	}
	if err := verify(t, leafPEM); err != nil {
		t.Fatalf("leaf does not verify after Trust: %v", err)
	}
	if err := s.Untrust(ctx, pki.root); err != nil {
		t.Fatal(err)
	}
	if verify(t, leafPEM) == nil {
		t.Fatal("leaf still verifies after Untrust")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("anchor file left behind: %v", err)
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// listed returns certutil -L of the database.
func listed(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("certutil", "-L", "-d", "sql:"+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v: %s", err, out)
	}
	return string(out)
}

// keys returns how many private keys the database holds.
func keys(t *testing.T, dir string) int {
	t.Helper()
	out, _ := exec.Command("certutil", "-K", "-d", "sql:"+dir).CombinedOutput()
	return strings.Count(string(out), "\n<")
}

// TestNSSRootReal adds a root to a fresh NSS database in a temp directory
// (never the real home) and removes it again.
func TestNSSRootReal(t *testing.T) {
	need(t, "certutil")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nssdb") // absent: AddRoot creates it
	n := &NSS{Dir: dir}
	pki := newPKI(t, "leaf.test")
	nick := "certdesk-" + Thumbprint(pki.root)

	if ok, err := n.Contains(ctx, pki.root); ok || err != nil {
		t.Fatalf("Contains before AddRoot = %v, %v", ok, err)
	}
	if err := n.AddRoot(ctx, pki.root); err != nil {
		t.Fatal(err)
	}
	if l := listed(t, dir); !strings.Contains(l, nick) || !strings.Contains(l, "C,,") {
		t.Fatalf("certutil -L after AddRoot lacks %s with C,,:\n%s", nick, l)
	}
	if ok, err := n.Contains(ctx, pki.root); !ok || err != nil {
		t.Fatalf("Contains after AddRoot = %v, %v", ok, err)
	}
	if err := n.Remove(ctx, pki.root); err != nil {
		t.Fatal(err)
	}
	if l := listed(t, dir); strings.Contains(l, nick) {
		t.Fatalf("certutil -L still lists %s after Remove:\n%s", nick, l)
	}
	if err := n.Remove(ctx, pki.root); err != ErrNotInNSS {
		t.Fatalf("second Remove = %v, want ErrNotInNSS", err)
	}
}

// TestNSSIdentityReal imports two identities with the same subject (as after
// a renewal) from PKCS#12 files made by OpenSSL, then removes the first with
// its key and checks the second, and its key, stay.
func TestNSSIdentityReal(t *testing.T) {
	need(t, "certutil", "pk12util", "openssl")
	ctx := context.Background()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "nssdb")
	n := &NSS{Dir: dir}

	var ids []testPKI
	for i, pw := range []string{"pa ss'word", ""} {
		pki := newPKI(t, "alice")
		ids = append(ids, pki)
		keyDER, err := x509.MarshalPKCS8PrivateKey(pki.leafKey)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(tmp, string(rune('a'+i)))
		writePEM(t, base+".crt", "CERTIFICATE", pki.leaf)
		writePEM(t, base+".key", "PRIVATE KEY", keyDER)
		writePEM(t, base+".ca", "CERTIFICATE", pki.root)
		cmd := exec.Command("openssl", "pkcs12", "-export", "-in", base+".crt", "-inkey", base+".key",
			"-certfile", base+".ca", "-out", base+".p12", "-passout", "env:P12PW")
		cmd.Env = append(os.Environ(), "P12PW="+pw)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl pkcs12 -export: %v: %s", err, out)
		}
		pfx, err := os.ReadFile(base + ".p12")
		if err != nil {
			t.Fatal(err)
		}
		if err := n.AddIdentity(ctx, pki.leaf, pfx, pw); err != nil {
			t.Fatalf("AddIdentity %d: %v", i, err)
		}
	}
	l := listed(t, dir)
	for _, id := range ids {
		if nick := "certdesk-" + Thumbprint(id.leaf); !strings.Contains(l, nick) || !strings.Contains(l, "u,u,u") {
			t.Fatalf("certutil -L lacks identity %s:\n%s", nick, l)
		}
	}
	if k := keys(t, dir); k != 2 {
		t.Fatalf("%d keys after two identities, want 2", k)
	}
	if err := n.AddIdentity(ctx, ids[0].leaf, []byte("not a pfx"), "x"); err == nil {
		t.Fatal("AddIdentity accepted a broken PKCS#12")
	}

	if err := n.Remove(ctx, ids[0].leaf); err != nil {
		t.Fatal(err)
	}
	l = listed(t, dir)
	if strings.Contains(l, "certdesk-"+Thumbprint(ids[0].leaf)) {
		t.Fatalf("certutil -L still lists the removed identity:\n%s", l)
	}
	if ok, _ := n.Contains(ctx, ids[1].leaf); !ok {
		t.Fatalf("the other identity went too:\n%s", l)
	}
	if k := keys(t, dir); k != 1 {
		t.Fatalf("%d keys after removing one identity, want 1", k)
	}
}

func TestBrowserDBs(t *testing.T) {
	home := t.TempDir()
	for _, d := range []string{
		"snap/chromium/current/.pki/nssdb",      // snap Chromium, with a database
		".mozilla/firefox/abcd.default-release", // Firefox profile, with a database
		".mozilla/firefox/efgh.old",             // a profile without one: left out
	} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(d, ".old") {
			os.WriteFile(filepath.Join(home, d, "cert9.db"), nil, 0o600)
		}
	}
	got, err := BrowserDBs(home)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(home, ".pki/nssdb"),
		filepath.Join(home, "snap/chromium/current/.pki/nssdb"),
		filepath.Join(home, ".mozilla/firefox/abcd.default-release"),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("BrowserDBs = %q, want %q", got, want)
	}
}
