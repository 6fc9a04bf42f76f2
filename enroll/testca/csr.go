package testca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/smallstep/pkcs7"
)

// OIDs the CA reads from requests.
var (
	oidSignedData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidEnrollCertType      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2}    // template name, BMPString
	oidCertificateTemplate = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 7}    // template OID + revision
	oidRenewalCertificate  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 13, 1}    // old certificate, in a renewal CSR
	oidUPN                 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3} // otherName UPN
	oidSubjectAltName      = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// parsedRequest is the content of a CES BinarySecurityToken.
type parsedRequest struct {
	csr     *x509.CertificateRequest
	renewal *x509.Certificate // the certificate that signed a CMS renewal, or nil
}

// parseRequestToken sniffs the DER: CMS SignedData (a renewal wrapping a
// PKCS#10) or a bare PKCS#10. The ValueType label is not trusted, as AD CS
// does not trust it (Windows labels a bare PKCS#10 #PKCS7).
func parseRequestToken(der []byte) (*parsedRequest, error) {
	var ci struct {
		Type asn1.ObjectIdentifier
		Rest asn1.RawValue `asn1:"optional,explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(der, &ci); err == nil && ci.Type.Equal(oidSignedData) {
		return parseRenewal(der)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, caError(ErrorInvalidData, "The request is neither a PKCS #10 request nor a CMS renewal: %v", err)
	}
	if err := checkCSRSignature(csr); err != nil {
		return nil, err
	}
	return &parsedRequest{csr: csr}, nil
}

// parseRenewal verifies a CMS SignedData renewal request: signed by the
// old key, old certificate included, content a PKCS#10 whose
// 1.3.6.1.4.1.311.13.1 attribute is that old certificate.
func parseRenewal(der []byte) (*parsedRequest, error) {
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, caError(ErrorInvalidData, "The CMS renewal request cannot be decoded: %v", err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, caError(CertsrvBadRenewalCertAttr, "The renewal request must have exactly one signer whose certificate is included.")
	}
	if err := p7.Verify(); err != nil {
		return nil, caError(NteBadSignature, "The signature of the renewal request is invalid: %v", err)
	}
	csr, err := x509.ParseCertificateRequest(p7.Content)
	if err != nil {
		return nil, caError(ErrorInvalidData, "The renewal request does not contain a PKCS #10 request: %v", err)
	}
	if err := checkCSRSignature(csr); err != nil {
		return nil, err
	}
	old, err := csrAttribute(csr.RawTBSCertificateRequest, oidRenewalCertificate)
	if err != nil || !bytes.Equal(old, signer.Raw) {
		return nil, caError(CertsrvBadRenewalCertAttr, "The renewal certificate attribute is missing or does not match the signing certificate.")
	}
	return &parsedRequest{csr: csr, renewal: signer}, nil
}

// checkCSRSignature verifies the self-signature of a CSR. Go refuses SHA-1
// CSR signatures; AD CS accepts them (Windows' own examples use SHA-1), so
// those are verified here directly.
func checkCSRSignature(csr *x509.CertificateRequest) error {
	err := csr.CheckSignature()
	var insecure x509.InsecureAlgorithmError
	if errors.As(err, &insecure) {
		h := sha1.Sum(csr.RawTBSCertificateRequest)
		switch pub := csr.PublicKey.(type) {
		case *rsa.PublicKey:
			if csr.SignatureAlgorithm == x509.SHA1WithRSA {
				err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], csr.Signature)
			}
		case *ecdsa.PublicKey:
			if csr.SignatureAlgorithm == x509.ECDSAWithSHA1 && ecdsa.VerifyASN1(pub, h[:], csr.Signature) {
				err = nil
			}
		}
	}
	if err != nil {
		return caError(NteBadSignature, "The signature of the certificate request is invalid: %v", err)
	}
	return nil
}

// csrAttribute returns the first value of attribute oid in a DER
// CertificationRequestInfo.
func csrAttribute(tbs []byte, oid asn1.ObjectIdentifier) ([]byte, error) {
	var info struct {
		Version       int
		Subject       asn1.RawValue
		PublicKey     asn1.RawValue
		RawAttributes []asn1.RawValue `asn1:"tag:0"`
	}
	if _, err := asn1.Unmarshal(tbs, &info); err != nil {
		return nil, fmt.Errorf("parse request info: %w", err)
	}
	for _, raw := range info.RawAttributes {
		var attr struct {
			Type   asn1.ObjectIdentifier
			Values []asn1.RawValue `asn1:"set"`
		}
		if _, err := asn1.Unmarshal(raw.FullBytes, &attr); err != nil || !attr.Type.Equal(oid) {
			continue
		}
		if len(attr.Values) > 0 {
			return attr.Values[0].FullBytes, nil
		}
	}
	return nil, fmt.Errorf("attribute %s not present", oid)
}

// templateRef is what a request says about its template.
type templateRef struct {
	name  string                // from ext 1.3.6.1.4.1.311.20.2 or the CertificateTemplate attribute
	oid   asn1.ObjectIdentifier // from ext 1.3.6.1.4.1.311.21.7
	major int                   // its major version (0 when absent)
}

// requestTemplate reads the template identification from the CSR
// extensions: the template name as a bare BMPString (what Windows and
// cepces send; other string types and MS-WCCE's SEQUENCE form are
// tolerated) and the template-information extension.
func requestTemplate(csr *x509.CertificateRequest) (templateRef, error) {
	var ref templateRef
	for _, ext := range csr.Extensions {
		switch {
		case ext.Id.Equal(oidEnrollCertType):
			name, err := decodeTemplateName(ext.Value)
			if err != nil {
				return ref, caError(ErrorInvalidData, "The certificate template extension cannot be decoded: %v", err)
			}
			ref.name = name
		case ext.Id.Equal(oidCertificateTemplate):
			var err error
			if ref.oid, ref.major, err = parseTemplateInfo(ext.Value); err != nil {
				return ref, caError(ErrorInvalidData, "The certificate template information extension cannot be decoded: %v", err)
			}
		}
	}
	return ref, nil
}

// parseTemplateInfo decodes extension 1.3.6.1.4.1.311.21.7: the template
// OID and its major version.
func parseTemplateInfo(v []byte) (asn1.ObjectIdentifier, int, error) {
	var ti struct {
		ID    asn1.ObjectIdentifier
		Major int `asn1:"optional"`
		Minor int `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(v, &ti); err != nil {
		return nil, 0, err
	}
	return ti.ID, ti.Major, nil
}

// certTemplate returns the template OID of an issued certificate's
// extension 1.3.6.1.4.1.311.21.7, or nil.
func certTemplate(c *x509.Certificate) asn1.ObjectIdentifier {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidCertificateTemplate) {
			oid, _, _ := parseTemplateInfo(e.Value)
			return oid
		}
	}
	return nil
}

// identities returns the UPNs (otherName 1.3.6.1.4.1.311.20.2.3) and
// e-mail addresses (rfc822Name) in the subjectAltName extension of c.
func identities(c *x509.Certificate) (upns, mails []string) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if _, err := asn1.Unmarshal(e.Value, &names); err != nil {
			return nil, nil
		}
		for _, n := range names {
			switch {
			case n.Class == asn1.ClassContextSpecific && n.Tag == 1:
				mails = append(mails, string(n.Bytes))
			case n.Class == asn1.ClassContextSpecific && n.Tag == 0: // otherName: type-id, [0] EXPLICIT value
				var typ asn1.ObjectIdentifier
				var val asn1.RawValue
				var upn string
				rest, err := asn1.Unmarshal(n.Bytes, &typ)
				if err == nil && typ.Equal(oidUPN) {
					if _, err = asn1.Unmarshal(rest, &val); err == nil {
						if _, err = asn1.Unmarshal(val.Bytes, &upn); err == nil {
							upns = append(upns, upn)
						}
					}
				}
			}
		}
	}
	return upns, mails
}

// requestSAN returns the subjectAltName extension of a CSR, if any.
func requestSAN(csr *x509.CertificateRequest) (pkix.Extension, bool) {
	for _, e := range csr.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			return e, true
		}
	}
	return pkix.Extension{}, false
}

// decodeTemplateName decodes the value of extension 1.3.6.1.4.1.311.20.2.
func decodeTemplateName(v []byte) (string, error) {
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(v, &raw); err != nil {
		return "", err
	}
	if raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagSequence {
		return decodeTemplateName(raw.Bytes) // MS-WCCE's SEQUENCE { name }
	}
	if raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagBMPString {
		if len(raw.Bytes)%2 != 0 {
			return "", errors.New("odd-length BMPString")
		}
		u := make([]uint16, len(raw.Bytes)/2)
		for i := range u {
			u[i] = uint16(raw.Bytes[2*i])<<8 | uint16(raw.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	}
	var s string
	if _, err := asn1.Unmarshal(v, &s); err != nil {
		return "", err
	}
	return s, nil
}

// keyCheck enforces the template's key algorithm and minimal key length.
func keyCheck(t *Template, pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if t.ECDSA {
			return caError(NteBadAlgID, "The template %s requires an ECDSA key.", t.Name)
		}
		if k.N.BitLen() < t.MinKeyBits {
			return caError(CertsrvKeyLength, "The public key does not meet the minimum size required by the specified certificate template (%d < %d bits).", k.N.BitLen(), t.MinKeyBits)
		}
	case *ecdsa.PublicKey:
		if !t.ECDSA {
			return caError(NteBadAlgID, "The template %s requires an RSA key.", t.Name)
		}
		if k.Curve.Params().BitSize < t.MinKeyBits {
			return caError(CertsrvKeyLength, "The public key does not meet the minimum size required by the specified certificate template (%d < %d bits).", k.Curve.Params().BitSize, t.MinKeyBits)
		}
	default:
		return caError(NteBadAlgID, "The public key algorithm is not supported.")
	}
	return nil
}

// verifyIssued checks that cert was issued by this CA and is valid at now.
func (ca *CA) verifyIssued(cert *x509.Certificate, now time.Time) error {
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return caError(CertsrvBadRenewalCertAttr, "The certificate being renewed is not valid now (valid %s to %s).",
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if ca.cfg.AcceptForeignRenewals {
		return nil
	}
	if err := cert.CheckSignatureFrom(ca.issuing); err != nil {
		return caError(CertsrvBadRenewalCertAttr, "The certificate being renewed was not issued by this CA.")
	}
	return nil
}

// accountName strips the domain part of DOMAIN\user for a common name.
func accountName(account string) string {
	if i := strings.LastIndexByte(account, '\\'); i >= 0 {
		return account[i+1:]
	}
	return account
}
