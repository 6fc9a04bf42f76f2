package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"

	"software.sslmate.com/src/go-pkcs12"
)

// keylessCerts reads the certificates of a PFX that holds no private key,
// as `openssl pkcs12 -export -nokeys` writes and Java trust stores without
// Java's trusted-usage attribute are. go-pkcs12 reads certificates only
// beside exactly one key. It has checked the file's MAC by the time it
// says the key is missing (decodePFX calls this only then), so certdesk
// adds an unencrypted key bag with a throwaway key in a SafeContents of its
// own, seals the result with a fresh MAC under the same password, lets
// go-pkcs12 decrypt the file's certificates, and drops the key. ok is
// false for a PFX this does not fit (more than one item in its
// AuthenticatedSafe).
func keylessCerts(data []byte, password string) (certs []*x509.Certificate, ok bool, err error) {
	p, err := readBERPFX(data)
	if err != nil || p.normalize() != nil {
		return nil, false, nil
	}
	var seq asn1.RawValue
	if err := unmarshalAll(p.safeDER, &seq); err != nil {
		return nil, false, nil
	}
	items, err := derElems(seq.Bytes)
	if err != nil || len(items) != 1 {
		return nil, false, nil
	}
	bag, err := throwawayKeyBag()
	if err != nil {
		return nil, true, err
	}
	p.safeDER = tlv(0x30, items[0].FullBytes, contentInfoDER(oidData, tlv(0x04, tlv(0x30, bag))))
	// The encoded password as the file's MAC took it: with its terminator,
	// or, for an empty one, perhaps as no octets at all.
	pw, _ := bmpPassword(password)
	tries := [][]byte{pw}
	if password == "" {
		tries = append(tries, nil)
	}
	for _, pw := range tries {
		der := p.withMAC(nil)
		if len(p.mac.FullBytes) > 0 {
			if der, err = p.seal(pw); err != nil {
				return nil, true, err
			}
		}
		var first *x509.Certificate
		var rest []*x509.Certificate
		if _, first, rest, err = pkcs12.DecodeChain(der, password); err == nil {
			return append([]*x509.Certificate{first}, rest...), true, nil
		}
	}
	var ni pkcs12.NotImplementedError
	switch {
	case errors.As(err, &ni):
		return nil, true, unsupported("the PFX uses something certdesk cannot read: " + string(ni))
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, true, ErrWrongPassword
	}
	return nil, true, ErrMalformed
}

// throwawayKeyBag is a SafeBag holding a fresh P-256 key as a plain
// (unencrypted) PKCS#8 keyBag.
func throwawayKeyBag() ([]byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pk8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	id, err := asn1.Marshal(oidKeyBag)
	if err != nil {
		return nil, err
	}
	return tlv(0x30, id, tlv(0xa0, pk8)), nil
}
