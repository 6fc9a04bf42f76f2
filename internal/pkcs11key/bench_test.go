//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
)

// The signatures of an enrollment with the key on a SoftHSM2 token beside
// the same with a software key (scripts/bench-keys.sh prints the rows):
// CSR is enroll.NewCSR (one signature), CMS is enroll.NewRenewalRequest
// renewing with the same key (the inner CSR and the CMS signature). The
// token's figure is the software crypto of SoftHSM2 plus the PKCS#11 calls
// through crypto11; a smart card adds its own, slower, signing.

// benchKey is one key type of the benchmarks with its template.
type benchKey struct {
	name string
	alg  x509.PublicKeyAlgorithm
	bits int
	tmpl *enroll.Template
}

var benchKeys = []benchKey{
	{"P256", x509.ECDSA, 256, &enroll.Template{CommonName: "UserSmartCard", OID: "1.3.6.1.4.1.311.21.8.4242.1.8", MajorRevision: 100, KeyAlgorithm: "1.2.840.10045.2.1", MinimalKeyLength: 256}},
	{"RSA2048", x509.RSA, 2048, &enroll.Template{CommonName: "User", OID: "1.3.6.1.4.1.311.21.8.4242.1.1", MajorRevision: 100, MinimalKeyLength: 2048}},
}

// benchSigners returns a software key and a key on the token tok for k,
// and a self-signed certificate for each.
func benchSigners(b *testing.B, tok *Token, k benchKey) map[string]struct {
	key  crypto.Signer
	cert *x509.Certificate
} {
	b.Helper()
	kt, err := k.tmpl.KeyType()
	if err != nil {
		b.Fatal(err)
	}
	soft, err := enroll.GenerateKey(rand.Reader, kt)
	if err != nil {
		b.Fatal(err)
	}
	hard, _, err := tok.Generate(k.alg, k.bits)
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]struct {
		key  crypto.Signer
		cert *x509.Certificate
	}{}
	for name, s := range map[string]crypto.Signer{"software": soft, "softhsm2": hard} {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "bench"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
		if err != nil {
			b.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		out[name] = struct {
			key  crypto.Signer
			cert *x509.Certificate
		}{s, cert}
	}
	return out
}

// BenchmarkSign: BenchmarkSign/CSR-P256-softhsm2 and the like.
func BenchmarkSign(b *testing.B) {
	// One token: the module reads SOFTHSM2_CONF once per process.
	softhsmtest.NewToken(b, "bench")
	tok, err := Open(Config{Module: softhsmtest.Module, Token: "bench", PIN: softhsmtest.PIN})
	if err != nil {
		b.Fatal(err)
	}
	defer tok.Close()
	for _, k := range benchKeys {
		signers := benchSigners(b, tok, k)
		for _, place := range []string{"software", "softhsm2"} {
			s := signers[place]
			b.Run("CSR-"+k.name+"-"+place, func(b *testing.B) {
				for b.Loop() {
					if _, err := enroll.NewCSR(rand.Reader, enroll.Request{Template: k.tmpl, Key: s.key}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("CMS-"+k.name+"-"+place, func(b *testing.B) {
				for b.Loop() {
					if _, err := enroll.NewRenewalRequest(rand.Reader, enroll.RenewalRequest{OldCert: s.cert, OldKey: s.key, Template: k.tmpl}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
