package scep

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// Cipher is a content encryption of the pkcsPKIEnvelope.
type Cipher int

// The ciphers RFC 8894 names, weakest first.
const (
	DESCBC Cipher = iota
	DES3CBC
	AES128CBC
)

// String names the cipher as GetCACaps does.
func (c Cipher) String() string { return [...]string{"DES", "DES3", "AES"}[c] }

var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	cipherOIDs       = map[Cipher]asn1.ObjectIdentifier{
		DESCBC:    {1, 3, 14, 3, 2, 7},
		DES3CBC:   {1, 2, 840, 113549, 3, 7},
		AES128CBC: {2, 16, 840, 1, 101, 3, 4, 1, 2},
	}
)

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type keyTransRecipient struct {
	Version   int
	Recipient issuerAndSerial
	Algorithm pkix.AlgorithmIdentifier
	Key       []byte
}

type encryptedContentInfo struct {
	Type      asn1.ObjectIdentifier
	Algorithm pkix.AlgorithmIdentifier
	Content   []byte `asn1:"tag:0,optional"`
}

type envelopedData struct {
	Version    int
	Recipients []keyTransRecipient `asn1:"set"`
	Content    encryptedContentInfo
}

type contentInfo struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue // [0] EXPLICIT, built by hand: a RawValue is written as it is
}

// envelope encrypts content for one RSA recipient as CMS EnvelopedData
// (RFC 5652 §6) with the given cipher and PKCS #1 v1.5 key transport, as
// NDES reads it. github.com/smallstep/pkcs7 cannot: its Encrypt has no
// triple DES (NDES's strongest) and takes the cipher from a package
// variable, which two enrollments at once would race on.
func envelope(content []byte, to *x509.Certificate, c Cipher) ([]byte, error) {
	pub, ok := to.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("scep: the RA certificate %s has a %T key; SCEP encrypts to RSA", to.Subject, to.PublicKey)
	}
	var block cipher.Block
	var key []byte
	var err error
	switch c {
	case AES128CBC:
		key = make([]byte, 16)
		if _, err = rand.Read(key); err == nil {
			block, err = aes.NewCipher(key)
		}
	case DES3CBC:
		key = make([]byte, 24)
		if _, err = rand.Read(key); err == nil {
			block, err = des.NewTripleDESCipher(key)
		}
	default:
		key = make([]byte, 8)
		if _, err = rand.Read(key); err == nil {
			block, err = des.NewCipher(key)
		}
	}
	if err != nil {
		return nil, err
	}
	iv := make([]byte, block.BlockSize())
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	pad := block.BlockSize() - len(content)%block.BlockSize()
	data := append(append([]byte(nil), content...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	//lint:ignore SA1019 SCEP servers (NDES, RFC 8894 §3.1) read only rsaEncryption key transport
	ek, err := rsa.EncryptPKCS1v15(rand.Reader, pub, key)
	if err != nil {
		return nil, err
	}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	ed, err := asn1.Marshal(envelopedData{
		Recipients: []keyTransRecipient{{
			Recipient: issuerAndSerial{Issuer: asn1.RawValue{FullBytes: to.RawIssuer}, Serial: to.SerialNumber},
			Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue},
			Key:       ek,
		}},
		Content: encryptedContentInfo{Type: oidData,
			Algorithm: pkix.AlgorithmIdentifier{Algorithm: cipherOIDs[c], Parameters: asn1.RawValue{FullBytes: ivDER}},
			Content:   data},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(contentInfo{Type: oidEnvelopedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: ed}})
}

var errNoRSA = errors.New("scep: the request's key must be RSA: SCEP encrypts the CA's answer to it")
