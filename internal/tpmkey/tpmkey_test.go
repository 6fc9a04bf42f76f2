package tpmkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/internal/tpmkey/swtpmtest"
)

func mustTCTI(t *testing.T, s string) TCTI {
	t.Helper()
	tc, err := ParseTCTI(s)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func TestParseTCTI(t *testing.T) {
	good := map[string]string{
		"":                                "device:/dev/tpmrm0",
		"device":                          "device:/dev/tpmrm0",
		"device:/dev/tpm0":                "device:/dev/tpm0",
		"swtpm":                           "swtpm:host=localhost,port=2321",
		"swtpm:host=127.0.0.1,port=2321":  "swtpm:host=127.0.0.1,port=2321",
		"swtpm:port=4000":                 "swtpm:host=localhost,port=4000",
		"mssim:host=tpm.example,port=100": "mssim:host=tpm.example,port=100",
		"swtpm:host=::1,port=2321":        "swtpm:host=::1,port=2321",
	}
	for in, want := range good {
		got, err := ParseTCTI(in)
		if err != nil || got.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{
		"tabrmd", "device:dev/tpm0", "device:/dev/../etc/passwd", "swtpm:host=a,port=2321,port=2322",
		"swtpm:port=0", "swtpm:port=65535", "swtpm:port=+1", "swtpm:port=x", "swtpm:host=", "swtpm:host=a/b",
		"swtpm:host=-x", "swtpm:path=/tmp/s", "swtpm:host=a,", "swtpm:host=a\nport=1", "swtpm:host=user@h",
	} {
		_, err := ParseTCTI(in)
		if err == nil || strings.Count(err.Error(), "\n") > 0 || !strings.HasPrefix(err.Error(), "the TPM address ") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestNoTPMThere(t *testing.T) {
	err := mustTCTI(t, "swtpm:host=127.0.0.1,port=1").Check()
	if !errors.Is(err, ErrNoTPM) {
		t.Errorf("no simulator: %v", err)
	}
	if err := mustTCTI(t, "device:/dev/null").Check(); !errors.Is(err, ErrNoTPM) {
		t.Errorf("not a TPM: %v", err)
	}
}

// TestKeysInSwtpm makes an RSA and an EC key in a real TPM simulator,
// signs with each after reloading it from its blob, and shows the blob is
// useless in another TPM.
func TestKeysInSwtpm(t *testing.T) {
	tc := mustTCTI(t, swtpmtest.Start(t))
	if err := tc.Check(); err != nil {
		t.Fatal(err)
	}
	other := mustTCTI(t, swtpmtest.Start(t))
	h := sha256.Sum256([]byte("certdesk"))
	for _, kt := range []struct {
		alg  x509.PublicKeyAlgorithm
		bits int
	}{{x509.RSA, 2048}, {x509.ECDSA, 256}} {
		k, err := Generate(tc, kt.alg, kt.bits)
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadRef(tc, k.Ref())
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []crypto.SignerOpts{crypto.SHA256, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}} {
			if _, pss := opts.(*rsa.PSSOptions); pss && kt.alg != x509.RSA {
				continue
			}
			sig, err := again.Sign(rand.Reader, h[:], opts)
			if err != nil {
				t.Fatalf("%v: %v", kt.alg, err)
			}
			switch pub := k.Public().(type) {
			case *rsa.PublicKey:
				if pss, ok := opts.(*rsa.PSSOptions); ok {
					err = rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, pss)
				} else {
					err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
				}
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, h[:], sig) {
					err = errors.New("bad ECDSA signature")
				}
			}
			if err != nil {
				t.Errorf("%v %T: %v", kt.alg, opts, err)
			}
		}
		if b, _ := pem.Decode(k.PEM()); b == nil || b.Type != PEMType {
			t.Errorf("PEM %q", k.PEM())
		}
		elsewhere, err := Load(other, k.Blob())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := elsewhere.Sign(rand.Reader, h[:], crypto.SHA256); err == nil {
			t.Errorf("%v: another TPM signed with the blob", kt.alg)
		}
	}
	if _, err := Generate(tc, x509.RSA, 4096); err == nil || !strings.Contains(err.Error(), "RSA 2048 or ECDSA P-256") {
		t.Errorf("RSA 4096: %v", err)
	}
	for _, bad := range []string{"", "AAAA", "!!", "MAMCAQE="} {
		if _, err := LoadRef(tc, bad); err == nil {
			t.Errorf("blob %q loaded", bad)
		}
	}
}
