package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// runCLIStdin runs certdesk in-process and returns exit code, stdout, stderr.
func runCLIStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errb, nil)
	return code, out.String(), errb.String()
}

// testCert issues a self-signed CA and a leaf with an ECDSA key.
func testCert(t *testing.T) (ca, leaf *x509.Certificate, key *ecdsa.PrivateKey) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CLI Root"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	ca, _ = x509.ParseCertificate(der)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "cli.example"}, DNSNames: []string{"cli.example"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 3, 0)}
	der, _ = x509.CreateCertificate(rand.Reader, lt, ca, key.Public(), caKey)
	leaf, _ = x509.ParseCertificate(der)
	return ca, leaf, key
}

// hashTree hashes every name, mode and content under root.
func hashTree(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		h.Write([]byte(p + fi.Mode().String()))
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

// setupRoot points CERTDESK_ROOT at a fresh directory; without a session
// bus (and unless CI requires one) the context opts into file protection.
func setupRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	t.Setenv("CERTDESK_ROOT", root)
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("REQUIRE_SECRET_SERVICE") == "1" {
			t.Fatal("REQUIRE_SECRET_SERVICE=1 but no session bus")
		}
		if code, _, e := runCLIStdin(t, "", "store", "protect", "-mode", "file"); code != 0 {
			t.Fatal(e)
		}
	}
	return root
}

func TestStoreCLIRoundTrip(t *testing.T) {
	setupRoot(t)
	dir := t.TempDir()
	ca, leaf, key := testCert(t)
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{ca}, "pw")
	os.WriteFile(filepath.Join(dir, "c.pfx"), pfx, 0o600)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("pw\n"), 0o600)
	thumb := store.Thumbprint(leaf.Raw)
	steps := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"import", "pw", []string{"store", "import", "-password-stdin", "-trust-roots", dir + "/c.pfx"}, 0, "AES-256-CBC/PBKDF2-SHA256, MAC HMAC-SHA256"},
		{"list", "", []string{"store", "list"}, 0, thumb},
		{"list root", "", []string{"store", "list", "-store", "root"}, 0, "CLI Root"},
		{"show", "", []string{"store", "show", strings.ToLower(thumb)}, 0, "Chain:       valid"},
		{"export pfx", "", []string{"store", "export", thumb, "-format", "pfx", "-profile", "compatible", "-out", dir + "/o.pfx", "-password-file", dir + "/pw"}, 0, ""},
		{"export pfx no password", "", []string{"store", "export", thumb, "-format", "pfx", "-out", dir + "/o2.pfx"}, 2, ""},
		{"delete", "", []string{"store", "delete", thumb}, 0, ""},
		{"list hides archived", "", []string{"store", "list"}, 0, "SUBJECT\n"},
		{"list -all", "", []string{"store", "list", "-all"}, 0, "(archived)"},
		{"verify", "", []string{"store", "verify"}, 0, "0 problems"},
		{"purge", "", []string{"store", "purge", thumb}, 0, ""},
		{"show purged", "", []string{"store", "show", thumb}, 1, ""},
		{"bad usage", "", []string{"store", "show"}, 2, ""},
		{"bad context", "", []string{"store", "list", "-context", "app:../x"}, 2, ""},
	}
	for _, st := range steps {
		code, out, errs := runCLIStdin(t, st.stdin, st.args...)
		if code != st.code || !strings.Contains(out, st.out) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", st.name, code, st.code, out, errs)
		}
	}
}

func TestStoreListJSONShape(t *testing.T) {
	setupRoot(t)
	_, leaf, _ := testCert(t)
	p := filepath.Join(t.TempDir(), "leaf.cer")
	os.WriteFile(p, leaf.Raw, 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", p); code != 0 {
		t.Fatal(e)
	}
	_, out, _ := runCLIStdin(t, "", "store", "list", "-json")
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"store", "thumbprint", "sha256", "subject", "subjectCN", "issuer", "issuerCN", "sans", "serial",
		"notBefore", "notAfter", "keyType", "keySize", "hasKey", "selfSigned", "isCA", "meta"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("list -json lacks %q", k)
		}
	}
}

// TestStoreImportBadInput: every bad file gives exit 1, one line naming the
// file, and leaves the whole root byte-for-byte unchanged.
func TestStoreImportBadInput(t *testing.T) {
	root := setupRoot(t)
	dir := t.TempDir()
	ca, leaf, key := testCert(t)
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{ca}, "right")
	empty7, _ := pkcs7.DegenerateCertificate(nil)
	orphan, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	orphanDER, _ := x509.MarshalPKCS8PrivateKey(orphan)
	rnd := make([]byte, 4096)
	rand.Read(rnd)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("wrong\n"), 0o600)

	// Populate the store, then damage one entry so importing that
	// certificate again meets an unreadable store file.
	_, other, otherKey := testCert(t)
	good := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Raw}), mustPKCS8(otherKey)...)
	os.WriteFile(filepath.Join(dir, "good.pem"), good, 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", dir+"/good.pem"); code != 0 {
		t.Fatal(e)
	}
	entry := filepath.Join(root, "user", "stores", "My", store.Thumbprint(other.Raw)+".json")
	os.WriteFile(entry, []byte("{not json"), 0o600)

	big := filepath.Join(dir, "huge.pfx")
	f, _ := os.Create(big)
	f.Truncate(1 << 30) // sparse: 1 GiB without using the disk
	f.Close()
	os.Mkdir(filepath.Join(dir, "folder.pfx"), 0o700)

	tests := []struct {
		name, file string
		data       []byte
		reason     string
	}{
		{"wrong password", "client.pfx", pfx, "wrong password or unsupported PFX encryption"},
		{"truncated pfx", "trunc.pfx", pfx[:len(pfx)-40], "the file is damaged or truncated"},
		{"corrupt pfx", "corrupt.pfx", flipByte(pfx, len(pfx)/2), "wrong password"},
		{"html named cer", "page.cer", []byte("<!DOCTYPE html>\n<html><body>Sign in</body></html>\n"), "not a certificate, PFX, PEM or P7B file"},
		{"text named cer", "notes.cer", []byte("hello world\n"), "not a certificate"},
		{"random bytes", "random.p12", rnd, "not a certificate"},
		{"empty file", "empty.cer", []byte{}, "the file is empty"},
		{"directory", "folder.pfx", nil, "it is a directory"},
		{"1 GiB file", "huge.pfx", nil, "too large"},
		{"missing file", "missing.pfx", nil, "cannot open the file"},
		{"p7b without certificates", "empty.p7b", empty7, "holds no certificates"},
		{"pem key without certificate", "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: orphanDER}), "matches no certificate"},
		{"unreadable store file", "again.pem", good, "the file is damaged"},
	}
	before := hashTree(t, root)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			if tt.data != nil {
				os.WriteFile(p, tt.data, 0o600)
			}
			code, _, errs := runCLIStdin(t, "", "store", "import", "-password-file", dir+"/pw", p)
			if code != exitFail {
				t.Errorf("exit %d, want 1", code)
			}
			if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "certdesk: import "+p+": ") || !strings.Contains(errs, tt.reason) {
				t.Errorf("stderr %q: want one line naming %s with %q", errs, p, tt.reason)
			}
			if after := hashTree(t, root); after != before {
				t.Errorf("the store changed")
			}
		})
	}
}

func mustPKCS8(k *ecdsa.PrivateKey) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func flipByte(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0xFF
	return c
}

// TestStoreVerifyDamage: verify exits 1 with one line on stderr when an
// entry file is damaged, and 0 after the damaged entry is purged.
func TestStoreVerifyDamage(t *testing.T) {
	root := setupRoot(t)
	_, leaf, _ := testCert(t)
	p := filepath.Join(t.TempDir(), "leaf.cer")
	os.WriteFile(p, leaf.Raw, 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", p); code != 0 {
		t.Fatal(e)
	}
	thumb := store.Thumbprint(leaf.Raw)
	os.WriteFile(filepath.Join(root, "user", "stores", "My", thumb+".json"), []byte("garbage"), 0o600)
	code, out, errs := runCLIStdin(t, "", "store", "verify", "-json")
	if code != exitFail || strings.Count(errs, "\n") != 1 || !strings.Contains(out, `"damage": true`) {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, e := runCLIStdin(t, "", "store", "purge", thumb); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := runCLIStdin(t, "", "store", "verify"); code != 0 {
		t.Fatalf("verify after purge: %d %s", code, e)
	}
}

// TestStoreExportReplacesLooseFile: exporting a key over an existing
// world-readable file leaves a 0600 file, never the key at the old mode.
func TestStoreExportReplacesLooseFile(t *testing.T) {
	setupRoot(t)
	_, leaf, key := testCert(t)
	dir := t.TempDir()
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	in := filepath.Join(dir, "in.pem")
	os.WriteFile(in, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...), 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", in); code != 0 {
		t.Fatal(e)
	}
	out := filepath.Join(dir, "out.pem")
	os.WriteFile(out, []byte("old"), 0o644)
	os.Chmod(out, 0o644)
	if code, _, e := runCLIStdin(t, "", "store", "export", "-format", "pem", "-key", "-force", "-out", out, store.Thumbprint(leaf.Raw)); code != 0 {
		t.Fatal(e)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("exported key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".out.pem.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestBadValuesAreUsage: a misspelt value is bad usage (exit 2) and
// creates nothing.
func TestBadValuesAreUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"export profile", []string{"store", "export", "-format", "pfx", "-profile", "fast", "-out", "x.pfx", strings.Repeat("A", 40)}},
		{"protect mode", []string{"store", "protect", "-mode", "bogus"}},
		{"enroll key", []string{"enroll", "-server", "s", "-template", "User", "-key", "rsa1024"}},
		{"request key", []string{"request", "new", "-subject", "CN=x", "-key", "dsa", "-out", "x.csr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			t.Setenv("CERTDESK_ROOT", root)
			code, _, e := runCLIStdin(t, "", tt.args...)
			if code != exitUsage || strings.Count(e, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line", code, e)
			}
			if des, _ := os.ReadDir(root); len(des) != 0 {
				t.Errorf("created %v", des)
			}
		})
	}
}
