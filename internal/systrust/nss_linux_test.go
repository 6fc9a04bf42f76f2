package systrust

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clashPKI returns a root and two leaves it issued with the same serial
// number but different keys and subjects, with their keys.
func clashPKI(t *testing.T) (root, a, b []byte, ka, kb *ecdsa.PrivateKey) {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "certdesk nss clash root " + serial.String()},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	root, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, _ := x509.ParseCertificate(root)
	leaf := func(cn string) ([]byte, *ecdsa.PrivateKey) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(23 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, rootCert, k.Public(), rootKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	a, ka = leaf("clash a")
	b, kb = leaf("clash b")
	return root, a, b, ka, kb
}

// makeP12 returns a PKCS#12 of leaf, key and root made by OpenSSL.
func makeP12(t *testing.T, leaf []byte, key *ecdsa.PrivateKey, root []byte, pw string) []byte {
	t.Helper()
	base := filepath.Join(t.TempDir(), "id")
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, base+".crt", "CERTIFICATE", leaf)
	writePEM(t, base+".key", "PRIVATE KEY", keyDER)
	writePEM(t, base+".ca", "CERTIFICATE", root)
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
	return pfx
}

// certutilOK runs certutil and fails the test on error.
func certutilOK(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
		t.Fatalf("certutil %q: %v: %s", args, err, out)
	}
}

// TestNSSIdentityClashReal publishes an identity into a database that
// already holds a different certificate with the same issuer and serial:
// AddIdentity fails and the database gets no key. "hidden" hides that
// certificate from the check made before pk12util, so pk12util itself
// fails and the key it stored must be deleted afterwards.
func TestNSSIdentityClashReal(t *testing.T) {
	need(t, "certutil", "pk12util", "openssl")
	for _, hidden := range []bool{false, true} {
		name := "checked"
		if hidden {
			name = "hidden"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "nssdb")
			os.MkdirAll(dir, 0o700)
			certutilOK(t, "-N", "-d", "sql:"+dir, "--empty-password")
			root, a, b, _, kb := clashPKI(t)
			certutilOK(t, "-A", "-d", "sql:"+dir, "-n", "other", "-t", ",,", "-i", writePEM(t, filepath.Join(t.TempDir(), "a.pem"), "CERTIFICATE", a))
			n := &NSS{Dir: dir}
			if hidden {
				imported := false
				n.Run = func(ctx context.Context, name string, args ...string) ([]byte, error) {
					if name == "pk12util" {
						imported = true
					}
					if !imported && name == "certutil" && len(args) == 3 && args[0] == "-L" {
						return []byte("\nCertificate Nickname   Trust Attributes\n\n"), nil
					}
					return ExecRunner(ctx, name, args...)
				}
			}
			err := n.AddIdentity(ctx, b, makeP12(t, b, kb, root, "pw"), "pw")
			if err == nil {
				t.Fatal("AddIdentity succeeded over a certificate with the same issuer and serial")
			}
			t.Logf("AddIdentity: %v", err)
			if k := keys(t, dir); k != 0 {
				out, _ := exec.Command("certutil", "-K", "-d", "sql:"+dir).CombinedOutput()
				t.Fatalf("%d keys left after the failed publish:\n%s", k, out)
			}
			if l := listed(t, dir); !strings.Contains(l, "other") {
				t.Fatalf("the certificate already there went:\n%s", l)
			}
		})
	}
}

// TestNSSRemoveOrphanKeyReal: Remove of an identity whose certificate is
// no longer in the database (deleted alone, or never stored by a failed
// pk12util) still deletes its key, matched by public key, and leaves the
// key of another identity alone.
func TestNSSRemoveOrphanKeyReal(t *testing.T) {
	need(t, "certutil", "pk12util", "openssl")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nssdb")
	n := &NSS{Dir: dir}
	mine, other := newPKI(t, "orphan"), newPKI(t, "kept")
	for _, p := range []testPKI{mine, other} {
		if err := n.AddIdentity(ctx, p.leaf, makeP12(t, p.leaf, p.leafKey, p.root, ""), ""); err != nil {
			t.Fatal(err)
		}
	}
	certutilOK(t, "-D", "-d", "sql:"+dir, "-n", "certdesk-"+Thumbprint(mine.leaf))
	if k := keys(t, dir); k != 2 {
		t.Fatalf("%d keys before Remove, want 2 (one orphan)", k)
	}
	if err := n.Remove(ctx, mine.leaf); !errors.Is(err, ErrNotInNSS) {
		t.Fatalf("Remove = %v, want ErrNotInNSS", err)
	}
	out, _ := exec.Command("certutil", "-K", "-d", "sql:"+dir).CombinedOutput()
	if k := keys(t, dir); k != 1 {
		t.Fatalf("%d keys after Remove, want 1:\n%s", k, out)
	}
	c, _ := x509.ParseCertificate(other.leaf)
	if !bytes.Contains(out, []byte(keyID(c))) {
		t.Fatalf("the other identity's key %s went:\n%s", keyID(c), out)
	}
}
