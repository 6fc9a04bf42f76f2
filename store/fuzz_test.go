package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"math/rand"
	"testing"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// seeds returns one valid sample of each format, built deterministically
// enough for a seed corpus (f.Add), plus junk.
func seeds(f *testing.F) [][]byte {
	p := newPKI(f)
	leaf, key := p.leaf(f, "fuzz.example")
	pfx, _ := pkcs12.LegacyDES.Encode(key, leaf, []*x509.Certificate{p.inter}, "pw")
	pfx2, _ := pkcs12.Modern2026.Encode(key, leaf, nil, "pw")
	p7, _ := pkcs7.DegenerateCertificate(leaf.Raw)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.New(rand.NewSource(1)))
	return [][]byte{pfx, pfx2, toBER(pfx, 64), p7, leaf.Raw, concat(pemCert(leaf), pemKey(f, ec)), []byte("<html>"), {0x30, 0x80}, nil}
}

func FuzzSniffAndParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		Sniff(data)
		Parse(data, "pw")
	})
}

func FuzzParsePFX(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		PFXAlgorithms(data)
		ParsePFX(data, "pw")
	})
}

func FuzzParsePEM(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ParsePEM(data) })
}

func FuzzParseP7B(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ParseP7B(data) })
}

func FuzzParseDER(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ParseDER(data) })
}

// FuzzDecodeEntry: a damaged entry file must give an error, never a panic.
func FuzzDecodeEntry(f *testing.F) {
	f.Add([]byte(`{"version":1,"cert":"MA==","meta":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) { decodeEntry(data, "00") })
}
