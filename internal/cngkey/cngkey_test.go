package cngkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"testing"
)

// rsaBlob and eccBlob write the public blobs NCryptExportKey returns.
func rsaBlob(k *rsa.PublicKey) []byte {
	e, n := big.NewInt(int64(k.E)).Bytes(), k.N.Bytes()
	b := make([]byte, rsaBlobHeaderLen)
	binary.LittleEndian.PutUint32(b, magicRSAPublic)
	binary.LittleEndian.PutUint32(b[4:], uint32(k.N.BitLen()))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(e)))
	binary.LittleEndian.PutUint32(b[12:], uint32(len(n)))
	return append(append(b, e...), n...)
}

func eccBlob(k *ecdsa.PublicKey, magic uint32) []byte {
	size := (k.Curve.Params().BitSize + 7) / 8
	b := make([]byte, eccBlobHeaderLen, eccBlobHeaderLen+2*size)
	binary.LittleEndian.PutUint32(b, magic)
	binary.LittleEndian.PutUint32(b[4:], uint32(size))
	pt, _ := k.Bytes() // 04 || X || Y
	return append(b, pt[1:]...)
}

func TestParsePublicBlob(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, tt := range map[string]struct {
		blob []byte
		want crypto.PublicKey
	}{
		"RSA":   {rsaBlob(&rk.PublicKey), &rk.PublicKey},
		"P-256": {eccBlob(&p256.PublicKey, magicECDSAP256), &p256.PublicKey},
		"P-384": {eccBlob(&p384.PublicKey, magicECDSAP384), &p384.PublicKey},
	} {
		got, err := parsePublicBlob(tt.blob)
		if err != nil || !tt.want.(interface{ Equal(crypto.PublicKey) bool }).Equal(got) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := parsePublicBlob(tt.blob[:len(tt.blob)-1]); err == nil {
			t.Errorf("%s: a short blob was taken", name)
		}
	}
	// A P-256 blob claiming P-384, and a point off the curve.
	if _, err := parsePublicBlob(eccBlob(&p256.PublicKey, magicECDSAP384)); err == nil {
		t.Error("a P-256 point was taken as P-384")
	}
	bad := eccBlob(&p256.PublicKey, magicECDSAP256)
	bad[len(bad)-1] ^= 1
	if _, err := parsePublicBlob(bad); err == nil {
		t.Error("a point off the curve was taken")
	}
	if _, err := parsePublicBlob([]byte("RSA2\x00\x00\x00\x00")); err == nil {
		t.Error("a private blob magic was taken")
	}
}

// TestECDSADER: NCrypt's r||s, turned into ASN.1, verifies with Go, also
// for P-384 signing a SHA-256 digest (r and s are half the signature, not
// the digest's length).
func TestECDSADER(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		k, _ := ecdsa.GenerateKey(c, rand.Reader)
		h := sha256.Sum256([]byte("certdesk"))
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		size := (c.Params().BitSize + 7) / 8
		raw := append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
		der, err := ecdsaDER(raw)
		if err != nil || !ecdsa.VerifyASN1(&k.PublicKey, h[:], der) {
			t.Errorf("%s: %v", c.Params().Name, err)
		}
	}
	if _, err := ecdsaDER([]byte{1, 2, 3}); err == nil {
		t.Error("an odd-length signature was taken")
	}
}

func TestParseRef(t *testing.T) {
	r := Ref{Provider: PlatformProvider, Name: "certdesk-00ff"}
	if got, err := ParseRef(r.String()); err != nil || got != r {
		t.Errorf("%q: %+v %v", r, got, err)
	}
	for _, bad := range []string{"", "no-slash", "/name", "prov/", "a/b/c"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("%q was taken", bad)
		}
	}
}
