package tpmkey

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/internal/tpmkey/swtpmtest"
)

// FuzzParseTCTI: any string gives a TCTI that reads back as itself, or
// one sentence.
func FuzzParseTCTI(f *testing.F) {
	for _, s := range []string{"", "device", "device:/dev/tpm0", "swtpm:host=127.0.0.1,port=2321", "mssim:port=1", "swtpm:host=::1", "swtpm:host=a,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tc, err := ParseTCTI(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: %q", s, err)
			}
			return
		}
		again, err := ParseTCTI(tc.String())
		if err != nil || again != tc {
			t.Fatalf("%q read as %v, which reads back as %v, %v", s, tc, again, err)
		}
	})
}

// FuzzLoad: a blob from a tampered store gives a key or one sentence,
// never a panic, here or when the key is used in a real TPM.
func FuzzLoad(f *testing.F) {
	tc := mustTCTI(f, swtpmtest.Start(f))
	for _, kt := range keyKinds {
		k, err := Generate(tc, kt.alg, kt.bits)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k.Blob())
	}
	h := sha256.Sum256([]byte("certdesk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Load(tc, b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q", err)
			}
			return
		}
		_ = k.PEM()
		_ = k.Ref()
		_, _ = k.Sign(rand.Reader, h[:], crypto.SHA256)
	})
}
