package ui

import (
	"cmp"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"github.com/certdesk/certdesk/store"
	"net"
	"strings"
)

// extensionTitles names the extensions the details view decodes.
var extensionTitles = map[string]string{
	"2.5.29.14":               "Subject Key Identifier",
	"2.5.29.15":               "Key Usage",
	"2.5.29.17":               "Subject Alternative Name",
	"2.5.29.18":               "Issuer Alternative Name",
	"2.5.29.19":               "Basic Constraints",
	"2.5.29.30":               "Name Constraints",
	"2.5.29.31":               "CRL Distribution Points",
	"2.5.29.32":               "Certificate Policies",
	"2.5.29.35":               "Authority Key Identifier",
	"2.5.29.37":               "Enhanced Key Usage",
	"1.3.6.1.5.5.7.1.1":       "Authority Information Access",
	"1.3.6.1.4.1.311.20.2":    "Certificate Template Name",
	"1.3.6.1.4.1.311.21.7":    "Certificate Template Information",
	"1.3.6.1.4.1.311.21.10":   "Application Policies",
	"1.3.6.1.4.1.311.21.1":    "CA Version",
	"1.3.6.1.4.1.11129.2.4.2": "Signed Certificate Timestamps",
	"1.3.6.1.5.5.7.48.1.5":    "OCSP No Check",
	"2.16.840.1.113730.1.1":   "Netscape Certificate Type",
}

// describeExtension returns the title of an extension and its value as
// lines of text; templates names template OIDs where known
// (templateNames). Extensions it cannot decode are shown as hex.
func describeExtension(c *x509.Certificate, ext pkix.Extension, templates map[string]string) (title string, lines []string) {
	oid := ext.Id.String()
	title, ok := extensionTitles[oid]
	if !ok {
		title = "Unknown extension"
	}
	var err error
	switch oid {
	case "2.5.29.14":
		lines = []string{formatHex(c.SubjectKeyId, 2)}
	case "2.5.29.35":
		lines = []string{"Key ID: " + formatHex(c.AuthorityKeyId, 2)}
	case "2.5.29.15":
		lines = []string{strings.Join(formatKeyUsage(c.KeyUsage), ", ")}
	case "2.5.29.17", "2.5.29.18":
		lines, err = parseGeneralNames(ext.Value)
	case "2.5.29.19":
		lines = describeBasicConstraints(c)
	case "2.5.29.30":
		lines = describeNameConstraints(c)
	case "2.5.29.31":
		lines = c.CRLDistributionPoints
	case "2.5.29.37":
		lines = purposesOf(c, formatOID)
	case "2.5.29.32", "1.3.6.1.4.1.311.21.10":
		lines, err = parsePolicies(ext.Value)
	case "1.3.6.1.5.5.7.1.1":
		for _, u := range c.OCSPServer {
			lines = append(lines, "OCSP: "+u)
		}
		for _, u := range c.IssuingCertificateURL {
			lines = append(lines, "CA issuers: "+u)
		}
	case "1.3.6.1.4.1.311.20.2":
		var name string
		if _, err = asn1.Unmarshal(ext.Value, &name); err == nil {
			lines = []string{name}
		}
	case "1.3.6.1.4.1.311.21.7":
		var ti store.TemplateInfo
		if _, err = asn1.Unmarshal(ext.Value, &ti); err == nil {
			template := ti.ID.String()
			if name := templates[template]; name != "" {
				template = name + " (" + template + ")"
			}
			lines = []string{"Template: " + template, fmt.Sprintf("Version: %d.%d", ti.Major, ti.Minor)}
		}
	default:
		lines = []string{oid, formatHex(ext.Value, 1)}
	}
	if err != nil || len(lines) == 0 {
		lines = []string{formatHex(ext.Value, 1)}
	}
	if ext.Critical {
		title += " (critical)"
	}
	return title, lines
}

// purposesOf lists the extended key usages of c, each as name gives it
// an OID, else as the OID: ["Any purpose"] when c does not restrict its
// purposes, nil when its extension is malformed.
func purposesOf(c *x509.Certificate, name func(oid string) string) []string {
	var out []string
	for _, ext := range c.Extensions {
		var oids []asn1.ObjectIdentifier
		if ext.Id.String() != "2.5.29.37" {
			continue
		}
		if _, err := asn1.Unmarshal(ext.Value, &oids); err != nil {
			return nil
		}
		for _, o := range oids {
			out = append(out, cmp.Or(name(o.String()), o.String()))
		}
		return out
	}
	return []string{"Any purpose"}
}

func describeBasicConstraints(c *x509.Certificate) []string {
	if !c.IsCA {
		return []string{"End entity"}
	}
	switch {
	case c.MaxPathLen > 0:
		return []string{"Certificate authority", fmt.Sprintf("Path length: %d", c.MaxPathLen)}
	case c.MaxPathLenZero:
		return []string{"Certificate authority", "Path length: 0"}
	}
	return []string{"Certificate authority", "Path length: unlimited"}
}

func describeNameConstraints(c *x509.Certificate) []string {
	var lines []string
	add := func(prefix string, vals []string) {
		for _, v := range vals {
			lines = append(lines, prefix+v)
		}
	}
	add("Permitted DNS: ", c.PermittedDNSDomains)
	add("Excluded DNS: ", c.ExcludedDNSDomains)
	add("Permitted email: ", c.PermittedEmailAddresses)
	add("Excluded email: ", c.ExcludedEmailAddresses)
	add("Permitted URI: ", c.PermittedURIDomains)
	add("Excluded URI: ", c.ExcludedURIDomains)
	for _, n := range c.PermittedIPRanges {
		lines = append(lines, "Permitted IP: "+n.String())
	}
	for _, n := range c.ExcludedIPRanges {
		lines = append(lines, "Excluded IP: "+n.String())
	}
	return lines
}

// parseGeneralNames decodes a GeneralNames SEQUENCE, including the
// Microsoft UPN other name that crypto/x509 skips.
func parseGeneralNames(der []byte) ([]string, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return nil, err
	}
	var lines []string
	for rest := seq.Bytes; len(rest) > 0; {
		var v asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &v); err != nil {
			return nil, err
		}
		switch v.Tag {
		case 0:
			lines = append(lines, describeOtherName(v.Bytes))
		case 1:
			lines = append(lines, "Email: "+string(v.Bytes))
		case 2:
			lines = append(lines, "DNS: "+string(v.Bytes))
		case 4:
			var rdn pkix.RDNSequence
			if _, err := asn1.Unmarshal(v.Bytes, &rdn); err != nil {
				return nil, err
			}
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			lines = append(lines, "Directory: "+formatDN(n))
		case 6:
			lines = append(lines, "URI: "+string(v.Bytes))
		case 7:
			lines = append(lines, "IP: "+net.IP(v.Bytes).String())
		case 8:
			var o asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(append([]byte{asn1.TagOID, byte(len(v.Bytes))}, v.Bytes...), &o); err == nil {
				lines = append(lines, "Registered ID: "+o.String())
			}
		default:
			lines = append(lines, fmt.Sprintf("Name [%d]: %s", v.Tag, formatHex(v.Bytes, 1)))
		}
	}
	return lines, nil
}

// describeOtherName decodes the body of an otherName: type-id OID, then
// [0] EXPLICIT value.
func describeOtherName(body []byte) string {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(body, &oid)
	if err != nil {
		return "Other name: " + formatHex(body, 1)
	}
	var wrapped asn1.RawValue
	if _, err := asn1.Unmarshal(rest, &wrapped); err == nil {
		var s string
		if _, err := asn1.Unmarshal(wrapped.Bytes, &s); err == nil {
			if oid.String() == "1.3.6.1.4.1.311.20.2.3" {
				return "UPN: " + s
			}
			return "Other name " + oid.String() + ": " + s
		}
	}
	return "Other name " + oid.String() + ": " + formatHex(rest, 1)
}

type policyQualifier struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue
}

type policyInfo struct {
	ID         asn1.ObjectIdentifier
	Qualifiers []policyQualifier `asn1:"optional"`
}

// parsePolicies decodes certificate policies (and Microsoft application
// policies, which share the syntax) with their CPS pointers.
func parsePolicies(der []byte) ([]string, error) {
	var ps []policyInfo
	if _, err := asn1.Unmarshal(der, &ps); err != nil {
		return nil, err
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, formatOID(p.ID.String()))
		for _, q := range p.Qualifiers {
			if q.ID.String() == "1.3.6.1.5.5.7.2.1" {
				lines = append(lines, "    CPS: "+string(q.Value.Bytes))
			} else {
				lines = append(lines, "    Qualifier "+q.ID.String())
			}
		}
	}
	return lines, nil
}
