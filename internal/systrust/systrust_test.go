package systrust

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testPKI is a root and a leaf it issued, with the leaf's key.
type testPKI struct {
	root, leaf []byte // DER
	leafKey    *ecdsa.PrivateKey
}

// newPKI creates a fresh root (unique per call, so parallel runs never share
// a thumbprint) and a leaf with the given common name.
func newPKI(t *testing.T, cn string) testPKI {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "certdesk systrust test root " + serial.String()},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	root, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, _ := x509.ParseCertificate(root)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: []string{"certdesk test"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(23 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"leaf.test"},
	}
	leaf, err := x509.CreateCertificate(rand.Reader, leafTmpl, rootCert, leafKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{root: root, leaf: leaf, leafKey: leafKey}
}

// recorder is a Runner that records commands and fails the ones in fail.
type recorder struct {
	cmds []string
	fail map[string]bool
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.cmds = append(r.cmds, strings.Join(append([]string{name}, args...), " "))
	if r.fail[name] {
		return nil, errors.New("exit status 1")
	}
	return nil, nil
}

func TestDetect(t *testing.T) {
	table := []Anchors{
		{Name: "fedora", Dir: "/f", Update: []string{"update-ca-trust", "extract"}},
		{Name: "debian", Dir: "/d", Update: []string{"update-ca-certificates"}},
		{Name: "arch", Dir: "/a", Update: []string{"trust", "extract-compat"}},
	}
	tests := []struct {
		name  string
		dirs  []string
		cmds  []string
		want  string
		unsup bool
	}{
		{name: "fedora first", dirs: []string{"/f", "/d"}, cmds: []string{"update-ca-trust", "update-ca-certificates"}, want: "fedora"},
		{name: "debian", dirs: []string{"/d"}, cmds: []string{"update-ca-certificates", "trust"}, want: "debian"},
		{name: "directory without its tool is skipped", dirs: []string{"/d", "/a"}, cmds: []string{"trust"}, want: "arch"},
		{name: "nothing known", dirs: []string{"/x"}, cmds: []string{"trust"}, unsup: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := func(list []string) func(string) bool {
				return func(s string) bool { return strings.Contains(" "+strings.Join(list, " ")+" ", " "+s+" ") }
			}
			got, err := detect(table, in(tt.dirs), in(tt.cmds))
			if tt.unsup {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("detect = %v, %v; want ErrUnsupported", got, err)
				}
				return
			}
			if err != nil || got.Name != tt.want {
				t.Fatalf("detect = %q, %v; want %q", got.Name, err, tt.want)
			}
		})
	}
}

func TestSystemFake(t *testing.T) {
	pki := newPKI(t, "leaf")
	dir := t.TempDir()
	rec := &recorder{}
	s := &System{Anchors: &Anchors{Name: "debian", Dir: dir, Ext: ".crt", Update: []string{"update-ca-certificates"}}, Run: rec.run}
	ctx := context.Background()
	path := filepath.Join(dir, "certdesk-"+Thumbprint(pki.root)+".crt")

	if err := s.Trust(ctx, pki.root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if blk, _ := pem.Decode(b); blk == nil || blk.Type != "CERTIFICATE" || string(blk.Bytes) != string(pki.root) {
		t.Fatalf("anchor file is not the PEM of the root: %q", b)
	}
	if ok, err := s.Trusted(pki.root); !ok || err != nil {
		t.Fatalf("Trusted = %v, %v after Trust", ok, err)
	}
	if err := s.Untrust(ctx, pki.root); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Trusted(pki.root); ok {
		t.Fatal("anchor still there after Untrust")
	}
	if err := s.Untrust(ctx, pki.root); err != nil {
		t.Fatalf("second Untrust: %v", err)
	}
	want := []string{"update-ca-certificates", "update-ca-certificates"}
	if !reflect.DeepEqual(rec.cmds, want) {
		t.Fatalf("commands = %q, want %q", rec.cmds, want)
	}
	if err := s.Trust(ctx, []byte("<html>not a certificate")); err == nil {
		t.Fatal("Trust accepted garbage")
	}
	rec.fail = map[string]bool{"update-ca-certificates": true}
	if err := s.Trust(ctx, pki.root); err == nil || !strings.Contains(err.Error(), "debian trust bundle") {
		t.Fatalf("Trust with a failing update = %v", err)
	}
}

func TestParseNicknames(t *testing.T) {
	tests := []struct {
		name, out string
		want      []string
	}{
		{name: "empty database", out: "\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\n"},
		{
			name: "roots, identities, shared and spaced nicknames",
			out: `
Certificate Nickname                                         Trust Attributes
                                                             SSL,S/MIME,JAR/XPI

certdesk-0A1B                                                C,,  
alice                                                        u,u,u
alice                                                        u,u,u
Example Corp Issuing CA 2 - Example Corp                     ,,   
My Root's CA                                                 CT,C,C
`,
			want: []string{"certdesk-0A1B", "alice", "Example Corp Issuing CA 2 - Example Corp", "My Root's CA"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseNicknames([]byte(tt.out)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseNicknames = %q, want %q", got, tt.want)
			}
		})
	}
}
