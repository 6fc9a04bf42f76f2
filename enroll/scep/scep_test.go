package scep

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/smallstep/pkcs7"
)

// pki is a CA with a signing and an encryption RA, as NDES has.
type pki struct {
	ca, sign, enc          *x509.Certificate
	caKey, signKey, encKey *rsa.PrivateKey
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	p := &pki{}
	p.ca, p.caKey = issue(t, "Test CA", nil, nil, true, x509.KeyUsageCertSign)
	p.sign, p.signKey = issue(t, "RA signing", p.ca, p.caKey, false, x509.KeyUsageDigitalSignature)
	p.enc, p.encKey = issue(t, "RA encryption", p.ca, p.caKey, false, x509.KeyUsageKeyEncipherment)
	return p
}

func issue(t testing.TB, cn string, parent *x509.Certificate, parentKey crypto.Signer, isCA bool, ku x509.KeyUsage) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: ku, IsCA: isCA, BasicConstraintsValid: true}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func (p *pki) degenerate(t testing.TB) []byte {
	t.Helper()
	d, err := pkcs7.DegenerateCertificate(append(append(append([]byte(nil), p.sign.Raw...), p.enc.Raw...), p.ca.Raw...))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

// TestParseCACert: the CA, the encryption and the signing RA are told
// apart; the pin must match and the RA certificates chain to it.
func TestParseCACert(t *testing.T) {
	p := newPKI(t)
	s, err := ParseCACert(p.degenerate(t), "application/x-x509-ca-ra-cert")
	if err != nil {
		t.Fatal(err)
	}
	if !s.CA.Equal(p.ca) || !s.Encrypter.Equal(p.enc) || !s.Signer.Equal(p.sign) {
		t.Fatalf("CA %s, encrypter %s, signer %s", s.CA.Subject, s.Encrypter.Subject, s.Signer.Subject)
	}
	if err := s.check(fingerprint(p.ca), time.Now()); err != nil {
		t.Errorf("right pin: %v", err)
	}
	if err := s.check(strings.Repeat("00", 32), time.Now()); !errors.Is(err, ErrPinMismatch) {
		t.Errorf("wrong pin: %v", err)
	}
	other := newPKI(t)
	s.Encrypter = other.enc // an RA of another CA
	s.Certs = append(s.Certs, other.enc)
	if err := s.check(fingerprint(p.ca), time.Now()); err == nil {
		t.Errorf("a foreign RA certificate passed")
	}
	one, err := ParseCACert(p.ca.Raw, "application/x-x509-ca-cert")
	if err != nil || one.Encrypter != one.CA || one.Signer != one.CA {
		t.Errorf("CA only: %+v, %v", one, err)
	}
	for _, bad := range [][]byte{nil, []byte("junk"), p.ca.Raw[:40]} {
		if _, err := ParseCACert(bad, "application/x-x509-ca-ra-cert"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCaps(t *testing.T) {
	for in, want := range map[string]string{
		"": "DES SHA-1 false",
		"POSTPKIOperation\nRenewal\nSHA-512\nSHA-256\nSHA-1\nDES3\n": "DES3 SHA-512 true",
		"SCEPStandard\r\n": "AES SHA-256 true",
		"aes\nsha-256\n":   "AES SHA-256 false",
	} {
		c := ParseCaps([]byte(in))
		if got := c.Cipher().String() + " " + c.Digest().String() + " " + map[bool]string{true: "true", false: "false"}[c.POST]; got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

// TestOpenSSLReadsMessages: OpenSSL, an independent implementation,
// verifies the signature of the PKIMessages certdesk sends (each digest)
// and decrypts their envelope with the encryption RA's key (each cipher
// OpenSSL 3 still has), finding the CSR with its challenge.
func TestOpenSSLReadsMessages(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	p := newPKI(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	encKey := write("enc.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.encKey)}))
	encCert := write("enc.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.enc.Raw}))
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	subject, _ := enroll.ParseDN("CN=router1")
	csr, err := enroll.NewProtocolCSR(rand.Reader, key, subject, []string{"router1.example.com"}, "CHALLENGE-1234")
	if err != nil {
		t.Fatal(err)
	}
	self, err := SelfSigned(key, subject, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, caps := range []string{"DES3\nSHA-1", "DES3\nSHA-256", "AES\nSHA-512"} {
		s := &Server{Caps: ParseCaps([]byte(caps)), CA: p.ca, Encrypter: p.enc, Signer: p.sign}
		msg, err := buildMessage(s, msgPKCSReq, "TID", []byte("0123456789abcdef"), csr, self, key)
		if err != nil {
			t.Fatal(err)
		}
		in := write("msg.der", msg)
		env := filepath.Join(dir, "env.der")
		if out, err := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", in, "-noverify", "-binary", "-out", env).CombinedOutput(); err != nil {
			t.Fatalf("%q: openssl cms -verify: %v\n%s", caps, err, out)
		}
		got := filepath.Join(dir, "csr.der")
		if out, err := exec.Command(openssl, "cms", "-decrypt", "-inform", "DER", "-in", env, "-recip", encCert, "-inkey", encKey, "-binary", "-out", got).CombinedOutput(); err != nil {
			t.Fatalf("%q: openssl cms -decrypt: %v\n%s", caps, err, out)
		}
		out, err := exec.Command(openssl, "req", "-inform", "DER", "-in", got, "-noout", "-text", "-verify").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "CHALLENGE-1234") || !strings.Contains(string(out), "router1.example.com") {
			t.Fatalf("%q: openssl req: %v\n%s", caps, err, out)
		}
	}
}
