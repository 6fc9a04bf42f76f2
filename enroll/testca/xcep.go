package testca

import (
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"crypto/x509"
)

// policyRequest is what a GetPolicies request asks for.
type policyRequest struct {
	lastUpdate    time.Time       // zero: none or unparsable
	clientVersion int             // -1: nil
	serverVersion int             // -1: nil
	withdrawn     map[string]bool // templates the server no longer lists (Server.WithdrawTemplate)
	oids          map[string]bool
	lenient       bool // Config.Lenient: versions 0/0 show every template
}

// parseGetPolicies reads a GetPolicies body. client is mandatory; every
// other element may be nil, empty or absent. An unparsable lastUpdate
// (the spec's own example has "20090-03-15-T09:38:46") counts as none.
func parseGetPolicies(body *node) (*policyRequest, error) {
	if !body.is(nsXCEP, "GetPolicies") {
		return nil, &soapFault{code: "s:Sender", reason: "The body is not a GetPolicies request."}
	}
	client := body.child(nsXCEP, "client")
	if client == nil {
		return nil, &soapFault{code: "s:Sender", reason: "The GetPolicies request has no client element."}
	}
	pr := &policyRequest{clientVersion: -1, serverVersion: -1}
	if lu := client.child(nsXCEP, "lastUpdate"); !lu.isNil() {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, lu.value()); err == nil {
				pr.lastUpdate = t
				break
			}
		}
	}
	filter := body.child(nsXCEP, "requestFilter")
	if filter.isNil() {
		return pr, nil
	}
	if oids := filter.child(nsXCEP, "policyOIDs"); !oids.isNil() {
		pr.oids = map[string]bool{}
		for _, o := range oids.kids {
			if o.is(nsXCEP, "oid") {
				pr.oids[o.value()] = true
			}
		}
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{{"clientVersion", &pr.clientVersion}, {"serverVersion", &pr.serverVersion}} {
		if n := filter.child(nsXCEP, v.name); !n.isNil() {
			if i, err := strconv.Atoi(n.value()); err == nil {
				*v.dst = i
			}
		}
	}
	return pr, nil
}

// visible applies the template-compatibility filter of MS-XCEP
// 3.1.4.1.3.22: templates whose minimum client/server version
// (privateKeyFlags 0x0F000000/0x000F0000) exceeds the request's versions
// are hidden. Nil versions count as 0, which hides every versioned
// template (as a real CEP did to cepces, #74). Lenient: explicit 0/0
// means "no filtering", as real CEP servers answered cepces.
func (pr *policyRequest) visible(t *Template) bool {
	if pr.withdrawn[t.Name] || t.estOnly {
		return false
	}
	if pr.oids != nil && !pr.oids[t.OID.String()] {
		return false
	}
	cv, sv := int(t.PrivateKeyFlag>>24&0xF), int(t.PrivateKeyFlag>>16&0xF)
	if pr.lenient && pr.clientVersion == 0 && pr.serverVersion == 0 {
		return true
	}
	return cv <= max(pr.clientVersion, 0) && sv <= max(pr.serverVersion, 0)
}

// OIDs of the policy's OID table (MS-XCEP oID groups).
var (
	oidRSA      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECPublic = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSHA256   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidEKU      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKU       = asn1.ObjectIdentifier{2, 5, 29, 15}
)

// oidTable assigns oIDReferenceIDs while a response is built.
type oidTable struct {
	refs map[string]int
	b    strings.Builder
}

func (o *oidTable) ref(oid asn1.ObjectIdentifier, group int, name string) int {
	if id, ok := o.refs[oid.String()]; ok {
		return id
	}
	id := len(o.refs) + 1
	o.refs[oid.String()] = id
	fmt.Fprintf(&o.b, `<oID><value>%s</value><group>%d</group><oIDReferenceID>%d</oIDReferenceID><defaultName>%s</defaultName></oID>`,
		oid, group, id, esc(name))
	return id
}

// policyID is stable for a CA directory: derived from the root certificate.
func (ca *CA) policyID() string {
	h := sha256.Sum256(ca.root.Raw)
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// emptyPoliciesXML is a GetPoliciesResponse with no templates (the
// EmptyPolicies fault).
func (ca *CA) emptyPoliciesXML() string {
	return `<GetPoliciesResponse xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><response>` +
		fmt.Sprintf(`<policyID>%s</policyID><policyFriendlyName>%s</policyFriendlyName><nextUpdateHours>8</nextUpdateHours>`,
			ca.policyID(), esc(ca.cfg.Name+" enrollment policy")) +
		`<policiesNotChanged>false</policiesNotChanged><policies/></response><cAs xsi:nil="true"/><oIDs xsi:nil="true"/></GetPoliciesResponse>`
}

// getPoliciesXML renders the GetPoliciesResponse body for a caller.
// account is the authenticated user ("" on the certificate CEP, which
// lists only templates that allow key-based renewal); base is the
// https://host:port the client used.
func (ca *CA) getPoliciesXML(pr *policyRequest, account string, kbrOnly bool, base string, policyTime time.Time) string {
	var b strings.Builder
	b.WriteString(`<GetPoliciesResponse xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><response>`)
	fmt.Fprintf(&b, `<policyID>%s</policyID><policyFriendlyName>%s</policyFriendlyName><nextUpdateHours>8</nextUpdateHours>`,
		ca.policyID(), esc(ca.cfg.Name+" enrollment policy"))
	if !pr.lastUpdate.IsZero() && !pr.lastUpdate.Before(policyTime) {
		b.WriteString(`<policiesNotChanged>true</policiesNotChanged><policies xsi:nil="true"/></response><cAs xsi:nil="true"/><oIDs xsi:nil="true"/></GetPoliciesResponse>`)
		return b.String()
	}
	b.WriteString(`<policiesNotChanged>false</policiesNotChanged><policies>`)
	oids := &oidTable{refs: map[string]int{}}
	for _, t := range ca.templates {
		if (kbrOnly && !t.kbr()) || !pr.visible(t) {
			continue
		}
		ca.policyXML(&b, oids, t, kbrOnly || ca.allowed(t, account))
	}
	b.WriteString(`</policies></response><cAs><cA><uris>`)
	fmt.Fprintf(&b, `<cAURI><clientAuthentication>4</clientAuthentication><uri>%s</uri><priority>1</priority><renewalOnly>false</renewalOnly></cAURI>`,
		esc(base+ca.cesPath(false)))
	if ca.cfg.KBR {
		fmt.Fprintf(&b, `<cAURI><clientAuthentication>8</clientAuthentication><uri>%s</uri><priority>1</priority><renewalOnly>true</renewalOnly></cAURI>`,
			esc(base+ca.cesPath(true)))
	}
	fmt.Fprintf(&b, `</uris><certificate>%s</certificate><enrollPermission>true</enrollPermission><cAReferenceID>0</cAReferenceID></cA>`,
		base64.StdEncoding.EncodeToString(ca.issuing.Raw))
	for i, x := range ca.cfg.ExtraCAs {
		fmt.Fprintf(&b, `<cA><uris><cAURI><clientAuthentication>4</clientAuthentication><uri>%s</uri><priority>%d</priority><renewalOnly>false</renewalOnly></cAURI></uris>`,
			esc(base+extraCESPath(x)), x.Priority)
		fmt.Fprintf(&b, `<certificate>%s</certificate><enrollPermission>%t</enrollPermission><cAReferenceID>%d</cAReferenceID></cA>`,
			base64.StdEncoding.EncodeToString(ca.issuing.Raw), !x.NoEnrollPermission, i+1)
	}
	b.WriteString(`</cAs>`)
	b.WriteString(`<oIDs>` + oids.b.String() + `</oIDs></GetPoliciesResponse>`)
	return b.String()
}

// policyXML renders one policy (template) with all its attributes.
func (ca *CA) policyXML(b *strings.Builder, oids *oidTable, t *Template, enroll bool) {
	fmt.Fprintf(b, `<policy><policyOIDReference>%d</policyOIDReference><cAs>`, oids.ref(t.OID, 9, t.Name))
	for i := 0; i <= len(ca.cfg.ExtraCAs); i++ {
		fmt.Fprintf(b, `<cAReference>%d</cAReference>`, i)
	}
	b.WriteString(`</cAs><attributes>`)
	fmt.Fprintf(b, `<commonName>%s</commonName><policySchema>%d</policySchema>`, esc(t.Name), t.Schema)
	fmt.Fprintf(b, `<certificateValidity><validityPeriodSeconds>%d</validityPeriodSeconds><renewalPeriodSeconds>%d</renewalPeriodSeconds></certificateValidity>`,
		int64(t.Validity/time.Second), int64(t.RenewalPeriod/time.Second))
	fmt.Fprintf(b, `<permission><enroll>%t</enroll><autoEnroll>%t</autoEnroll></permission>`, enroll, enroll && t.EnrollFlags&EnrollAutoEnroll != 0)
	fmt.Fprintf(b, `<privateKeyAttributes><minimalKeyLength>%d</minimalKeyLength><keySpec>%d</keySpec>`, t.MinKeyBits, t.KeySpec)
	alg, usage, hash := oids.ref(oidRSA, 3, "RSA"), `<keyUsageProperty xsi:nil="true"/>`, `<hashAlgorithmOIDReference xsi:nil="true"/>`
	if t.ECDSA {
		alg, usage = oids.ref(oidECPublic, 3, "ECC"), `<keyUsageProperty>2</keyUsageProperty>`
	}
	if t.Schema >= 3 {
		hash = fmt.Sprintf(`<hashAlgorithmOIDReference>%d</hashAlgorithmOIDReference>`, oids.ref(oidSHA256, 1, "sha256"))
	}
	fmt.Fprintf(b, `%s<permissions xsi:nil="true"/><algorithmOIDReference>%d</algorithmOIDReference><cryptoProviders>`, usage, alg)
	for _, p := range t.Providers {
		b.WriteString(`<provider>` + esc(p) + `</provider>`)
	}
	fmt.Fprintf(b, `</cryptoProviders></privateKeyAttributes><revision><majorRevision>%d</majorRevision><minorRevision>%d</minorRevision></revision>`,
		t.MajorRevision, t.MinorRevision)
	fmt.Fprintf(b, `<supersededPolicies xsi:nil="true"/><privateKeyFlags>%d</privateKeyFlags><subjectNameFlags>%d</subjectNameFlags><enrollmentFlags>%d</enrollmentFlags><generalFlags>%d</generalFlags>%s`,
		t.PrivateKeyFlag, t.SubjectFlags, t.EnrollFlags, t.GeneralFlags, hash)
	b.WriteString(`<rARequirements xsi:nil="true"/><keyArchivalAttributes xsi:nil="true"/><extensions>`)
	for _, e := range templateExtensions(t) {
		fmt.Fprintf(b, `<extension><oIDReference>%d</oIDReference><critical>%t</critical><value>%s</value></extension>`,
			oids.ref(e.id, 6, e.name), e.critical, base64.StdEncoding.EncodeToString(e.value))
	}
	b.WriteString(`</extensions></attributes></policy>`)
}

type policyExt struct {
	id       asn1.ObjectIdentifier
	name     string
	critical bool
	value    []byte
}

// templateExtensions are the extensions the CA adds for t, as CEP lists
// them: template name (schema 1 style) or template information, EKU, KU.
func templateExtensions(t *Template) []policyExt {
	var exts []policyExt
	u := utf16.Encode([]rune(t.Name))
	bmp := make([]byte, 0, 2*len(u))
	for _, c := range u {
		bmp = append(bmp, byte(c>>8), byte(c))
	}
	if v, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagBMPString, Bytes: bmp}); err == nil {
		exts = append(exts, policyExt{oidEnrollCertType, "Certificate Template Name", false, v})
	}
	if v, err := asn1.Marshal(struct {
		ID           asn1.ObjectIdentifier
		Major, Minor int
	}{t.OID, t.MajorRevision, t.MinorRevision}); err == nil {
		exts = append(exts, policyExt{oidCertificateTemplate, "Certificate Template Information", false, v})
	}
	if v, err := asn1.Marshal(t.ekuOIDs); err == nil {
		exts = append(exts, policyExt{oidEKU, "Enhanced Key Usage", false, v})
	}
	if v, err := keyUsageValue(t.KeyUsage); err == nil {
		exts = append(exts, policyExt{oidKU, "Key Usage", true, v})
	}
	return exts
}

// keyUsageValue encodes a KeyUsage BIT STRING as crypto/x509 does.
func keyUsageValue(ku x509.KeyUsage) ([]byte, error) {
	var a [2]byte
	a[0] = reverseBits(byte(ku))
	a[1] = reverseBits(byte(ku >> 8))
	l := 1
	if a[1] != 0 {
		l = 2
	}
	bits := a[:l]
	pad := 0
	for last := bits[len(bits)-1]; last != 0 && last&1 == 0; last >>= 1 {
		pad++
	}
	return asn1.Marshal(asn1.BitString{Bytes: bits, BitLength: 8*l - pad})
}

func reverseBits(b byte) byte {
	var r byte
	for i := 0; i < 8; i++ {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}
