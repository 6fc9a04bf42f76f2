package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// TestImportOpenSSLPFX imports PFX files made by OpenSSL, the independent
// peer: its default (AES-256/PBKDF2, HMAC-SHA256) and -legacy (RC2-40
// certificates, 3DES key, SHA-1 MAC).
func TestImportOpenSSLPFX(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t)
	leaf, key := p.leaf(t, "openssl.example")
	writeFile(t, dir, "leaf.pem", pemCert(leaf))
	writeFile(t, dir, "leaf.key", pemKey(t, key))
	// The chain comes first in -certfile order on purpose: the leaf must be
	// found by its key, not by position.
	writeFile(t, dir, "chain.pem", append(pemCert(p.inter), pemCert(p.root)...))
	tests := []struct {
		name  string
		extra []string
		algs  string
	}{
		{"default AES", nil, "AES-256-CBC/PBKDF2-SHA256, MAC HMAC-SHA256"},
		{"legacy", []string{"-legacy"}, "certificates RC2-40, key 3DES, MAC HMAC-SHA1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			args := append([]string{"pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "chain.pem",
				"-out", "f.pfx", "-passout", "pass:Secret 1"}, tt.extra...)
			openssl(t, dir, args...)
			res, err := s.ImportFile(context.Background(), dir+"/f.pfx", ImportOptions{Password: "Secret 1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != FormatPFX || res.PFXAlgorithms != tt.algs {
				t.Errorf("format %s algorithms %q, want %q", res.Format, res.PFXAlgorithms, tt.algs)
			}
			want := map[string]string{Thumbprint(leaf.Raw): "My/added", Thumbprint(p.inter.Raw): "CA/added", Thumbprint(p.root.Raw): "/skipped"}
			for _, it := range res.Items {
				if got := string(it.Store) + "/" + it.Result; want[it.Thumbprint] != got {
					t.Errorf("%s: %s, want %s", it.Subject, got, want[it.Thumbprint])
				}
			}
			if _, err := s.Signer(context.Background(), My, Thumbprint(leaf.Raw)); err != nil {
				t.Errorf("Signer: %v", err)
			}
		})
	}
}

// TestImportPlacement covers the formats and the placement rules.
func TestImportPlacement(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "place.example")
	tl, ti, tr := Thumbprint(leaf.Raw), Thumbprint(p.inter.Raw), Thumbprint(p.root.Raw)
	sec1, _ := x509.MarshalECPrivateKey(key)
	p7, _ := pkcs7.DegenerateCertificate(append(append([]byte{}, p.inter.Raw...), p.root.Raw...))
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{p.inter}, "pw")
	tests := []struct {
		name string
		data []byte
		opt  ImportOptions
		want []string // thumbprint:store:result
	}{
		{"DER leaf", leaf.Raw, ImportOptions{}, []string{tl + ":My:added"}},
		{"PEM leaf+PKCS8 key+chain", concat(pemCert(leaf), pemKey(t, key), pemCert(p.inter)), ImportOptions{},
			[]string{tl + ":My:added", ti + ":CA:added"}},
		{"PEM SEC1 key", concat(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), pemCert(leaf)), ImportOptions{},
			[]string{tl + ":My:added"}},
		{"P7B DER roots skipped", p7, ImportOptions{}, []string{ti + ":CA:added", tr + "::skipped"}},
		{"P7B PEM trusted", pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7}), ImportOptions{TrustRoots: true},
			[]string{ti + ":CA:added", tr + ":Root:added"}},
		{"target store overrides", pfx, ImportOptions{Password: "pw", Store: "Backup"}, []string{tl + ":Backup:added", ti + ":Backup:added"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			res, err := s.Import(context.Background(), "f", tt.data, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range res.Items {
				got = append(got, it.Thumbprint+":"+string(it.Store)+":"+it.Result)
			}
			slices.Sort(got)
			slices.Sort(tt.want)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func concat(bs ...[]byte) (out []byte) {
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// TestImportKeyLater: a certificate imported alone, then its key in a
// separate PEM, ends as one entry with a key; importing twice is a no-op.
func TestImportKeyLater(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "later.example")
	steps := []struct {
		name string
		data []byte
		want string
	}{
		{"cert", pemCert(leaf), "added"},
		{"cert again", leaf.Raw, "unchanged"},
		{"key alone", pemKey(t, key), "attached"},
		{"both again", concat(pemCert(leaf), pemKey(t, key)), "unchanged"},
	}
	for _, st := range steps {
		res, err := s.Import(ctx, st.name, st.data, ImportOptions{})
		if err != nil || len(res.Items) != 1 || res.Items[0].Result != st.want {
			t.Fatalf("%s: %+v, %v; want %s", st.name, res, err, st.want)
		}
	}
	if e, err := s.Get(ctx, My, Thumbprint(leaf.Raw)); err != nil || !e.HasKey {
		t.Fatalf("Get = %+v, %v", e, err)
	}
}

func TestImportErrors(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "bad.example")
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, nil, "right")
	empty7, _ := pkcs7.DegenerateCertificate(nil)
	dir := t.TempDir()
	writeFile(t, dir, "ca.pem", pemCert(p.root))
	openssl(t, dir, "pkcs12", "-export", "-nokeys", "-in", "ca.pem", "-out", "certs.pfx", "-passout", "pass:right")
	certsOnly, _ := os.ReadFile(dir + "/certs.pfx")
	encKey := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"wrong password", pfx, ErrWrongPassword},
		{"certificates-only pfx, wrong password", certsOnly, ErrWrongPassword},
		{"encrypted pem key", encKey, ErrUnsupportedData},
		{"truncated pfx", pfx[:len(pfx)/2], ErrMalformed},
		{"corrupt pfx", flip(pfx, len(pfx)/2), ErrWrongPassword},
		{"html", []byte("<!DOCTYPE html><html><body>login</body></html>"), ErrUnknownFormat},
		{"empty", nil, ErrEmpty},
		{"p7b without certificates", empty7, ErrNoCertificates},
		{"key without certificate", pemKey(t, newKey(t)), ErrKeyWithoutCert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			_, err := s.Import(context.Background(), "x.cer", tt.data, ImportOptions{Password: "wrong"})
			var ie *ImportError
			if !errors.As(err, &ie) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "import x.cer: ") {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

// flip returns a copy of b with one byte changed.
func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0xFF
	return c
}

// TestImportKeylessPFX: a PFX of certificates only, as
// `openssl pkcs12 -export -nokeys` writes it (no Java trust attribute),
// modern and -legacy, reads with its certificates and nothing else; its
// MAC still guards it.
func TestImportKeylessPFX(t *testing.T) {
	p := newPKI(t)
	dir := t.TempDir()
	writeFile(t, dir, "chain.pem", concat(pemCert(p.inter), pemCert(p.root)))
	for _, legacy := range []bool{false, true} {
		args := []string{"pkcs12", "-export", "-nokeys", "-in", "chain.pem", "-out", "c.pfx", "-passout", "pass:Secret 1"}
		if legacy {
			args = append(args, "-legacy")
		}
		openssl(t, dir, args...)
		data, _ := os.ReadFile(dir + "/c.pfx")
		b, err := Parse(data, "Secret 1")
		if err != nil || len(b.Keys) != 0 || len(b.Certs) != 2 {
			t.Fatalf("legacy %v: Parse = %+v, %v", legacy, b, err)
		}
		for i, want := range []*x509.Certificate{p.inter, p.root} {
			if !b.Certs[i].Equal(want) {
				t.Fatalf("legacy %v: certificate %d is %s", legacy, i, b.Certs[i].Subject)
			}
		}
		if _, err := Parse(data, "wrong"); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("legacy %v: wrong password: %v", legacy, err)
		}
		if _, err := Parse(flip(data, len(data)/2), "Secret 1"); err == nil {
			t.Fatalf("legacy %v: a damaged file parsed", legacy)
		}
		s, _ := newTestStore(t)
		res, err := s.Import(context.Background(), "c.pfx", data, ImportOptions{Password: "Secret 1", TrustRoots: true})
		if err != nil || len(res.Items) != 2 {
			t.Fatalf("legacy %v: Import = %+v, %v", legacy, res, err)
		}
	}
}

// TestPFXIterationBound: a PFX asking for more key-derivation iterations
// than certdesk accepts, in its MAC or its ciphers, is refused at once
// with one sentence, before any key derivation runs.
func TestPFXIterationBound(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "greedy.example")
	pfx, err := pkcs12.Modern2023.WithIterations(0x8000).Encode(key, leaf, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	iter := []byte{2, 3, 0, 0x80, 0} // INTEGER 32768
	for _, where := range []string{"MAC", "cipher"} {
		data := append([]byte{}, pfx...)
		i := bytes.LastIndex(data, iter) // the MacData comes last
		if where == "cipher" {
			i = bytes.Index(data, iter) // the first PBKDF2 parameters
		}
		copy(data[i+2:], []byte{0x7f, 0xff, 0xff}) // 8,388,607
		_, err := ParsePFX(data, "pw")
		if !errors.Is(err, ErrUnsupportedData) || !strings.Contains(err.Error(), "8388607") {
			t.Fatalf("%s: %v", where, err)
		}
	}
}
