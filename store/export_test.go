package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

// TestExportPFXProfiles: OpenSSL 3.0 (the peer) must open our compatible
// and modern PFX files. It cannot read PBMAC1 (that needs OpenSSL ≥ 3.4),
// so the pbmac1 profile is checked by decoding it again with go-pkcs12 and
// by its reported MAC algorithm.
func TestExportPFXProfiles(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "export.example")
	s.Add(ctx, CA, p.inter, nil, Meta{})
	s.Add(ctx, Root, p.root, nil, Meta{})
	e, _, err := s.Add(ctx, My, leaf, key, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "pw", []byte("pä55 word\n"))
	tests := []struct {
		profile Profile
		algs    string
		openssl bool
	}{
		{Compatible, "3DES, MAC HMAC-SHA1", true},
		{Modern, "AES-256-CBC/PBKDF2-SHA256, MAC HMAC-SHA256", true},
		{PBMAC1, "AES-256-CBC/PBKDF2-SHA256, MAC PBMAC1/HMAC-SHA256/PBKDF2-SHA256", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.profile), func(t *testing.T) {
			b, err := s.Export(ctx, My, e.Thumbprint, ExportOptions{Format: FormatPFX, Profile: tt.profile, Password: "pä55 word", Chain: true})
			if err != nil {
				t.Fatal(err)
			}
			if algs, _ := PFXAlgorithms(b); algs != tt.algs {
				t.Errorf("algorithms %q, want %q", algs, tt.algs)
			}
			k, c, cas, err := pkcs12.DecodeChain(b, "pä55 word")
			if err != nil || !bytes.Equal(c.Raw, leaf.Raw) || len(cas) != 2 || !keyMatches(k, leaf) {
				t.Fatalf("go-pkcs12 decode: %v", err)
			}
			if !tt.openssl {
				return
			}
			writeFile(t, dir, "f.pfx", b)
			out := string(openssl(t, dir, "pkcs12", "-in", "f.pfx", "-nodes", "-passin", "file:pw"))
			if strings.Count(out, "BEGIN CERTIFICATE") != 3 || !strings.Contains(out, "BEGIN PRIVATE KEY") {
				t.Errorf("openssl -nodes output lacks certificates or key:\n%s", out)
			}
			out = string(openssl(t, dir, "pkcs12", "-in", "f.pfx", "-nokeys", "-passin", "file:pw"))
			if strings.Contains(out, "PRIVATE KEY") {
				t.Errorf("-nokeys printed a key")
			}
		})
	}
	t.Run("key needs password", func(t *testing.T) {
		if _, err := s.Export(ctx, My, e.Thumbprint, ExportOptions{Format: FormatPFX}); err == nil {
			t.Fatal("PFX export of a key without password succeeded")
		}
	})
	t.Run("pem der p7b", func(t *testing.T) {
		for _, f := range []Format{FormatPEM, FormatDER, FormatP7B} {
			b, err := s.Export(ctx, My, e.Thumbprint, ExportOptions{Format: f, Chain: true, Key: true})
			if err != nil {
				t.Fatal(err)
			}
			bd, err := Parse(b, "")
			if err != nil || bd.Format != f || !bytes.Equal(bd.Certs[0].Raw, leaf.Raw) {
				t.Errorf("%s: re-parse %v", f, err)
			}
			writeFile(t, dir, "out."+string(f), b)
		}
		inform := map[Format]string{FormatDER: "DER", FormatPEM: "PEM"}
		for f, in := range inform {
			openssl(t, dir, "x509", "-in", "out."+string(f), "-inform", in, "-noout")
		}
		openssl(t, dir, "pkcs7", "-in", "out.p7b", "-inform", "DER", "-print_certs", "-noout")
	})
}

// TestKeysEncryptedAtRest imports a key with a real gnome-keyring and then
// searches every file under the root for the key's DER, its PEM body and
// their base64 forms.
func TestKeysEncryptedAtRest(t *testing.T) {
	needKeyring(t)
	ctx := context.Background()
	s, root := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "secret.example")
	if _, err := s.Import(ctx, "k.pem", concat(pemCert(leaf), pemKey(t, key)), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if pr, _ := s.Protection(); pr != ProtectKeyring {
		t.Fatalf("protection %s", pr)
	}
	blk, _ := pem.Decode(pemKey(t, key))
	der := blk.Bytes
	needles := map[string][]byte{
		"DER": der, "PEM": pemKey(t, key), "base64 DER": []byte(base64.StdEncoding.EncodeToString(der)),
		"PEM header": []byte("PRIVATE KEY"),
		"scalar":     mustBytes(key.Bytes()),
	}
	files := 0
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, _ := os.ReadFile(path)
		for name, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s: contains the private key (%s)", path, name)
			}
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("only %d files under the root", files)
	}
	// The key still opens, from a fresh handle (KEK read from the keyring).
	s2, _ := Open(LocationAt(root), User)
	if k, err := s2.Signer(ctx, My, Thumbprint(leaf.Raw)); err != nil || !key.PublicKey.Equal(k.Public()) {
		t.Fatalf("Signer: %v", err)
	}
}

// TestNoKeyring: without a session bus a key import fails with the one
// sentence and changes nothing; after the file opt-in it succeeds.
func TestNoKeyring(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows always has its Credential Manager")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	ctx := context.Background()
	root := t.TempDir()
	s, _ := Open(LocationAt(root), User)
	p := newPKI(t)
	leaf, key := p.leaf(t, "headless.example")
	data := concat(pemCert(leaf), pemKey(t, key))
	_, err := s.Import(ctx, "k.pem", data, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "store protect -mode file") || strings.Count(err.Error(), "\n") > 0 {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(root); err == nil {
		if ents, _ := os.ReadDir(root); len(ents) != 0 {
			t.Fatalf("the failed import created %v", ents)
		}
	}
	if err := s.SetProtection(ctx, ProtectFile); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, "k.pem", data, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(s.storeDir(My), entryName(Thumbprint(leaf.Raw))))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("entry mode %v, %v", fi.Mode(), err)
	}
}

func mustBytes(b []byte, _ error) []byte { return b }
