package enroll

import "encoding/asn1"

// oidNames names the OIDs people meet in certificates and templates: key
// purposes (extended key usages), Microsoft purposes and well-known
// certificate policies. It is the one table of such names; the GUI's
// extensions and the wizard's templates read it through OIDName.
var oidNames = map[string]string{
	"2.5.29.37.0":             "Any purpose",
	"1.3.6.1.5.5.7.3.1":       "Server Authentication",
	"1.3.6.1.5.5.7.3.2":       "Client Authentication",
	"1.3.6.1.5.5.7.3.3":       "Code Signing",
	"1.3.6.1.5.5.7.3.4":       "Secure Email",
	"1.3.6.1.5.5.7.3.5":       "IP Security End System",
	"1.3.6.1.5.5.7.3.6":       "IP Security Tunnel",
	"1.3.6.1.5.5.7.3.7":       "IP Security User",
	"1.3.6.1.5.5.7.3.8":       "Time Stamping",
	"1.3.6.1.5.5.7.3.9":       "OCSP Signing",
	"1.3.6.1.5.5.7.3.17":      "IKE Intermediate",
	"1.3.6.1.4.1.311.20.2.2":  "Smart Card Logon",
	"1.3.6.1.4.1.311.20.2.1":  "Certificate Request Agent",
	"1.3.6.1.4.1.311.10.3.4":  "Encrypting File System",
	"1.3.6.1.4.1.311.10.3.12": "Document Signing",
	"1.3.6.1.4.1.311.10.3.3":  "Microsoft Server Gated Crypto",
	"1.3.6.1.4.1.311.21.5":    "Private Key Archival",
	"1.3.6.1.4.1.311.21.6":    "Key Recovery Agent",
	"1.3.6.1.5.2.3.5":         "KDC Authentication",
	"2.5.29.32.0":             "All issuance policies",
	"2.23.140.1.2.1":          "Domain validated",
	"2.23.140.1.2.2":          "Organization validated",
	"2.23.140.1.1":            "Extended validation",
}

// OIDName returns the name of a well-known OID ("Client Authentication"
// for 1.3.6.1.5.5.7.3.2), or "" when it has none.
func OIDName(oid string) string { return oidNames[oid] }

// groupEKU is the MS-XCEP OID group of enhanced key usages.
const groupEKU = 7

// Extension OIDs a template's purposes are read from.
const (
	oidExtKeyUsage         = "2.5.29.37"
	oidApplicationPolicies = "1.3.6.1.4.1.311.21.10"
)

// Purposes names what certificates of template t are for: its enhanced
// key usages, else its Microsoft application policies, by OIDName, else by
// the name p's OIDs give them, else as the OID. It is empty when the
// template restricts no purpose; p may be nil.
func (p *Policies) Purposes(t *Template) []string {
	oids := templateOIDs(t, oidExtKeyUsage)
	if len(oids) == 0 {
		oids = templateOIDs(t, oidApplicationPolicies)
	}
	var names []string
	for _, o := range oids {
		names = append(names, p.name(o.String()))
	}
	return names
}

// name is OIDName of oid, else the default name p's EKU OIDs give it,
// else oid.
func (p *Policies) name(oid string) string {
	if n := OIDName(oid); n != "" {
		return n
	}
	if p != nil {
		for _, o := range p.OIDs {
			if o.Value == oid && o.Group == groupEKU && o.DefaultName != "" {
				return o.DefaultName
			}
		}
	}
	return oid
}

// templateOIDs decodes the purposes in t's extension ext: an EKU
// extension (a SEQUENCE OF OID) or an application policies extension (a
// SEQUENCE OF PolicyInformation, whose first field is the OID); nil when
// t has none or it is malformed.
func templateOIDs(t *Template, ext string) []asn1.ObjectIdentifier {
	for _, e := range t.Extensions {
		if e.OID != ext {
			continue
		}
		var oids []asn1.ObjectIdentifier
		if ext == oidExtKeyUsage {
			if rest, err := asn1.Unmarshal(e.Value, &oids); err != nil || len(rest) > 0 {
				return nil
			}
			return oids
		}
		var policies []struct {
			ID         asn1.ObjectIdentifier
			Qualifiers asn1.RawValue `asn1:"optional"`
		}
		if rest, err := asn1.Unmarshal(e.Value, &policies); err != nil || len(rest) > 0 {
			return nil
		}
		for _, pi := range policies {
			oids = append(oids, pi.ID)
		}
		return oids
	}
	return nil
}
