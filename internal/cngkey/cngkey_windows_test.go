//go:build windows

package cngkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"
)

// clear reports whether err is an NCrypt failure certdesk can name in one
// sentence (no provider, no key, a PIN, an unsupported call).
func clear(err error) bool {
	var ne *Error
	return errors.As(err, &ne) && ne.Err != nil
}

// TestProviders makes a P-256 and an RSA 2048 key in each provider
// certdesk uses, signs with it, opens it again by its Ref and deletes it.
// Where a provider is missing (no TPM, no card reader) or a call is not
// implemented (Wine 8's NCrypt: every provider name opens, RSA keys are
// made in memory and sign, ECDSA keys, NCryptOpenKey and NCryptDeleteKey
// answer NTE_NOT_SUPPORTED) the failure must be a clear one. Every
// signature made must verify. The software KSP runs the same code, so on
// Windows the whole path runs without hardware.
func TestProviders(t *testing.T) {
	for _, prov := range []string{PlatformProvider, SmartCardProvider, "Microsoft Software Key Storage Provider"} {
		for _, kt := range []struct {
			alg  x509.PublicKeyAlgorithm
			bits int
		}{{x509.ECDSA, 256}, {x509.RSA, 2048}} {
			k, err := Generate(prov, kt.alg, kt.bits, Options{})
			if err != nil {
				if !clear(err) {
					t.Errorf("%s %v: not a clear failure: %v", prov, kt.alg, err)
				}
				t.Logf("%s %v %d: %v", prov, kt.alg, kt.bits, err)
				continue
			}
			t.Logf("%s %v %d: made %s", prov, kt.alg, kt.bits, k.Ref())
			h := sha256.Sum256([]byte("certdesk"))
			sig, err := k.Sign(rand.Reader, h[:], crypto.SHA256)
			if err != nil {
				t.Errorf("%s: sign: %v", prov, err)
			} else {
				ok := false
				switch p := k.Public().(type) {
				case *ecdsa.PublicKey:
					ok = ecdsa.VerifyASN1(p, h[:], sig)
				case *rsa.PublicKey:
					ok = rsa.VerifyPKCS1v15(p, crypto.SHA256, h[:], sig) == nil
				}
				if !ok {
					t.Errorf("%s %v: the signature does not verify", prov, kt.alg)
				}
			}
			again, err := Open(k.Ref(), Options{})
			switch {
			case err == nil:
				if !again.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
					t.Errorf("%s: %s opened another key", prov, k.Ref())
				}
				again.Close()
			case !clear(err):
				t.Errorf("%s: open %s: %v", prov, k.Ref(), err)
			default:
				t.Logf("%s: open: %v", prov, err)
			}
			if err := k.Delete(); err != nil {
				if !clear(err) {
					t.Errorf("%s: delete: %v", prov, err)
				}
				t.Logf("%s: delete: %v", prov, err)
				continue
			}
			if _, err := Open(k.Ref(), Options{}); !errors.Is(err, ErrNoKey) {
				t.Errorf("%s: open after delete: %v", prov, err)
			}
		}
	}
}
