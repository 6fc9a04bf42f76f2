package store

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"strings"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// Format is a certificate file format, as sniffed from its content.
type Format string

// The formats Import reads.
const (
	FormatUnknown Format = ""
	FormatPFX     Format = "pfx" // PKCS#12
	FormatPEM     Format = "pem" // certificates and keys, possibly a PKCS7 block
	FormatDER     Format = "der" // one DER certificate
	FormatP7B     Format = "p7b" // DER PKCS#7 certs-only
)

// Sniff tells the format of data from its content alone: file names lie
// (an HTML page saved as .cer is common). It looks at the PEM armour or at
// the first element inside the outer DER SEQUENCE: an INTEGER starts a
// PFX (version 3), an OID a PKCS#7 ContentInfo, a SEQUENCE a certificate's
// TBSCertificate. BER (indefinite-length) PFX and PKCS#7 are told the same way.
func Sniff(data []byte) Format {
	if bytes.Contains(data[:min(len(data), 64<<10)], []byte("-----BEGIN ")) {
		return FormatPEM
	}
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(data, &outer); err != nil || outer.Tag != asn1.TagSequence || !outer.IsCompound {
		// BER: an indefinite-length SEQUENCE starting with an INTEGER is
		// a PFX as NSS writes it, one starting with an OID a PKCS#7.
		if len(data) > 4 && data[0] == 0x30 && data[1] == 0x80 {
			switch data[2] {
			case asn1.TagInteger:
				return FormatPFX
			case asn1.TagOID:
				return FormatP7B
			}
		}
		return FormatUnknown
	}
	var first asn1.RawValue
	if _, err := asn1.Unmarshal(outer.Bytes, &first); err != nil {
		return FormatUnknown
	}
	switch first.Tag {
	case asn1.TagInteger:
		return FormatPFX
	case asn1.TagOID:
		return FormatP7B
	case asn1.TagSequence:
		return FormatDER
	}
	return FormatUnknown
}

// Bundle is what a certificate file holds.
type Bundle struct {
	Format Format
	Certs  []*x509.Certificate // for a PFX, the leaf (the cert matching the key) first
	Keys   []crypto.PrivateKey
	// PFXAlgorithms describes a PFX's protection, e.g.
	// "AES-256-CBC/PBKDF2-SHA256, MAC HMAC-SHA256"; empty for other formats.
	PFXAlgorithms string
}

// Parse sniffs data and parses it; password is used by PFX only. Errors
// are the Err* causes of ImportError.
func Parse(data []byte, password string) (*Bundle, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	switch Sniff(data) {
	case FormatPFX:
		return ParsePFX(data, password)
	case FormatPEM:
		return ParsePEM(data)
	case FormatDER:
		return ParseDER(data)
	case FormatP7B:
		return ParseP7B(data)
	}
	if truncatedDER(data) {
		return nil, ErrMalformed
	}
	return nil, ErrUnknownFormat
}

// truncatedDER reports data that starts like a DER SEQUENCE (as PFX, P7B
// and certificates do) but ends before the length its header promises:
// a cut-off download deserves "truncated", not "unknown format".
func truncatedDER(data []byte) bool {
	if len(data) < 2 || data[0] != 0x30 {
		return false
	}
	n, hdr := int(data[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(data) < 2+k {
			return false
		}
		n = 0
		for _, b := range data[2 : 2+k] {
			n = n<<8 | int(b)
		}
		hdr += k
	}
	return len(data) < hdr+n
}

// ParsePFX decodes a PKCS#12 file with go-pkcs12 and reports the
// algorithms it used. A PFX without a key (a trust store) is accepted. A
// BER file (as NSS writes) that go-pkcs12 cannot read is re-encoded as
// DER and read again.
func ParsePFX(data []byte, password string) (*Bundle, error) {
	b, err := parseDERPFX(data, password)
	if err == ErrMalformed {
		if p := berFallback(data); p != nil {
			return parseBERPFX(p, password)
		}
	}
	return b, err
}

func parseDERPFX(data []byte, password string) (*Bundle, error) {
	algs, err := pfxAlgorithms(data)
	if err != nil {
		return nil, pfxScanErr(err)
	}
	return decodePFX(data, password, algs)
}

// pfxScanErr keeps pfxAlgorithms' refusals (too many iterations) and
// reports anything else as a damaged file.
func pfxScanErr(err error) error {
	if errors.Is(err, ErrUnsupportedData) {
		return err
	}
	return ErrMalformed
}

// decodePFX decodes a DER PFX whose algorithms are algs.
func decodePFX(data []byte, password, algs string) (*Bundle, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, ErrWrongPassword
	}
	b := &Bundle{Format: FormatPFX, PFXAlgorithms: algs}
	if err != nil {
		// DecodeChain insists on exactly one key; a certificates-only PFX
		// is read as a (Java-style) trust store, which is what we export.
		certs, terr := pkcs12.DecodeTrustStore(data, password)
		switch {
		case errors.Is(terr, pkcs12.ErrIncorrectPassword):
			return nil, ErrWrongPassword
		case terr == nil && len(certs) > 0:
			b.Certs = certs
			return b, nil
		case strings.Contains(err.Error(), "exactly one key bag"):
			return nil, unsupported("the PFX holds more than one private key; export each certificate with its key separately")
		case strings.Contains(err.Error(), "private key missing"):
			// go-pkcs12 reads key-less PFX files only when their
			// certificates carry Java's trusted-usage attribute.
			certs, ok, kerr := keylessCerts(data, password)
			switch {
			case kerr != nil:
				return nil, kerr
			case ok && len(certs) > 0:
				b.Certs = certs
				return b, nil
			}
			return nil, unsupported("the PFX holds certificates but no private key; import those certificates as P7B or PEM instead")
		}
		return nil, ErrMalformed
	}
	b.Keys = []crypto.PrivateKey{key}
	// go-pkcs12 takes the first certificate as the leaf; Windows and
	// appliances do not always write it first, so the leaf is the one the
	// key matches.
	b.Certs = append([]*x509.Certificate{leaf}, cas...)
	for i, c := range b.Certs {
		if keyMatches(key, c) {
			b.Certs[0], b.Certs[i] = b.Certs[i], b.Certs[0]
			break
		}
	}
	return b, nil
}

// ParseDER parses one DER certificate.
func ParseDER(data []byte) (*Bundle, error) {
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, ErrMalformed
	}
	return &Bundle{Format: FormatDER, Certs: []*x509.Certificate{c}}, nil
}

// ParseP7B parses a DER PKCS#7 certs-only bundle.
func ParseP7B(data []byte) (*Bundle, error) {
	if len(data) > 1 && data[1] == 0x80 { // BER: indefinite lengths
		if d, err := berToDER(data); err == nil {
			data = d
		}
	}
	p7, err := pkcs7.Parse(data)
	if err != nil {
		return nil, ErrMalformed
	}
	if len(p7.Certificates) == 0 {
		return nil, ErrNoCertificates
	}
	return &Bundle{Format: FormatP7B, Certs: p7.Certificates}, nil
}

// ParsePEM parses every CERTIFICATE, PKCS7 and private key block (PKCS#8,
// PKCS#1, SEC1); other blocks are ignored.
func ParsePEM(data []byte) (*Bundle, error) {
	b := &Bundle{Format: FormatPEM}
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, ErrMalformed
			}
			b.Certs = append(b.Certs, c)
		case "PKCS7", "CERTIFICATES":
			p, err := ParseP7B(blk.Bytes)
			if err != nil {
				return nil, err
			}
			b.Certs = append(b.Certs, p.Certs...)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			k, err := parseKey(blk.Type, blk.Bytes)
			if err != nil {
				return nil, ErrMalformed
			}
			b.Keys = append(b.Keys, k)
		case "ENCRYPTED PRIVATE KEY":
			return nil, unsupported("encrypted PEM private keys are not supported; import the key and certificate as a PFX instead")
		}
	}
	if len(b.Certs) == 0 && len(b.Keys) == 0 {
		return nil, ErrNoCertificates
	}
	return b, nil
}

func parseKey(typ string, der []byte) (crypto.PrivateKey, error) {
	switch typ {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(der)
	}
	return x509.ParsePKCS8PrivateKey(der)
}

// unsupported is ErrUnsupportedData with the reason users read.
func unsupported(reason string) error {
	return &wrapped{msg: reason, errs: []error{ErrUnsupportedData}}
}
