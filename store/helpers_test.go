package store

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// haveKeyring reports whether a session bus exists; without one, tests
// that need the real Secret Service skip, unless REQUIRE_SECRET_SERVICE=1
// (CI) makes its absence a failure.
func haveKeyring(t testing.TB) bool {
	t.Helper()
	if runtime.GOOS == "windows" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if os.Getenv("REQUIRE_SECRET_SERVICE") == "1" {
		t.Fatal("REQUIRE_SECRET_SERVICE=1 but no session bus; run under scripts/with-keyring.sh")
	}
	return false
}

// needKeyring skips the test without a Secret Service (see haveKeyring).
func needKeyring(t testing.TB) {
	t.Helper()
	if !haveKeyring(t) {
		t.Skip("no session bus; run under scripts/with-keyring.sh")
	}
}

// newTestStore opens the user context under a fresh root. Without a
// keyring the context is switched to file protection so tests that are not
// about key protection still run.
func newTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := Open(LocationAt(root), User)
	if err != nil {
		t.Fatal(err)
	}
	if !haveKeyring(t) {
		if err := s.SetProtection(context.Background(), ProtectFile); err != nil {
			t.Fatal(err)
		}
	}
	return s, root
}

// pki is a small test PKI: a root, an intermediate, and leaves.
type pki struct {
	root, inter       *x509.Certificate
	rootKey, interKey crypto.Signer
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var serial int64 = time.Now().UnixNano()

func issue(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour)
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t testing.TB) *pki {
	p := &pki{rootKey: newKey(t), interKey: newKey(t)}
	p.root = issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Test Root"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, p.rootKey.Public(), p.rootKey)
	p.inter = issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Test Issuing CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, p.root, p.interKey.Public(), p.rootKey)
	return p
}

// leaf issues an end-entity certificate for cn from the intermediate.
func (p *pki) leaf(t testing.TB, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	k := newKey(t)
	c := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, p.inter, k.Public(), p.interKey)
	return c, k
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(t testing.TB, k crypto.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// openssl runs /usr/bin/openssl in dir, failing the test on error. On
// Windows (the suite under Wine) a missing openssl skips the test; on
// Linux, where setup-debian.sh installs it, it fails.
func openssl(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil && runtime.GOOS == "windows" {
		t.Skip("skipped on Windows: openssl is not installed")
	}
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pkixName(cn string) pkix.Name { return pkix.Name{CommonName: cn} }
