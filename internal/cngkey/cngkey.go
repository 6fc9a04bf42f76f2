// Package cngkey keeps private keys in a Windows CNG key storage provider
// through NCrypt: the Microsoft Platform Crypto Provider (the TPM) and the
// Microsoft Smart Card Key Storage Provider. Keys are created persisted
// and non-exportable, used through crypto.Signer, and named by a Ref.
//
// It calls ncrypt.dll through golang.org/x/sys/windows (docs/keys.md says
// why not github.com/google/certtostore). Off Windows the API is the same
// and every Open fails with ErrUnavailable. The blob and signature
// encodings below are plain Go, so they are tested on every OS.
package cngkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The providers certdesk makes keys in.
const (
	PlatformProvider  = "Microsoft Platform Crypto Provider"
	SmartCardProvider = "Microsoft Smart Card Key Storage Provider"
)

// Errors Open and the key methods wrap.
var (
	// ErrUnavailable: this is not Windows.
	ErrUnavailable = errors.New("CNG keys exist only on Windows")
	// ErrNoProvider: the provider is not installed or not working here.
	ErrNoProvider = errors.New("the CNG provider is not available on this computer")
	// ErrNoKey: the key the reference names is not in the provider.
	ErrNoKey = errors.New("the key is not in the CNG provider")
	// ErrPINNeeded: a smart card needs its PIN and none was given.
	ErrPINNeeded = errors.New("the smart card needs its PIN")
	// ErrWrongPIN: the card refused the PIN.
	ErrWrongPIN = errors.New("the smart card refused the PIN")
)

// Ref is where a key is: the provider's name and the key's name, written
// "PROVIDER/NAME" in an entry's keyRef.
type Ref struct {
	Provider string
	Name     string
}

// String returns "PROVIDER/NAME".
func (r Ref) String() string { return r.Provider + "/" + r.Name }

// ParseRef reads what Ref.String wrote.
func ParseRef(s string) (Ref, error) {
	p, n, ok := strings.Cut(s, "/")
	if !ok || p == "" || n == "" || strings.Contains(n, "/") {
		return Ref{}, fmt.Errorf("%q is not a CNG key reference (PROVIDER/NAME)", s)
	}
	return Ref{Provider: p, Name: n}, nil
}

// Options are how a key is made or opened.
type Options struct {
	Machine bool   // a machine key (NCRYPT_MACHINE_KEY_FLAG), for the machine context
	PIN     string // a smart card's PIN; "" lets no prompt appear (silent)
}

// BCRYPT_RSAKEY_BLOB and BCRYPT_ECCKEY_BLOB magic numbers of public blobs.
const (
	magicRSAPublic   = 0x31415352 // "RSA1"
	magicECDSAP256   = 0x31534345 // "ECS1"
	magicECDSAP384   = 0x33534345 // "ECS3"
	rsaBlobHeaderLen = 24
	eccBlobHeaderLen = 8
)

// parsePublicBlob reads a BCRYPT_RSAPUBLIC_BLOB or BCRYPT_ECCPUBLIC_BLOB,
// as NCryptExportKey writes them (little-endian header, big-endian numbers).
func parsePublicBlob(b []byte) (any, error) {
	if len(b) < eccBlobHeaderLen {
		return nil, errors.New("cngkey: short public key blob")
	}
	magic := binary.LittleEndian.Uint32(b)
	switch magic {
	case magicRSAPublic:
		if len(b) < rsaBlobHeaderLen {
			return nil, errors.New("cngkey: short RSA public key blob")
		}
		exp, mod := int(binary.LittleEndian.Uint32(b[8:])), int(binary.LittleEndian.Uint32(b[12:]))
		if exp < 1 || exp > 8 || mod < 1 || len(b) < rsaBlobHeaderLen+exp+mod {
			return nil, errors.New("cngkey: bad RSA public key blob")
		}
		e := new(big.Int).SetBytes(b[rsaBlobHeaderLen : rsaBlobHeaderLen+exp])
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, errors.New("cngkey: bad RSA public exponent")
		}
		n := new(big.Int).SetBytes(b[rsaBlobHeaderLen+exp : rsaBlobHeaderLen+exp+mod])
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case magicECDSAP256, magicECDSAP384:
		curve := elliptic.P256()
		if magic == magicECDSAP384 {
			curve = elliptic.P384()
		}
		size := int(binary.LittleEndian.Uint32(b[4:]))
		if size != (curve.Params().BitSize+7)/8 || len(b) < eccBlobHeaderLen+2*size {
			return nil, errors.New("cngkey: bad ECC public key blob")
		}
		// The uncompressed point, for crypto/ecdh's checks via ParseUncompressedPublicKey.
		pt := append([]byte{4}, b[eccBlobHeaderLen:eccBlobHeaderLen+2*size]...)
		return ecdsa.ParseUncompressedPublicKey(curve, pt)
	}
	return nil, fmt.Errorf("cngkey: unknown public key blob magic %#x", magic)
}

// ecdsaDER turns NCrypt's r||s signature into the ASN.1 SEQUENCE Go and
// X.509 use.
func ecdsaDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, errors.New("cngkey: bad ECDSA signature length")
	}
	half := len(sig) / 2
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[:half]))
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[half:]))
	})
	return b.Bytes()
}
