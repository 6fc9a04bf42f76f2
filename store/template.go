package store

import (
	"crypto/x509"
	"encoding/asn1"
)

// Microsoft's certificate template extensions, which AD CS writes into the
// certificates it issues: the template name as a bare BMPString
// (szOID_ENROLL_CERTTYPE) and the template OID with its version
// (szOID_CERTIFICATE_TEMPLATE).
var (
	oidTemplateName = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2}
	oidTemplateInfo = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 7}
)

// TemplateInfo is the value of the certificate template extension
// (1.3.6.1.4.1.311.21.7).
type TemplateInfo struct {
	ID    asn1.ObjectIdentifier
	Major int `asn1:"optional"`
	Minor int `asn1:"optional"`
}

// CertificateTemplate returns the template a certificate was issued from:
// its name from 1.3.6.1.4.1.311.20.2 and its OID from 1.3.6.1.4.1.311.21.7,
// each empty when the certificate does not carry it.
func CertificateTemplate(c *x509.Certificate) (name, oid string) {
	for _, ext := range c.Extensions {
		switch {
		case ext.Id.Equal(oidTemplateName):
			var s string
			if _, err := asn1.Unmarshal(ext.Value, &s); err == nil {
				name = s
			}
		case ext.Id.Equal(oidTemplateInfo):
			var ti TemplateInfo
			if _, err := asn1.Unmarshal(ext.Value, &ti); err == nil {
				oid = ti.ID.String()
			}
		}
	}
	return name, oid
}
