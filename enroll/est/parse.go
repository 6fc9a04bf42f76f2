package est

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/smallstep/pkcs7"
)

// maxCerts caps the certificates of one certs-only answer.
const maxCerts = 64

// encodeBase64 encodes a request body, wrapped at 64 columns as
// RFC 7030's examples are (servers must tolerate line breaks).
func encodeBase64(der []byte) []byte {
	s := base64.StdEncoding.EncodeToString(der)
	var b bytes.Buffer
	for len(s) > 64 {
		b.WriteString(s[:64])
		b.WriteString("\r\n")
		s = s[64:]
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.Bytes()
}

// decodeBase64 decodes a base64 body; line breaks, spaces and tabs may
// stand anywhere (RFC 8951 2.1), nothing else.
func decodeBase64(body []byte) ([]byte, error) {
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		clean = append(clean, c)
	}
	if len(clean) == 0 {
		return nil, errors.New("the body is empty")
	}
	der, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		if der, err = base64.RawStdEncoding.DecodeString(string(clean)); err != nil {
			return nil, errors.New("the body is not base64")
		}
	}
	return der, nil
}

// ParseCertsOnly decodes an EST certs-only answer (/cacerts,
// /simpleenroll, /simplereenroll): base64 of a CMS SignedData with
// certificates and no content (RFC 7030 4.1.3, 4.2.3). It returns the
// certificates in the message's order, at least one.
func ParseCertsOnly(body []byte) ([]*x509.Certificate, error) {
	der, err := decodeBase64(body)
	if err != nil {
		return nil, err
	}
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
	}
	// A first look with encoding/asn1 refuses what is not a SignedData
	// before the PKCS#7 parser sees it (it accepts BER too).
	if _, err := asn1.Unmarshal(der, &ci); err == nil && !ci.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}) {
		return nil, fmt.Errorf("the message is CMS content type %s, not SignedData", ci.ContentType)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, errors.New("the body is not a PKCS#7 SignedData message")
	}
	if len(p7.Certificates) == 0 {
		return nil, errors.New("the PKCS#7 message holds no certificate")
	}
	if len(p7.Certificates) > maxCerts {
		return nil, fmt.Errorf("the PKCS#7 message holds %d certificates, more than %d", len(p7.Certificates), maxCerts)
	}
	return p7.Certificates, nil
}
