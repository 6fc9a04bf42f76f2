package enroll

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuthKind is a CEP clientAuthentication code: how a CES endpoint
// authenticates its callers (MS-XCEP 3.1.4.1.3.6).
type AuthKind uint32

// Authentication kinds. Kerberos is listed so policies parse; this package
// cannot use it.
const (
	AuthAnonymous        AuthKind = 1
	AuthKerberos         AuthKind = 2
	AuthUsernamePassword AuthKind = 4
	AuthCertificate      AuthKind = 8
)

// OID groups (MS-XCEP 3.1.4.1.3.20).
const (
	GroupHashAlgorithm    = 1
	GroupPublicKey        = 3
	GroupExtension        = 6
	GroupEnrollmentObject = 9
)

// Policies is a parsed GetPoliciesResponse. References between templates,
// CAs and OIDs are resolved, so the value is self-contained and JSON-friendly.
type Policies struct {
	PolicyID     string `json:"policyID"`
	FriendlyName string `json:"friendlyName,omitempty"`
	// NextUpdateHours is nil when the server sent none; see PolicyCache.
	NextUpdateHours *uint32 `json:"nextUpdateHours,omitempty"`
	// NotChanged reports policiesNotChanged=true: the server answered a
	// lastUpdate request and sent no templates, CAs or OIDs.
	NotChanged bool       `json:"notChanged,omitempty"`
	Templates  []Template `json:"templates,omitempty"`
	CAs        []CA       `json:"cas,omitempty"`
	OIDs       []OID      `json:"oids,omitempty"`
	// Date is the server's HTTP Date on the answer (GetPolicies only;
	// zero without one). PolicyCache sends it back as lastUpdate.
	Date time.Time `json:"-"`
}

// Template is one enrollment policy (certificate template) with every
// attribute of MS-XCEP's Attributes type.
type Template struct {
	OID              string  `json:"oid,omitempty"` // group-9 OID; "" if the reference dangles
	CAReferences     []int   `json:"caReferences,omitempty"`
	CommonName       string  `json:"commonName"`
	PolicySchema     uint32  `json:"policySchema"`
	ValiditySeconds  uint64  `json:"validitySeconds"`
	RenewalSeconds   uint64  `json:"renewalSeconds"`
	Enroll           bool    `json:"enroll"`
	AutoEnroll       bool    `json:"autoEnroll"`
	MinimalKeyLength uint32  `json:"minimalKeyLength"`
	KeySpec          *uint32 `json:"keySpec,omitempty"`
	KeyUsageProperty *uint32 `json:"keyUsageProperty,omitempty"`
	KeyPermissions   *string `json:"keyPermissions,omitempty"`
	// KeyAlgorithm is the public-key algorithm OID; "" means RSA.
	KeyAlgorithm       string   `json:"keyAlgorithm,omitempty"`
	CryptoProviders    []string `json:"cryptoProviders,omitempty"`
	MajorRevision      uint32   `json:"majorRevision"`
	MinorRevision      uint32   `json:"minorRevision"`
	SupersededPolicies []string `json:"supersededPolicies,omitempty"`
	PrivateKeyFlags    *uint32  `json:"privateKeyFlags,omitempty"`
	SubjectNameFlags   *uint32  `json:"subjectNameFlags,omitempty"`
	EnrollmentFlags    *uint32  `json:"enrollmentFlags,omitempty"`
	GeneralFlags       *uint32  `json:"generalFlags,omitempty"`
	// Flags decodes the four flag words above.
	Flags Flags `json:"flags"`
	// HashAlgorithm is the hash OID; "" when the template names none.
	HashAlgorithm  string          `json:"hashAlgorithm,omitempty"`
	RARequirements *RARequirements `json:"raRequirements,omitempty"`
	KeyArchival    *KeyArchival    `json:"keyArchival,omitempty"`
	Extensions     []Extension     `json:"extensions,omitempty"`
}

// RARequirements lists the registration-authority signatures a template
// needs; requests for such templates need an enrollment agent.
type RARequirements struct {
	Signatures uint32   `json:"signatures"`
	EKUs       []string `json:"ekus,omitempty"`
	Policies   []string `json:"policies,omitempty"`
}

// KeyArchival is present when the CA archives the private key (needs KET).
type KeyArchival struct {
	SymmetricAlgorithm string `json:"symmetricAlgorithm,omitempty"`
	KeyLength          uint32 `json:"keyLength"`
}

// Extension is an extension the CA adds for a template.
type Extension struct {
	OID      string `json:"oid"`
	Critical bool   `json:"critical,omitempty"`
	Value    []byte `json:"value,omitempty"`
}

// CA is one issuing CA with the CES endpoints that front it.
type CA struct {
	ReferenceID      int      `json:"referenceID"`
	URIs             []CESURI `json:"uris"`
	Certificate      []byte   `json:"certificate"` // DER of the CA certificate
	EnrollPermission bool     `json:"enrollPermission"`
}

// CESURI is one CES endpoint of a CA.
type CESURI struct {
	Auth        AuthKind `json:"auth"`
	URI         string   `json:"uri"`
	Priority    *uint32  `json:"priority,omitempty"` // lower is preferred; nil sorts last
	RenewalOnly bool     `json:"renewalOnly,omitempty"`
}

// OID is one entry of the policy's OID table.
type OID struct {
	ReferenceID int    `json:"referenceID"`
	Value       string `json:"value"`
	Group       uint32 `json:"group"`
	DefaultName string `json:"defaultName,omitempty"`
}

// Usable reports whether this client can enroll for t (Unusable is "").
func (t *Template) Usable() bool { return t.Unusable() == "" }

// Unusable says in one clause why this client cannot enroll for t, or
// returns "": the caller may not enroll, or the template needs key
// archival, RA signatures or key attestation. Attestation
// (privateKeyFlags 0x2000) asks for a TPM-held key and its attestation
// statement (the TPM's endorsement key certificate and a key
// certification); certdesk sends none, even for a key in a TPM, so the CA
// would refuse with CERTSRV_E_KEY_ATTESTATION (0x8009481A).
func (t *Template) Unusable() string {
	switch {
	case !t.Enroll:
		return "this account may not enroll for it"
	case t.KeyArchival != nil || t.Flags.RequireKeyArchival:
		return "it needs key archival"
	case t.RARequirements != nil && t.RARequirements.Signatures > 0:
		return "it needs an enrollment agent's signature"
	case t.Flags.AttestationRequired:
		return "it requires key attestation by a TPM, which certdesk does not provide (not even for a key it keeps in a TPM)"
	}
	return ""
}

// Template returns the template with the given common name, or nil.
func (p *Policies) Template(name string) *Template {
	for i := range p.Templates {
		if strings.EqualFold(p.Templates[i].CommonName, name) {
			return &p.Templates[i]
		}
	}
	return nil
}

// getPoliciesBody is the GetPolicies request body. requestFilter carries
// explicit versions (AllPolicyVersions): nil versions hide Server 2012+
// templates on real CEPs (cepces #74; docs/protocol-client.md).
func getPoliciesBody(lastUpdate time.Time, clientVersion, serverVersion int) string {
	lu := `<lastUpdate xsi:nil="true"/>`
	if !lastUpdate.IsZero() {
		lu = "<lastUpdate>" + lastUpdate.UTC().Format(time.RFC3339) + "</lastUpdate>"
	}
	return `<GetPolicies xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><client>` + lu +
		`<preferredLanguage xsi:nil="true"/></client><requestFilter><policyOIDs xsi:nil="true"/>` +
		"<clientVersion>" + strconv.Itoa(clientVersion) + "</clientVersion><serverVersion>" +
		strconv.Itoa(serverVersion) + "</serverVersion></requestFilter></GetPolicies>"
}

// xsVal is a simple-typed element that may be nil, empty or absent
// ([MS-XCEP] nil encoding): all three read as "no value".
type xsVal struct {
	Nil  string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
	Text string `xml:",chardata"`
}

func (v *xsVal) str() (string, bool) {
	if v == nil || v.Nil == "true" || v.Nil == "1" {
		return "", false
	}
	s := strings.TrimSpace(v.Text)
	return s, true
}

// The raw* types mirror the XSD; children are matched by local name inside
// an element already checked to be in the XCEP namespace.
type rawGetPoliciesResponse struct {
	Response *struct {
		PolicyID           *xsVal `xml:"policyID"`
		PolicyFriendlyName *xsVal `xml:"policyFriendlyName"`
		NextUpdateHours    *xsVal `xml:"nextUpdateHours"`
		PoliciesNotChanged *xsVal `xml:"policiesNotChanged"`
		Policies           []struct {
			PolicyOIDReference *xsVal        `xml:"policyOIDReference"`
			CAReferences       []*xsVal      `xml:"cAs>cAReference"`
			Attributes         rawAttributes `xml:"attributes"`
		} `xml:"policies>policy"`
	} `xml:"response"`
	CAs []struct {
		URIs []struct {
			ClientAuthentication *xsVal `xml:"clientAuthentication"`
			URI                  *xsVal `xml:"uri"`
			Priority             *xsVal `xml:"priority"`
			RenewalOnly          *xsVal `xml:"renewalOnly"`
		} `xml:"uris>cAURI"`
		Certificate      *xsVal `xml:"certificate"`
		EnrollPermission *xsVal `xml:"enrollPermission"`
		CAReferenceID    *xsVal `xml:"cAReferenceID"`
	} `xml:"cAs>cA"`
	OIDs []struct {
		Value          *xsVal `xml:"value"`
		Group          *xsVal `xml:"group"`
		OIDReferenceID *xsVal `xml:"oIDReferenceID"`
		DefaultName    *xsVal `xml:"defaultName"`
	} `xml:"oIDs>oID"`
}

type rawAttributes struct {
	CommonName          *xsVal   `xml:"commonName"`
	PolicySchema        *xsVal   `xml:"policySchema"`
	Validity            *xsVal   `xml:"certificateValidity>validityPeriodSeconds"`
	Renewal             *xsVal   `xml:"certificateValidity>renewalPeriodSeconds"`
	Enroll              *xsVal   `xml:"permission>enroll"`
	AutoEnroll          *xsVal   `xml:"permission>autoEnroll"`
	MinimalKeyLength    *xsVal   `xml:"privateKeyAttributes>minimalKeyLength"`
	KeySpec             *xsVal   `xml:"privateKeyAttributes>keySpec"`
	KeyUsageProperty    *xsVal   `xml:"privateKeyAttributes>keyUsageProperty"`
	Permissions         *xsVal   `xml:"privateKeyAttributes>permissions"`
	AlgorithmOIDRef     *xsVal   `xml:"privateKeyAttributes>algorithmOIDReference"`
	Providers           []*xsVal `xml:"privateKeyAttributes>cryptoProviders>provider"`
	MajorRevision       *xsVal   `xml:"revision>majorRevision"`
	MinorRevision       *xsVal   `xml:"revision>minorRevision"`
	Superseded          []*xsVal `xml:"supersededPolicies>commonName"`
	PrivateKeyFlags     *xsVal   `xml:"privateKeyFlags"`
	SubjectNameFlags    *xsVal   `xml:"subjectNameFlags"`
	EnrollmentFlags     *xsVal   `xml:"enrollmentFlags"`
	GeneralFlags        *xsVal   `xml:"generalFlags"`
	HashAlgorithmOIDRef *xsVal   `xml:"hashAlgorithmOIDReference"`
	RARequirements      *struct {
		Signatures *xsVal   `xml:"rASignatures"`
		EKUs       []*xsVal `xml:"rAEKUs>oIDReference"`
		Policies   []*xsVal `xml:"rAPolicies>oIDReference"`
	} `xml:"rARequirements"`
	KeyArchival *struct {
		SymAlgRef *xsVal `xml:"symmetricAlgorithmOIDReference"`
		SymKeyLen *xsVal `xml:"symmetricAlgorithmKeyLength"`
	} `xml:"keyArchivalAttributes"`
	Extensions []struct {
		OIDReference *xsVal `xml:"oIDReference"`
		Critical     *xsVal `xml:"critical"`
		Value        *xsVal `xml:"value"`
	} `xml:"extensions>extension"`
}

// ParsePolicies parses a GetPoliciesResponse, either a whole SOAP envelope or
// the bare GetPoliciesResponse element. A SOAP fault is returned as *Fault.
func ParsePolicies(data []byte) (*Policies, error) {
	d, start, _, err := payload(data)
	if err != nil {
		return nil, err
	}
	if start.Name.Space == nsSOAP && start.Name.Local == "Fault" {
		return nil, decodeFault(d, start)
	}
	if start.Name.Space != nsXCEP || start.Name.Local != "GetPoliciesResponse" {
		return nil, fmt.Errorf("enroll: expected a GetPoliciesResponse, got %s", start.Name.Local)
	}
	var raw rawGetPoliciesResponse
	if err := d.DecodeElement(&raw, &start); err != nil {
		return nil, fmt.Errorf("%w: GetPoliciesResponse: %v", ErrMalformed, err)
	}
	return raw.convert()
}

// conv accumulates the first conversion error so convert stays linear.
type conv struct{ err error }

func (c *conv) fail(field, text string, err error) {
	if c.err == nil {
		c.err = fmt.Errorf("enroll: GetPoliciesResponse: %s %q is invalid: %w", field, text, err)
	}
}

func (c *conv) u32p(field string, v *xsVal) *uint32 {
	s, ok := v.str()
	if !ok || s == "" {
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		c.fail(field, s, err)
		return nil
	}
	u := uint32(n)
	return &u
}

func (c *conv) u32(field string, v *xsVal) uint32 {
	if p := c.u32p(field, v); p != nil {
		return *p
	}
	return 0
}

func (c *conv) u64(field string, v *xsVal) uint64 {
	s, ok := v.str()
	if !ok || s == "" {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		c.fail(field, s, err)
	}
	return n
}

// ref parses an int reference; ok is false when nil, empty or absent.
func (c *conv) ref(field string, v *xsVal) (int, bool) {
	s, ok := v.str()
	if !ok || s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		c.fail(field, s, err)
		return 0, false
	}
	return int(n), true
}

func (c *conv) boolean(field string, v *xsVal) bool {
	s, ok := v.str()
	if !ok || s == "" {
		return false
	}
	b, err := strconv.ParseBool(s) // xs:boolean is true/false/1/0
	if err != nil {
		c.fail(field, s, err)
	}
	return b
}

func (c *conv) b64(field string, v *xsVal) []byte {
	s, ok := v.str()
	if !ok || s == "" {
		return nil
	}
	b, err := decodeBase64(s)
	if err != nil {
		c.fail(field, s, err)
	}
	return b
}

func text(v *xsVal) string { s, _ := v.str(); return s }

func (raw *rawGetPoliciesResponse) convert() (*Policies, error) {
	var c conv
	p := &Policies{}
	oids := map[int]string{}
	for _, o := range raw.OIDs {
		id, _ := c.ref("oIDReferenceID", o.OIDReferenceID)
		oid := OID{ReferenceID: id, Value: squeeze(text(o.Value)), Group: c.u32("group", o.Group), DefaultName: text(o.DefaultName)}
		p.OIDs = append(p.OIDs, oid)
		oids[id] = oid.Value
	}
	// lookup resolves an OID reference; a dangling one resolves to "".
	lookup := func(field string, v *xsVal) string {
		if id, ok := c.ref(field, v); ok {
			return oids[id]
		}
		return ""
	}
	for _, ca := range raw.CAs {
		id, _ := c.ref("cAReferenceID", ca.CAReferenceID)
		// enrollPermission is mandatory; a server that leaves it out or nil
		// has not said no, so the CA is tried.
		perm := true
		if s, ok := ca.EnrollPermission.str(); ok && s != "" {
			perm = c.boolean("enrollPermission", ca.EnrollPermission)
		}
		out := CA{ReferenceID: id, Certificate: c.b64("certificate", ca.Certificate), EnrollPermission: perm}
		for _, u := range ca.URIs {
			out.URIs = append(out.URIs, CESURI{
				Auth:        AuthKind(c.u32("clientAuthentication", u.ClientAuthentication)),
				URI:         squeeze(text(u.URI)),
				Priority:    c.u32p("priority", u.Priority),
				RenewalOnly: c.boolean("renewalOnly", u.RenewalOnly),
			})
		}
		p.CAs = append(p.CAs, out)
	}
	if r := raw.Response; r != nil {
		p.PolicyID = text(r.PolicyID)
		p.FriendlyName = text(r.PolicyFriendlyName)
		p.NextUpdateHours = c.u32p("nextUpdateHours", r.NextUpdateHours)
		p.NotChanged = c.boolean("policiesNotChanged", r.PoliciesNotChanged)
		for _, pol := range r.Policies {
			a := &pol.Attributes
			t := Template{
				OID:              lookup("policyOIDReference", pol.PolicyOIDReference),
				CommonName:       text(a.CommonName),
				PolicySchema:     c.u32("policySchema", a.PolicySchema),
				ValiditySeconds:  c.u64("validityPeriodSeconds", a.Validity),
				RenewalSeconds:   c.u64("renewalPeriodSeconds", a.Renewal),
				Enroll:           c.boolean("enroll", a.Enroll),
				AutoEnroll:       c.boolean("autoEnroll", a.AutoEnroll),
				MinimalKeyLength: c.u32("minimalKeyLength", a.MinimalKeyLength),
				KeySpec:          c.u32p("keySpec", a.KeySpec),
				KeyUsageProperty: c.u32p("keyUsageProperty", a.KeyUsageProperty),
				KeyAlgorithm:     lookup("algorithmOIDReference", a.AlgorithmOIDRef),
				MajorRevision:    c.u32("majorRevision", a.MajorRevision),
				MinorRevision:    c.u32("minorRevision", a.MinorRevision),
				PrivateKeyFlags:  c.u32p("privateKeyFlags", a.PrivateKeyFlags),
				SubjectNameFlags: c.u32p("subjectNameFlags", a.SubjectNameFlags),
				EnrollmentFlags:  c.u32p("enrollmentFlags", a.EnrollmentFlags),
				GeneralFlags:     c.u32p("generalFlags", a.GeneralFlags),
				HashAlgorithm:    lookup("hashAlgorithmOIDReference", a.HashAlgorithmOIDRef),
			}
			if s, _ := a.Permissions.str(); s != "" {
				t.KeyPermissions = &s
			}
			for _, ref := range pol.CAReferences {
				if id, ok := c.ref("cAReference", ref); ok {
					t.CAReferences = append(t.CAReferences, id)
				}
			}
			for _, v := range a.Providers {
				if s := text(v); s != "" {
					t.CryptoProviders = append(t.CryptoProviders, s)
				}
			}
			for _, v := range a.Superseded {
				if s := text(v); s != "" {
					t.SupersededPolicies = append(t.SupersededPolicies, s)
				}
			}
			// Nil, empty and absent rARequirements / keyArchivalAttributes all
			// mean "none": only content makes them present.
			if ra := a.RARequirements; ra != nil && (text(ra.Signatures) != "" || len(ra.EKUs)+len(ra.Policies) > 0) {
				r := &RARequirements{Signatures: c.u32("rASignatures", ra.Signatures)}
				for _, v := range ra.EKUs {
					r.EKUs = append(r.EKUs, lookup("rAEKUs", v))
				}
				for _, v := range ra.Policies {
					r.Policies = append(r.Policies, lookup("rAPolicies", v))
				}
				t.RARequirements = r
			}
			if ka := a.KeyArchival; ka != nil && (text(ka.SymAlgRef) != "" || text(ka.SymKeyLen) != "") {
				t.KeyArchival = &KeyArchival{SymmetricAlgorithm: lookup("symmetricAlgorithmOIDReference", ka.SymAlgRef), KeyLength: c.u32("symmetricAlgorithmKeyLength", ka.SymKeyLen)}
			}
			for _, e := range a.Extensions {
				t.Extensions = append(t.Extensions, Extension{OID: lookup("oIDReference", e.OIDReference), Critical: c.boolean("critical", e.Critical), Value: c.b64("extension value", e.Value)})
			}
			t.Flags = decodeFlags(deref(t.SubjectNameFlags), deref(t.EnrollmentFlags), deref(t.PrivateKeyFlags), deref(t.GeneralFlags))
			p.Templates = append(p.Templates, t)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if p.PolicyID == "" && !p.NotChanged && len(p.Templates) == 0 && raw.Response == nil {
		return nil, errors.New("enroll: GetPoliciesResponse has no response element")
	}
	return p, nil
}

func deref(p *uint32) uint32 {
	if p == nil {
		return 0
	}
	return *p
}
