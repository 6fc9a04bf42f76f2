package testca

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenSSLVerify has OpenSSL, an independent implementation, verify the
// chain of issued certificates and the CMC response signature.
func TestOpenSSLVerify(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	dir := t.TempDir()
	write := func(name string, der []byte, typ string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := write("root.pem", ca.Root().Raw, "CERTIFICATE")
	issuing := write("issuing.pem", ca.Issuing().Raw, "CERTIFICATE")
	tests := []struct {
		name string
		csr  []byte
		want []string // strings openssl x509 -text must show
	}{
		{"User RSA", newCSR(t, rsaKey(t, 2048, 0), TemplateUser, ""), []string{"TLS Web Client Authentication", "othername: UPN:", "1.3.6.1.4.1.311.21.7"}},
		{"UserP256", newCSR(t, p256Key(t), TemplateUserP256, ""), []string{"ASN1 OID: prime256v1", "Digital Signature"}},
		{"WebServer", newCSR(t, rsaKey(t, 2048, 0), TemplateWebServer, "www.example.test", "www.example.test"), []string{"DNS:www.example.test", "TLS Web Server Authentication"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := issue(t, c, srv.CESURL(), defaultToken(), tt.csr)
			if got.cert == nil {
				t.Fatal(got.reason)
			}
			leaf := write("leaf.pem", got.cert.Raw, "CERTIFICATE")
			out, err := exec.Command(openssl, "verify", "-CAfile", root, "-untrusted", issuing, leaf).CombinedOutput()
			if err != nil || !strings.Contains(string(out), ": OK") {
				t.Fatalf("openssl verify: %v\n%s", err, out)
			}
			text, err := exec.Command(openssl, "x509", "-in", leaf, "-noout", "-text").CombinedOutput()
			if err != nil {
				t.Fatalf("openssl x509: %v\n%s", err, text)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(text), w) {
					t.Errorf("certificate text lacks %q:\n%s", w, text)
				}
			}
			cmc := write("cmc.p7", got.cmc, "CMS")
			out, err = exec.Command(openssl, "cms", "-verify", "-in", cmc, "-inform", "PEM", "-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
			if err != nil {
				t.Errorf("openssl cms -verify of the CMC response: %v\n%s", err, out)
			}
		})
	}
}
