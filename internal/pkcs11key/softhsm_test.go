//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
)

func TestSoftHSMKeyStaysOnToken(t *testing.T) {
	softhsmtest.NewToken(t, "certdesk-test")
	tok, err := Open(Config{Module: softhsmtest.Module, Token: "certdesk-test", PIN: softhsmtest.PIN})
	if err != nil {
		t.Fatal(err)
	}
	k, ref, err := tok.Generate(x509.ECDSA, 256)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "on the token"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	if err := tok.PutCertificate(ref, cert); err != nil {
		t.Fatal(err)
	}
	tok.Close()

	back, err := ParseRef(ref.String())
	if err != nil || back.Token != ref.Token || string(back.ID) != string(ref.ID) {
		t.Fatalf("ref %q: %+v %v", ref, back, err)
	}
	tok, err = Open(Config{Module: softhsmtest.Module, Token: "certdesk-test", PIN: softhsmtest.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	s, err := tok.Signer(back)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("x"))
	if _, err := s.Sign(rand.Reader, h[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}

	softhsmtest.CheckKeyStaysOnToken(t, "certdesk-test")
}

func TestSoftHSMWrongPIN(t *testing.T) {
	softhsmtest.NewToken(t, "certdesk-pin")
	if _, err := Open(Config{Module: softhsmtest.Module, Token: "certdesk-pin", PIN: "9999"}); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if _, err := Open(Config{Module: softhsmtest.Module, Token: "no-such", PIN: softhsmtest.PIN}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("no token: %v", err)
	}
}
