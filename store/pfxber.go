package store

// BER PKCS#12 files, as NSS writes them (Firefox, Chromium on Linux,
// pk12util): indefinite lengths, constructed OCTET STRINGs. go-pkcs12 reads
// DER only, so such a file is re-encoded as DER first (ber.go). The MAC
// covers the AuthenticatedSafe octets as they are in the file, which
// re-encoding changes: it is checked here over the original octets, and
// the DER copy, which never leaves memory, gets a fresh MAC under the same
// password.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// berPFX is a PFX read as BER: its outer structure first, then (by
// normalize) the AuthenticatedSafe re-encoded as DER.
type berPFX struct {
	version  int
	authSafe []byte        // the AuthenticatedSafe octets as in the file: what the MAC covers
	mac      asn1.RawValue // the MacData (normalised), if any
	safeDER  []byte        // the AuthenticatedSafe in DER, once normalised
	der      []byte        // the whole PFX in DER with the file's MacData, once normalised
}

// readBERPFX reads the outer PFX structure of BER (or DER) data.
func readBERPFX(data []byte) (*berPFX, error) {
	outer, err := berToDER(data)
	if err != nil {
		return nil, err
	}
	var pfx struct {
		Version  int
		AuthSafe contentInfo
		MacData  asn1.RawValue `asn1:"optional"`
	}
	if err := unmarshalAll(outer, &pfx); err != nil {
		return nil, err
	}
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, errors.New("PKCS#12 file is not password-integrity protected")
	}
	p := &berPFX{version: pfx.Version, mac: pfx.MacData}
	if err := unmarshalAll(pfx.AuthSafe.Content.Bytes, &p.authSafe); err != nil {
		return nil, err
	}
	return p, nil
}

// normalize re-encodes the AuthenticatedSafe as DER: itself, each data
// ContentInfo's SafeContents and each EncryptedData's encryptedContent.
// Encrypted SafeContents are left as they are (NSS encrypts DER).
func (p *berPFX) normalize() error {
	safe, err := berToDER(p.authSafe)
	if err != nil {
		return err
	}
	var seq asn1.RawValue
	if err := unmarshalAll(safe, &seq); err != nil {
		return err
	}
	cis, err := derElems(seq.Bytes)
	if err != nil {
		return err
	}
	var out []byte
	for _, raw := range cis {
		var ci contentInfo
		if err := unmarshalAll(raw.FullBytes, &ci); err != nil {
			return err
		}
		switch {
		case ci.ContentType.Equal(oidData):
			var sc []byte
			if err := unmarshalAll(ci.Content.Bytes, &sc); err != nil {
				return err
			}
			if sc, err = berToDER(sc); err != nil {
				return err
			}
			raw.FullBytes = contentInfoDER(oidData, tlv(0x04, sc))
		case ci.ContentType.Equal(oidEncryptedData):
			ed, err := flattenEncryptedContent(ci.Content.Bytes)
			if err != nil {
				return err
			}
			raw.FullBytes = contentInfoDER(oidEncryptedData, ed)
		}
		out = append(out, raw.FullBytes...)
	}
	p.safeDER = tlv(0x30, out)
	p.der = p.withMAC(p.mac.FullBytes)
	return nil
}

// flattenEncryptedContent makes an EncryptedData's encryptedContent
// ([0] IMPLICIT OCTET STRING, which BER may send constructed) primitive.
func flattenEncryptedContent(ed []byte) ([]byte, error) {
	var seq asn1.RawValue
	if err := unmarshalAll(ed, &seq); err != nil {
		return nil, err
	}
	els, err := derElems(seq.Bytes) // version, encryptedContentInfo, [1] attributes
	if err != nil || len(els) < 2 {
		return nil, errBER
	}
	eci, err := derElems(els[1].Bytes) // contentType, algorithm, [0] encryptedContent
	if err != nil {
		return nil, err
	}
	if len(eci) == 3 && eci[2].Class == asn1.ClassContextSpecific && eci[2].Tag == 0 && eci[2].IsCompound {
		chunks, err := derElems(eci[2].Bytes)
		if err != nil {
			return nil, err
		}
		var c []byte
		for _, ch := range chunks {
			if ch.Class != asn1.ClassUniversal || ch.Tag != asn1.TagOctetString || ch.IsCompound {
				return nil, errBER
			}
			c = append(c, ch.Bytes...)
		}
		eci[2].FullBytes = tlv(0x80, c)
	}
	els[1].FullBytes = tlv(0x30, fullBytes(eci)...)
	return tlv(0x30, fullBytes(els)...), nil
}

func fullBytes(els []asn1.RawValue) [][]byte {
	out := make([][]byte, len(els))
	for i, e := range els {
		out[i] = e.FullBytes
	}
	return out
}

func contentInfoDER(oid asn1.ObjectIdentifier, content []byte) []byte {
	o, _ := asn1.Marshal(oid)
	return tlv(0x30, o, tlv(0xa0, content))
}

// withMAC is the PFX in DER with the given MacData (nil for none).
func (p *berPFX) withMAC(mac []byte) []byte {
	v, _ := asn1.Marshal(p.version)
	return tlv(0x30, v, contentInfoDER(oidData, tlv(0x04, p.safeDER)), mac)
}

// remac checks the file's MAC over the original AuthenticatedSafe octets
// and returns the DER PFX with a new MAC (HMAC-SHA256, fresh salt, one
// iteration) under the same password, for go-pkcs12 to read. The MAC is
// checked before anything inside it is parsed: altered content is a MAC
// failure, reported as ErrWrongPassword like go-pkcs12 does.
func (p *berPFX) remac(password string) ([]byte, error) {
	if len(p.mac.FullBytes) == 0 { // go-pkcs12 decides (it accepts only an empty password)
		return p.der, nil
	}
	var m macData
	if err := unmarshalAll(p.mac.FullBytes, &m); err != nil {
		return nil, ErrMalformed
	}
	oid := m.Mac.Algorithm.Algorithm
	if oid.Equal(oidPBMAC1) {
		return nil, unsupported("the PFX is BER-encoded and protected by a PBMAC1 integrity check, which certdesk reads only in DER-encoded PFX files")
	}
	if m.Iterations < 1 || m.Iterations > maxKDFIterations {
		return nil, unsupported(fmt.Sprintf("the PFX's integrity check asks for %d iterations; certdesk accepts 1 to %d", m.Iterations, maxKDFIterations))
	}
	h, v := macHash(oid)
	if h == nil {
		return nil, unsupported("the PFX's integrity check uses MAC algorithm " + algName(oid) + ", which certdesk does not support")
	}
	pw, ok := bmpPassword(password)
	if !ok {
		return nil, ErrWrongPassword
	}
	if !hmac.Equal(pkcs12MAC(h, v, pw, m.MacSalt, m.Iterations, p.authSafe), m.Mac.Digest) {
		// As go-pkcs12 does: some writers MAC an empty password as no
		// octets at all, without the terminating zero.
		if password != "" || !hmac.Equal(pkcs12MAC(h, v, nil, m.MacSalt, m.Iterations, p.authSafe), m.Mac.Digest) {
			return nil, ErrWrongPassword
		}
		pw = nil
	}
	return p.seal(pw)
}

// seal returns the PFX in DER with a fresh MAC (HMAC-SHA256, random salt,
// one iteration) over the DER AuthenticatedSafe under the encoded
// password pw. The caller has checked the file's own MAC.
func (p *berPFX) seal(pw []byte) ([]byte, error) {
	if p.safeDER == nil {
		return nil, ErrMalformed
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	var nm macData
	nm.Mac.Algorithm = pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}
	nm.Mac.Digest = pkcs12MAC(sha256.New, 64, pw, salt, 1, p.safeDER)
	nm.MacSalt, nm.Iterations = salt, 1
	mac, err := asn1.Marshal(nm)
	if err != nil {
		return nil, err
	}
	return p.withMAC(mac), nil
}

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// macHash returns the hash of a classic PKCS#12 MAC and its block size
// in octets (v in RFC 7292 appendix B), or nil.
func macHash(oid asn1.ObjectIdentifier) (func() hash.Hash, int) {
	switch {
	case oid.Equal(oidSHA1):
		return sha1.New, 64
	case oid.Equal(oidSHA256):
		return sha256.New, 64
	case oid.Equal(oidSHA384):
		return sha512.New384, 128
	case oid.Equal(oidSHA512):
		return sha512.New, 128
	}
	return nil, 0
}

// bmpPassword is a password as PKCS#12 feeds it to its KDF: UCS-2 big
// endian with a terminating zero (RFC 7292 appendix B.1). Characters
// outside the Basic Multilingual Plane cannot be written so.
func bmpPassword(s string) ([]byte, bool) {
	b := make([]byte, 0, 2*len(s)+2)
	for _, r := range s {
		if r > 0xffff {
			return nil, false
		}
		b = append(b, byte(r>>8), byte(r))
	}
	return append(b, 0, 0), true
}

// pkcs12MAC is the classic PKCS#12 MAC of msg: HMAC keyed with the RFC
// 7292 appendix B.2 KDF (ID 3, the integrity purpose). The key is one hash
// output long, so the KDF's first block is all it takes.
func pkcs12MAC(h func() hash.Hash, v int, password, salt []byte, iterations int, msg []byte) []byte {
	d := h()
	d.Write(bytes.Repeat([]byte{3}, v)) // D, the diversifier
	d.Write(kdfRepeat(salt, v))         // S
	d.Write(kdfRepeat(password, v))     // P
	key := d.Sum(nil)
	for i := 1; i < iterations; i++ {
		d.Reset()
		d.Write(key)
		key = d.Sum(key[:0])
	}
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

// kdfRepeat repeats p to the next multiple of v octets (empty stays empty).
func kdfRepeat(p []byte, v int) []byte {
	if len(p) == 0 {
		return nil
	}
	n := v * ((len(p) + v - 1) / v)
	return bytes.Repeat(p, n/len(p)+1)[:n]
}

// parseBERPFX reads a PFX that go-pkcs12 could not: its MAC checked over
// the file's octets and renewed over the DER re-encoding, which is then
// decoded as any DER PFX.
func parseBERPFX(p *berPFX, password string) (*Bundle, error) {
	der, err := p.remac(password)
	if err != nil {
		return nil, err
	}
	algs, err := pfxAlgorithms(p.der)
	if err != nil {
		return nil, pfxScanErr(err)
	}
	return decodePFX(der, password, algs)
}

// berFallback returns data read as BER when go-pkcs12 found it malformed
// and it is not DER, or nil.
func berFallback(data []byte) *berPFX {
	if d, err := berToDER(data); err != nil || bytes.Equal(d, data) {
		return nil // not BER, or DER and broken: go-pkcs12's answer stands
	}
	p, err := readBERPFX(data)
	if err != nil {
		return nil
	}
	p.normalize() // on failure safeDER stays nil, and remac says ErrMalformed
	return p
}
