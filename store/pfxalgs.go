package store

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// PKCS#12 structures, only as deep as needed to name the algorithms
// (go-pkcs12 does not expose them).
type (
	pfxPDU struct {
		Version  int
		AuthSafe contentInfo
		MacData  macData `asn1:"optional"`
	}
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	macData struct {
		Mac struct {
			Algorithm pkix.AlgorithmIdentifier
			Digest    []byte
		}
		MacSalt    []byte
		Iterations int `asn1:"optional,default:1"`
	}
	encryptedData struct {
		Version int
		Info    struct {
			ContentType asn1.ObjectIdentifier
			Algorithm   pkix.AlgorithmIdentifier
		}
	}
	safeBag struct {
		ID    asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"tag:0,explicit"`
		Attrs asn1.RawValue `asn1:"optional"`
	}
	pbes2Params struct {
		KDF pkix.AlgorithmIdentifier
		Enc pkix.AlgorithmIdentifier
	}
	pbkdf2Params struct {
		Salt   asn1.RawValue
		Iter   int
		KeyLen int                      `asn1:"optional"`
		PRF    pkix.AlgorithmIdentifier `asn1:"optional"`
	}
	pbmac1Params struct {
		KDF pkix.AlgorithmIdentifier
		MAC pkix.AlgorithmIdentifier
	}
)

var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidShroudedKey   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidPBES2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

// algNames names the OIDs a PFX may use.
var algNames = map[string]string{
	"1.2.840.113549.1.12.1.1":  "RC4-128",
	"1.2.840.113549.1.12.1.2":  "RC4-40",
	"1.2.840.113549.1.12.1.3":  "3DES",
	"1.2.840.113549.1.12.1.4":  "2DES",
	"1.2.840.113549.1.12.1.5":  "RC2-128",
	"1.2.840.113549.1.12.1.6":  "RC2-40",
	"2.16.840.1.101.3.4.1.2":   "AES-128-CBC",
	"2.16.840.1.101.3.4.1.22":  "AES-192-CBC",
	"2.16.840.1.101.3.4.1.42":  "AES-256-CBC",
	"1.2.840.113549.3.7":       "3DES-CBC",
	"1.2.840.113549.2.7":       "SHA1",
	"1.2.840.113549.2.9":       "SHA256",
	"1.2.840.113549.2.10":      "SHA384",
	"1.2.840.113549.2.11":      "SHA512",
	"1.3.14.3.2.26":            "SHA-1",
	"2.16.840.1.101.3.4.2.1":   "SHA-256",
	"2.16.840.1.101.3.4.2.2":   "SHA-384",
	"2.16.840.1.101.3.4.2.3":   "SHA-512",
	"1.2.840.113549.1.5.12":    "PBKDF2",
	"1.2.840.113549.1.5.14":    "PBMAC1",
	"1.2.840.113549.1.7.1":     "none",
	"1.2.840.113549.1.12.10.1": "none",
}

func algName(oid asn1.ObjectIdentifier) string {
	if n, ok := algNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// PFXAlgorithms reads the AlgorithmIdentifiers of a PFX and describes them
// the way a person compares them with a target's requirements, e.g.
// "AES-256-CBC/PBKDF2-SHA256, MAC HMAC-SHA256", "3DES, MAC HMAC-SHA1" or
// "certificates RC2-40, key 3DES, MAC HMAC-SHA1". A BER PFX is read in
// its DER re-encoding.
func PFXAlgorithms(data []byte) (string, error) {
	algs, err := pfxAlgorithms(data)
	if err != nil {
		if p, perr := readBERPFX(data); perr == nil && p.normalize() == nil {
			return pfxAlgorithms(p.der)
		}
	}
	return algs, err
}

func pfxAlgorithms(der []byte) (string, error) {
	var pfx pfxPDU
	if rest, err := asn1.Unmarshal(der, &pfx); err != nil || len(rest) > 0 {
		return "", errors.New("not a DER PKCS#12 file")
	}
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return "", errors.New("PKCS#12 file is not password-integrity protected")
	}
	// An explicit [0] tag decodes into RawValue as the tag's contents: the
	// OCTET STRING (for data) or SEQUENCE (for encryptedData) element.
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return "", err
	}
	var cis []contentInfo
	if _, err := asn1.Unmarshal(authSafe, &cis); err != nil {
		return "", err
	}
	var sc pfxScan
	var certAlgs, keyAlgs []string
	for _, ci := range cis {
		switch {
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				return "", err
			}
			certAlgs = appendUniq(certAlgs, sc.cipher(ed.Info.Algorithm))
		case ci.ContentType.Equal(oidData):
			var contents []byte
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &contents); err != nil {
				return "", err
			}
			var bags []safeBag
			if _, err := asn1.Unmarshal(contents, &bags); err != nil {
				return "", err
			}
			for _, b := range bags {
				switch {
				case b.ID.Equal(oidCertBag):
					certAlgs = appendUniq(certAlgs, "none")
				case b.ID.Equal(oidKeyBag):
					keyAlgs = appendUniq(keyAlgs, "none")
				case b.ID.Equal(oidShroudedKey):
					var epki struct {
						Algorithm pkix.AlgorithmIdentifier
						Data      []byte
					}
					if _, err := asn1.Unmarshal(b.Value.Bytes, &epki); err == nil {
						keyAlgs = appendUniq(keyAlgs, sc.cipher(epki.Algorithm))
					}
				}
			}
		}
	}
	var parts []string
	c, k := strings.Join(certAlgs, "+"), strings.Join(keyAlgs, "+")
	switch {
	case c == "":
		parts = append(parts, k)
	case k == "" || k == c:
		parts = append(parts, c)
	case c == "none":
		parts = append(parts, k)
	default:
		parts = append(parts, "certificates "+c, "key "+k)
	}
	algs := strings.Join(append(parts, sc.mac(pfx.MacData)), ", ")
	if sc.iter > maxKDFIterations {
		return "", unsupported(fmt.Sprintf("the PFX asks for %d key-derivation iterations; certdesk accepts up to %d", sc.iter, maxKDFIterations))
	}
	return algs, nil
}

// maxKDFIterations bounds every key derivation a PFX asks for (its MAC,
// its ciphers), so a crafted file cannot stall an import: eight times
// NSS's default (600,000).
const maxKDFIterations = 5_000_000

// pfxScan notes the largest iteration count the algorithms it names ask for.
type pfxScan struct{ iter int }

func (sc *pfxScan) saw(n int) { sc.iter = max(sc.iter, n) }

// cipher names a PKCS#12 PBE or PBES2 scheme.
func (sc *pfxScan) cipher(a pkix.AlgorithmIdentifier) string {
	if !a.Algorithm.Equal(oidPBES2) {
		var pbe struct { // PKCS#12 PBE parameters
			Salt []byte
			Iter int
		}
		if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &pbe); err == nil {
			sc.saw(pbe.Iter)
		}
		return algName(a.Algorithm)
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &p); err != nil {
		return "PBES2"
	}
	return algName(p.Enc.Algorithm) + "/" + sc.kdf(p.KDF)
}

// kdf names PBKDF2 with its PRF (HMAC-SHA1 when absent).
func (sc *pfxScan) kdf(a pkix.AlgorithmIdentifier) string {
	var p pbkdf2Params
	if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &p); err != nil {
		return algName(a.Algorithm)
	}
	sc.saw(p.Iter)
	prf := "SHA1"
	if len(p.PRF.Algorithm) > 0 {
		prf = algName(p.PRF.Algorithm)
	}
	return "PBKDF2-" + prf
}

// mac names the integrity MAC.
func (sc *pfxScan) mac(m macData) string {
	a := m.Mac.Algorithm
	sc.saw(m.Iterations)
	switch {
	case len(a.Algorithm) == 0:
		return "no MAC"
	case a.Algorithm.Equal(oidPBMAC1):
		var p pbmac1Params
		if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &p); err == nil {
			return "MAC PBMAC1/HMAC-" + algName(p.MAC.Algorithm) + "/" + sc.kdf(p.KDF)
		}
		return "MAC PBMAC1"
	}
	return "MAC HMAC-" + strings.ReplaceAll(algName(a.Algorithm), "-", "")
}

func appendUniq(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
