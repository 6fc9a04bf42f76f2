package testca

import (
	"crypto/x509"
	"encoding/asn1"
	"time"
)

// Template is one certificate template (an MS-XCEP policy) of the CA.
type Template struct {
	Name           string                  // commonName, e.g. "User"
	OID            asn1.ObjectIdentifier   // template OID (group 9), as in ext 1.3.6.1.4.1.311.21.7
	Schema         int                     // policySchema 1, 2 or 3
	MajorRevision  int                     // revision/majorRevision
	MinorRevision  int                     // revision/minorRevision
	Validity       time.Duration           // certificate lifetime
	RenewalPeriod  time.Duration           // renew this long before expiry
	ECDSA          bool                    // key algorithm ECDSA P-256 (else RSA)
	MinKeyBits     int                     // minimalKeyLength
	KeySpec        int                     // 1 AT_KEYEXCHANGE, 2 AT_SIGNATURE
	PrivateKeyFlag uint32                  // privateKeyFlags
	SubjectFlags   uint32                  // subjectNameFlags
	EnrollFlags    uint32                  // enrollmentFlags
	GeneralFlags   uint32                  // generalFlags
	EKUs           []x509.ExtKeyUsage      // extended key usages of issued certificates
	KeyUsage       x509.KeyUsage           // key usage of issued certificates
	Providers      []string                // cryptoProviders (informational)
	ekuOIDs        []asn1.ObjectIdentifier // EKU OIDs, for the policy extension values
	estOnly        bool                    // served by the EST endpoint only, not in GetPolicies (est.go)
}

// Flag values of the template attributes (MS-XCEP, MS-CRTD).
const (
	SubjectEnrolleeSupplies    = 0x00000001 // CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT
	SubjectEnrolleeSuppliesSAN = 0x00010000 // CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT_ALT_NAME
	SubjectOldCertSupplies     = 0x00000008 // CT_FLAG_OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME: renewals keep the old names
	SubjectRequireUPN          = 0x02000000 // SAN: UPN from the account
	SubjectRequireDirectoryDN  = 0x80000000 // subject: full DN from the account

	EnrollPendAll     = 0x00000002 // CT_FLAG_PEND_ALL_REQUESTS: manager approval
	EnrollAutoEnroll  = 0x00000020 // CT_FLAG_AUTO_ENROLLMENT
	EnrollPrevApprove = 0x00000040 // CT_FLAG_PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT: a renewal signed with a valid certificate is approved by it
	EnrollAllowKBR    = 0x00010000 // allow key-based renewal

	PrivateKeyExportable = 0x00000010 // CT_FLAG_EXPORTABLE_KEY
	PrivateKeyClientWin8 = 0x05000000 // minimum client version (bits 0x0F000000): Windows 8
	PrivateKeyServer2012 = 0x00050000 // minimum server version (bits 0x000F0000): Windows Server 2012
	PrivateKeyAttest     = 0x00002000 // CT_FLAG_ATTEST_REQUIRED
)

// Names of the built-in templates.
const (
	TemplateUser       = "User"       // RSA 2048, subject and UPN built by the CA from the account
	TemplateUserP256   = "UserP256"   // as User with an ECDSA P-256 key (schema 3, SHA-256)
	TemplateWebServer  = "WebServer"  // enrollee supplies subject and DNS SANs
	TemplateShortLived = "ShortLived" // short validity (minutes), key-based renewal allowed
	TemplatePendAll    = "PendAll"    // every request pends until approved
	TemplateKBR        = "KBR"        // key-based renewal; first issuance pends, as AD CS does

	// Templates that say where the key must live (docs/keys.md).
	TemplateUserTPM       = "UserTPM"       // the TPM provider only, key not exportable
	TemplateUserSmartCard = "UserSmartCard" // a smart-card provider only (ECDSA P-256), key not exportable
	TemplateUserNoExport  = "UserNoExport"  // as User, software key not exportable
	TemplateUserAttested  = "UserAttested"  // TPM key attestation required (privateKeyFlags 0x2000)
)

// templateBase is the arc of our made-up template OIDs (under Microsoft's
// 1.3.6.1.4.1.311.21.8 arc, as AD CS generates them per forest).
var templateBase = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 8, 4242, 1}

func templateOID(n int) asn1.ObjectIdentifier {
	return append(append(asn1.ObjectIdentifier{}, templateBase...), n)
}

// builtinTemplates returns the templates of a CA with configuration c.
func builtinTemplates(c Config) []*Template {
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection}
	rsaProv := []string{"Microsoft Enhanced Cryptographic Provider v1.0"}
	ts := []*Template{
		{Name: TemplateUser, OID: templateOID(1), Schema: 2, MajorRevision: 100, MinorRevision: 4,
			Validity: c.Validity, RenewalPeriod: c.Validity / 8, MinKeyBits: 2048, KeySpec: 1,
			PrivateKeyFlag: PrivateKeyExportable, SubjectFlags: SubjectRequireDirectoryDN | SubjectRequireUPN,
			EnrollFlags: EnrollAutoEnroll, EKUs: client, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			Providers: rsaProv},
		{Name: TemplateUserP256, OID: templateOID(2), Schema: 3, MajorRevision: 100, MinorRevision: 1,
			Validity: c.Validity, RenewalPeriod: c.Validity / 8, ECDSA: true, MinKeyBits: 256, KeySpec: 2,
			PrivateKeyFlag: PrivateKeyExportable | PrivateKeyClientWin8 | PrivateKeyServer2012, SubjectFlags: SubjectRequireDirectoryDN | SubjectRequireUPN,
			EnrollFlags: EnrollAutoEnroll, EKUs: client, KeyUsage: x509.KeyUsageDigitalSignature,
			Providers: []string{"Microsoft Software Key Storage Provider"}},
		{Name: TemplateWebServer, OID: templateOID(3), Schema: 2, MajorRevision: 100, MinorRevision: 2,
			Validity: c.Validity, RenewalPeriod: c.Validity / 8, MinKeyBits: 2048, KeySpec: 1,
			PrivateKeyFlag: PrivateKeyExportable, SubjectFlags: SubjectEnrolleeSupplies | SubjectEnrolleeSuppliesSAN,
			EKUs: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			Providers: rsaProv},
		{Name: TemplateShortLived, OID: templateOID(4), Schema: 2, MajorRevision: 100, MinorRevision: 1,
			Validity: c.ShortValidity, RenewalPeriod: c.ShortRenewal, MinKeyBits: 2048, KeySpec: 1,
			PrivateKeyFlag: PrivateKeyExportable, SubjectFlags: SubjectRequireDirectoryDN | SubjectRequireUPN,
			EnrollFlags: EnrollAllowKBR, EKUs: client, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			Providers: rsaProv},
		{Name: TemplatePendAll, OID: templateOID(5), Schema: 2, MajorRevision: 100, MinorRevision: 1,
			Validity: c.Validity, RenewalPeriod: c.Validity / 8, MinKeyBits: 2048, KeySpec: 1,
			PrivateKeyFlag: PrivateKeyExportable, SubjectFlags: SubjectRequireDirectoryDN | SubjectRequireUPN,
			EnrollFlags: EnrollPendAll, EKUs: client, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			Providers: rsaProv},
		{Name: TemplateKBR, OID: templateOID(6), Schema: 2, MajorRevision: 100, MinorRevision: 1,
			Validity: c.Validity, RenewalPeriod: c.Validity / 8, MinKeyBits: 2048, KeySpec: 1,
			PrivateKeyFlag: PrivateKeyExportable, SubjectFlags: SubjectRequireDirectoryDN | SubjectRequireUPN,
			EnrollFlags: EnrollPendAll | EnrollPrevApprove | EnrollAllowKBR, EKUs: client, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			Providers: rsaProv},
	}
	// Where the key lives, as the cryptoProviders and privateKeyFlags say it.
	win8 := uint32(PrivateKeyClientWin8 | PrivateKeyServer2012)
	tpmProv := []string{"Microsoft Platform Crypto Provider"}
	for i, k := range []struct {
		name  string
		ecdsa bool
		flags uint32
		prov  []string
	}{
		{TemplateUserTPM, false, win8, tpmProv},
		{TemplateUserSmartCard, true, win8, []string{"Microsoft Smart Card Key Storage Provider"}},
		{TemplateUserNoExport, false, 0, rsaProv},
		{TemplateUserAttested, false, win8 | PrivateKeyAttest, tpmProv},
	} {
		bits := map[bool]int{false: 2048, true: 256}[k.ecdsa]
		ts = append(ts, &Template{Name: k.name, OID: templateOID(7 + i), Schema: 3, MajorRevision: 100, MinorRevision: 1,
			Validity: c.Validity, RenewalPeriod: c.Validity / 8, ECDSA: k.ecdsa, MinKeyBits: bits, KeySpec: 2,
			PrivateKeyFlag: k.flags, SubjectFlags: SubjectRequireDirectoryDN | SubjectRequireUPN,
			EKUs: client, KeyUsage: x509.KeyUsageDigitalSignature, Providers: k.prov})
	}
	for _, t := range ts {
		withEKUOIDs(t)
	}
	return ts
}

// withEKUOIDs fills t.ekuOIDs from t.EKUs.
func withEKUOIDs(t *Template) *Template {
	t.ekuOIDs = nil
	for _, u := range t.EKUs {
		if oid, ok := ekuOID[u]; ok {
			t.ekuOIDs = append(t.ekuOIDs, oid)
		}
	}
	return t
}

// ekuOID maps the EKUs used by the templates to their OIDs.
var ekuOID = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
	x509.ExtKeyUsageServerAuth:      {1, 3, 6, 1, 5, 5, 7, 3, 1},
	x509.ExtKeyUsageClientAuth:      {1, 3, 6, 1, 5, 5, 7, 3, 2},
	x509.ExtKeyUsageEmailProtection: {1, 3, 6, 1, 5, 5, 7, 3, 4},
}

// kbr reports whether the template allows key-based renewal.
func (t *Template) kbr() bool { return t.EnrollFlags&EnrollAllowKBR != 0 }

// pends reports whether new requests for the template wait for approval.
func (t *Template) pends() bool { return t.EnrollFlags&EnrollPendAll != 0 }

// enrolleeSubject reports whether the CSR subject and SANs are used as given.
func (t *Template) enrolleeSubject() bool { return t.SubjectFlags&SubjectEnrolleeSupplies != 0 }

// oldCertNames reports whether renewals take subject and SANs from the old
// certificate rather than from the request (only with enrolleeSubject).
func (t *Template) oldCertNames() bool { return t.SubjectFlags&SubjectOldCertSupplies != 0 }
