package est

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"github.com/certdesk/certdesk/enroll"
)

// Object identifiers a CSR attributes answer uses (RFC 7030 4.5.2).
var (
	oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}
	oidRSAEncryption     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECPublicKey       = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidP256              = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384              = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
)

// hashOf maps signature algorithm OIDs a server may name to the hash OID
// of enroll.Template.HashAlgorithm.
var hashOf = map[string]string{
	"1.2.840.10045.4.3.2":    "2.16.840.1.101.3.4.2.1", // ecdsa-with-SHA256
	"1.2.840.10045.4.3.3":    "2.16.840.1.101.3.4.2.2", // ecdsa-with-SHA384
	"1.2.840.10045.4.3.4":    "2.16.840.1.101.3.4.2.3", // ecdsa-with-SHA512
	"1.2.840.113549.1.1.11":  "2.16.840.1.101.3.4.2.1", // sha256WithRSAEncryption
	"1.2.840.113549.1.1.12":  "2.16.840.1.101.3.4.2.2", // sha384WithRSAEncryption
	"1.2.840.113549.1.1.13":  "2.16.840.1.101.3.4.2.3", // sha512WithRSAEncryption
	"2.16.840.1.101.3.4.2.1": "2.16.840.1.101.3.4.2.1",
	"2.16.840.1.101.3.4.2.2": "2.16.840.1.101.3.4.2.2",
	"2.16.840.1.101.3.4.2.3": "2.16.840.1.101.3.4.2.3",
}

// Attribute is one attribute of a CSR attributes answer: a type and its
// values, undecoded.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue
}

// CSRAttrs is what /csrattrs answered: bare OIDs (attributes or
// algorithms the server wants) and attributes with values.
type CSRAttrs struct {
	OIDs       []asn1.ObjectIdentifier
	Attributes []Attribute
}

// maxAttrs caps the entries of a CSR attributes answer.
const maxAttrs = 256

// ParseCSRAttrs decodes a DER CsrAttrs, SEQUENCE SIZE (0..MAX) OF
// AttrOrOID (RFC 7030 4.5.2). An empty SEQUENCE means nothing asked.
func ParseCSRAttrs(der []byte) (*CSRAttrs, error) {
	var seq []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil {
		return nil, errors.New("the CSR attributes are not a DER SEQUENCE")
	}
	if len(rest) > 0 {
		return nil, errors.New("the CSR attributes are followed by trailing data")
	}
	if len(seq) > maxAttrs {
		return nil, fmt.Errorf("the CSR attributes hold %d entries, more than %d", len(seq), maxAttrs)
	}
	out := &CSRAttrs{}
	for _, v := range seq {
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOID:
			var oid asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(v.FullBytes, &oid); err != nil {
				return nil, errors.New("the CSR attributes hold a malformed OID")
			}
			out.OIDs = append(out.OIDs, oid)
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence:
			var a struct {
				Type   asn1.ObjectIdentifier
				Values []asn1.RawValue `asn1:"set"`
			}
			if rest, err := asn1.Unmarshal(v.FullBytes, &a); err != nil || len(rest) > 0 {
				return nil, errors.New("the CSR attributes hold a malformed attribute")
			}
			out.Attributes = append(out.Attributes, Attribute{Type: a.Type, Values: a.Values})
		default:
			return nil, fmt.Errorf("the CSR attributes hold an element of tag %d, neither an OID nor an attribute", v.Tag)
		}
	}
	return out, nil
}

// wants reports whether the server named oid, bare or as an attribute.
func (a *CSRAttrs) wants(oid asn1.ObjectIdentifier) bool {
	for _, o := range a.OIDs {
		if o.Equal(oid) {
			return true
		}
	}
	for _, at := range a.Attributes {
		if at.Type.Equal(oid) {
			return true
		}
	}
	return false
}

// ChallengePassword reports whether the server asks for a challenge
// password in the request.
func (a *CSRAttrs) ChallengePassword() bool { return a.wants(oidChallengePassword) }

// Template is the synthetic template of an EST CA (label "" for the
// default CA), what certdesk enrolls with: the enrollee supplies subject
// and DNS names, and the key and hash follow the CSR attributes where they
// name them (an EC curve, an RSA size, a signature algorithm); otherwise
// RSA 2048 and SHA-256.
func (a *CSRAttrs) Template(label string) enroll.Template {
	name := label
	if name == "" {
		name = DefaultTemplate
	}
	t := enroll.Template{CommonName: name, Enroll: true, MinimalKeyLength: 2048, HashAlgorithm: "2.16.840.1.101.3.4.2.1"}
	t.Flags.EnrolleeSuppliesSubject = true
	t.Flags.EnrolleeSuppliesSubjectAltName = true
	for _, o := range a.OIDs {
		switch {
		case o.Equal(oidECPublicKey):
			t.KeyAlgorithm, t.MinimalKeyLength = oidECPublicKey.String(), 256
		case hashOf[o.String()] != "":
			t.HashAlgorithm = hashOf[o.String()]
		}
	}
	for _, at := range a.Attributes {
		switch {
		case at.Type.Equal(oidECPublicKey):
			t.KeyAlgorithm, t.MinimalKeyLength = oidECPublicKey.String(), 256
			for _, v := range at.Values {
				var curve asn1.ObjectIdentifier
				if _, err := asn1.Unmarshal(v.FullBytes, &curve); err == nil {
					switch {
					case curve.Equal(oidP384):
						t.KeyAlgorithm, t.MinimalKeyLength = oidP384.String(), 384
					case curve.Equal(oidP256):
						t.KeyAlgorithm = oidP256.String()
					}
				}
			}
		case at.Type.Equal(oidRSAEncryption):
			t.KeyAlgorithm = ""
			for _, v := range at.Values {
				var bits int
				if _, err := asn1.Unmarshal(v.FullBytes, &bits); err == nil && bits >= 2048 && bits <= 4096 {
					t.MinimalKeyLength = uint32(bits)
				}
			}
		}
	}
	return t
}

// DefaultTemplate is the name of the synthetic template of an EST server's
// default CA (no label).
const DefaultTemplate = "EST"

// String lists the OIDs and attribute types, for messages.
func (a *CSRAttrs) String() string {
	var parts []string
	for _, o := range a.OIDs {
		parts = append(parts, o.String())
	}
	for _, at := range a.Attributes {
		parts = append(parts, at.Type.String()+"(…)")
	}
	return strings.Join(parts, ", ")
}
