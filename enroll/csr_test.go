package enroll

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestKeyType(t *testing.T) {
	tests := []struct {
		alg     string
		min     uint32
		want    string
		wantErr bool
	}{
		{"", 0, "RSA 2048", false},
		{"", 1024, "RSA 2048", false},
		{"1.2.840.113549.1.1.1", 2049, "RSA 3072", false},
		{"1.2.840.113549.1.1.1", 4096, "RSA 4096", false},
		{"1.2.840.113549.1.1.1", 8192, "", true},
		{"1.2.840.10045.2.1", 256, "ECDSA P-256", false},
		{"1.2.840.10045.2.1", 384, "ECDSA P-384", false},
		{"1.2.840.10045.2.1", 521, "", true},
		{"1.2.840.10045.3.1.7", 0, "ECDSA P-256", false},
		{"1.3.132.0.34", 0, "ECDSA P-384", false},
		{"1.2.840.10040.4.1", 1024, "", true}, // DSA
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+tt.want, func(t *testing.T) {
			tm := &Template{KeyAlgorithm: tt.alg, MinimalKeyLength: tt.min}
			kt, err := tm.KeyType()
			if (err != nil) != tt.wantErr || (err == nil && kt.String() != tt.want) {
				t.Errorf("got %v %v", kt, err)
			}
			if err != nil || kt.Bits > 2048 && kt.Algorithm == x509.RSA {
				return // RSA 3072/4096 generation is slow; checkKey covers sizes
			}
			key, err := tm.NewKey(rand.Reader)
			if err != nil || checkKey(tm, key.Public()) != nil {
				t.Errorf("NewKey: %v", err)
			}
		})
	}
}

func TestParseDN(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"CN=web.example.test,O=Example,C=DE", "CN=web.example.test,O=Example,C=DE", ""},
		{`CN=Smith\, John, OU=Sales`, `CN=Smith\, John,OU=Sales`, ""},
		{"DC=example,DC=test", "-", ""}, // String() re-encodes; IA5 checked below
		{"", "", ""},
		{"CN=a+O=b", "", "multi-valued"},
		{"CN", "", "TYPE=value"},
		{"XX=1", "", "TYPE=value"},
		{"CN=", "", "TYPE=value"},
		{"C=Germany", "", "two letters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			der, err := ParseDN(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v", err)
				}
				return
			}
			var seq pkix.RDNSequence
			if _, err := asn1.Unmarshal(der, &seq); err != nil {
				t.Fatal(err)
			}
			// DC and E must be IA5Strings (tag 0x16).
			if strings.Contains(tt.in, "DC=") && !bytes.Contains(der, []byte{0x16, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e'}) {
				t.Errorf("DC is not an IA5String: % x", der)
			}
			if got := seq.String(); tt.want != "-" && got != tt.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

// openssl runs the independent peer; the test skips without it.
func openssl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestCSRAcceptedByOpenSSL(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec := func(alg string, min uint32) *Template {
		tm := webServer()
		tm.KeyAlgorithm, tm.MinimalKeyLength, tm.HashAlgorithm = alg, min, "2.16.840.1.101.3.4.2.2"
		return tm
	}
	tests := []struct {
		name string
		req  Request
		want []string
	}{
		{"RSA web server", Request{Template: webServer(), Key: loadKey(t, "new-rsa2048.pem"), Subject: "CN=web.example.test,O=Example",
			DNSNames: []string{"web.example.test", "*.web.example.test"}, EmailAddresses: []string{"ops@example.test"}},
			[]string{"Subject: O = Example, CN = web.example.test", "DNS:web.example.test", "DNS:*.web.example.test", "email:ops@example.test", "sha256WithRSAEncryption", "Public-Key: (2048 bit)"}},
		{"P-256 SANs only", Request{Template: ec("1.2.840.10045.2.1", 256), Key: p256, DNSNames: []string{"a.example.test"}},
			[]string{"ecdsa-with-SHA384", "NIST CURVE: P-256", "DNS:a.example.test"}},
		{"P-384 user", Request{Template: &Template{CommonName: "UserP384", OID: "1.3.6.1.4.1.311.21.8.9.9", MajorRevision: 2, KeyAlgorithm: "1.3.132.0.34"}, Key: p384},
			[]string{"NIST CURVE: P-384", "ecdsa-with-SHA256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := NewCSR(rand.Reader, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			out := openssl(t, der, "req", "-inform", "DER", "-verify", "-noout", "-text")
			want := append(tt.want, "verify OK", "1.3.6.1.4.1.311.20.2:", "1.3.6.1.4.1.311.21.7:")
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("openssl output lacks %q:\n%s", w, out)
				}
			}
			checkTemplateExtensions(t, der, tt.req.Template)
		})
	}
}

// checkTemplateExtensions: 311.20.2 is a bare BMPString (§10.9) and 311.21.7
// carries the template OID and revision.
func checkTemplateExtensions(t *testing.T, der []byte, tm *Template) {
	t.Helper()
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, e := range csr.Extensions {
		switch {
		case e.Id.Equal(oidTemplateName):
			found++
			if !bytes.Equal(e.Value, append([]byte{0x1e, byte(2 * len(tm.CommonName))}, bmp(tm.CommonName)...)) {
				t.Errorf("template name = % x", e.Value)
			}
		case e.Id.Equal(oidTemplateInfo):
			found++
			var info struct {
				ID           asn1.ObjectIdentifier
				Major, Minor int
			}
			if _, err := asn1.Unmarshal(e.Value, &info); err != nil || info.ID.String() != tm.OID || info.Major != int(tm.MajorRevision) || info.Minor != int(tm.MinorRevision) {
				t.Errorf("template info = %+v %v", info, err)
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d template extensions", found)
	}
}

func TestNewCSRRefuses(t *testing.T) {
	key := loadKey(t, "new-rsa2048.pem")
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	user := &Template{CommonName: "User", OID: "1.2.3.4", MinimalKeyLength: 2048}
	big := webServer()
	big.MinimalKeyLength = 3072
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"subject not allowed", Request{Template: user, Key: key, Subject: "CN=x"}, "builds the subject itself"},
		{"SAN not allowed", Request{Template: user, Key: key, DNSNames: []string{"x.test"}}, "builds the alternative names itself"},
		{"subject needed", Request{Template: webServer(), Key: key}, "needs a subject"},
		{"bad DNS name", Request{Template: webServer(), Key: key, DNSNames: []string{"bad_name.test"}}, "not a valid DNS name"},
		{"bad e-mail", Request{Template: webServer(), Key: key, EmailAddresses: []string{"nobody"}}, "not a valid e-mail"},
		{"bad DN", Request{Template: webServer(), Key: key, Subject: "web.example.test"}, "TYPE=value"},
		{"key too short", Request{Template: big, Key: key, Subject: "CN=x"}, "needs a RSA 3072 key"},
		{"wrong algorithm", Request{Template: user, Key: p256}, "needs a RSA 2048 key"},
		{"no template", Request{Key: key}, "needs a template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCSR(rand.Reader, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRenewalAcceptedByOpenSSL(t *testing.T) {
	old, oldKey, newKey := loadCert(t, "old-cert.pem"), loadKey(t, "old-key.pem"), loadKey(t, "new-rsa2048.pem")
	der, err := NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: newKey})
	if err != nil {
		t.Fatal(err)
	}
	if !isCMS(der) {
		t.Error("renewal request not recognised as CMS")
	}
	dir := t.TempDir()
	in, p10, certs := filepath.Join(dir, "req.cms"), filepath.Join(dir, "inner.p10"), filepath.Join(dir, "certs.pem")
	os.WriteFile(in, der, 0o600)
	out := openssl(t, nil, "cms", "-verify", "-noverify", "-inform", "DER", "-in", in, "-out", p10, "-certsout", certs)
	if !strings.Contains(out, "Verification successful") {
		t.Errorf("openssl cms: %s", out)
	}
	pemCerts, _ := os.ReadFile(certs)
	blk, _ := pem.Decode(pemCerts)
	if blk == nil || !bytes.Equal(blk.Bytes, old.Raw) {
		t.Error("old certificate not in the CMS certificates")
	}
	cmsText := openssl(t, der, "cms", "-cmsout", "-inform", "DER", "-print", "-noout")
	for _, w := range []string{"eContentType: pkcs7-data", "algorithm: sha256", "d.issuerAndSerialNumber", "serialNumber: 305441741"} {
		if !strings.Contains(cmsText, w) {
			t.Errorf("CMS structure lacks %q:\n%s", w, cmsText)
		}
	}
	// Windows sends no signed attributes; mirror it (protocol.md §5).
	if !regexp.MustCompile(`signedAttrs:\s*<ABSENT>`).MatchString(cmsText) {
		t.Error("CMS has signed attributes")
	}
	inner, _ := os.ReadFile(p10)
	reqText := openssl(t, inner, "req", "-inform", "DER", "-verify", "-noout", "-text")
	for _, w := range []string{"verify OK", "Subject: DC = test, DC = example, CN = alice", "1.3.6.1.4.1.311.13.1 ", "1.3.6.1.4.1.311.20.2:", "DNS:alice.example.test"} {
		if !strings.Contains(reqText, w) {
			t.Errorf("inner PKCS#10 lacks %q:\n%s", w, reqText)
		}
	}
	// The attribute value is the old certificate, byte for byte.
	if !bytes.Contains(inner, old.Raw) {
		t.Error("311.13.1 does not carry the old certificate")
	}
	csr, _ := x509.ParseCertificateRequest(inner)
	if csr == nil || (&Response{Certificate: &x509.Certificate{PublicKey: csr.PublicKey}}).CheckKey(newKey.Public()) != nil {
		t.Error("inner request is not for the new key")
	}
}

func TestSameKeyRenewal(t *testing.T) {
	old, oldKey, newKey := loadCert(t, "old-cert.pem"), loadKey(t, "old-key.pem"), loadKey(t, "new-rsa2048.pem")
	tm := &Template{CommonName: "User", OID: "1.2.3.4", MinimalKeyLength: 2048, PrivateKeyFlags: u32(0x80), Flags: decodeFlags(0, 0, 0x80, 0)}
	if _, err := NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: newKey, Template: tm}); err == nil || !strings.Contains(err.Error(), "same key") {
		t.Errorf("err = %v", err)
	}
	der, err := NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, Template: tm})
	if err != nil {
		t.Fatal(err)
	}
	res := &Response{Certificate: old}
	if err := res.CheckKey(oldKey.Public()); err != nil {
		t.Error(err)
	}
	if !isCMS(der) {
		t.Error("not CMS")
	}
}
