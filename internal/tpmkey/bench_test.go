package tpmkey

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/tpmkey/swtpmtest"
)

// benchKeys are the key types certdesk makes in a TPM, with the
// templates that ask for them.
var benchKeys = []struct {
	name string
	kt   enroll.KeyType
	tmpl *enroll.Template
}{
	{"P256", enroll.KeyType{Algorithm: x509.ECDSA, Bits: 256}, &enroll.Template{CommonName: "BenchP256", KeyAlgorithm: "1.2.840.10045.2.1", MinimalKeyLength: 256}},
	{"RSA2048", enroll.KeyType{Algorithm: x509.RSA, Bits: 2048}, &enroll.Template{CommonName: "BenchRSA", MinimalKeyLength: 2048}},
}

// benchSigners returns a software key and a TPM key (in a fresh swtpm)
// of each type.
func benchSigners(b *testing.B) map[string]crypto.Signer {
	tc := mustTCTI(b, swtpmtest.Start(b))
	out := map[string]crypto.Signer{}
	for _, k := range benchKeys {
		sw, err := enroll.GenerateKey(rand.Reader, k.kt)
		if err != nil {
			b.Fatal(err)
		}
		tk, err := Generate(tc, k.kt.Algorithm, k.kt.Bits)
		if err != nil {
			b.Fatal(err)
		}
		out["software/"+k.name], out["tpm/"+k.name] = sw, tk
	}
	return out
}

// BenchmarkCSR signs an enrollment's PKCS#10 with a software key and
// with a key in swtpm (a connection to the TPM per signature, as
// enrollment does).
func BenchmarkCSR(b *testing.B) {
	keys := benchSigners(b)
	for _, place := range []string{"software", "tpm"} {
		for _, k := range benchKeys {
			key := keys[place+"/"+k.name]
			b.Run(place+"/"+k.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := enroll.NewCSR(rand.Reader, enroll.Request{Template: k.tmpl, Key: key}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCMS makes a key-based renewal request: the new key signs the
// inner PKCS#10 and the old one the CMS SignedData, both in software or
// both in swtpm.
func BenchmarkCMS(b *testing.B) {
	keys := benchSigners(b)
	for _, place := range []string{"software", "tpm"} {
		for _, k := range benchKeys {
			key := keys[place+"/"+k.name]
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench"},
				NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), keys["software/"+k.name])
			if err != nil {
				b.Fatal(err)
			}
			old, _ := x509.ParseCertificate(der)
			b.Run(place+"/"+k.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := enroll.NewRenewalRequest(rand.Reader, enroll.RenewalRequest{OldCert: old, OldKey: key, NewKey: key, Template: k.tmpl}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkGenerate makes a key in swtpm.
func BenchmarkGenerate(b *testing.B) {
	tc := mustTCTI(b, swtpmtest.Start(b))
	for _, k := range benchKeys {
		b.Run("tpm/"+k.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(tc, k.kt.Algorithm, k.kt.Bits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
