package enroll

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
)

// Repairs for spec examples that are not well-formed (protocol.md §10.4).
var (
	// xcep-spec-4.1.1.2: missing space, missing quote; base64 abbreviated
	// with "…" by the doc writers (replaced by real values in the test).
	repairXCEP4112 = []string{
		"<algorithmOIDReferencexsi:nil=", "<algorithmOIDReference xsi:nil=",
		`<subjectNameFlags nil="true/>`, `<subjectNameFlags nil="true"/>`,
		"MCAGCCsGAQUFBwMCB…YBBAGCNwoDBA==", "MBQGCCsGAQUFBwMCBggrBgEFBQcDAQ==",
	}
	// xcep-spec-4.1.2.2: <oIDs> never closed, </s:Envelope lacks ">".
	repairXCEP4122 = []string{`<oIDs xsi:nil="true">`, `<oIDs xsi:nil="true"/>`, "</s:Envelope", "</s:Envelope>"}
)

func marsRootB64(t *testing.T) string {
	blk, _ := pem.Decode(vector(t, "cepces-fixture-mars-root-ca.pem"))
	return base64.StdEncoding.EncodeToString(blk.Bytes)
}

func TestParsePoliciesXCEPSpec(t *testing.T) {
	mars := marsRootB64(t)
	data := vector(t, "xcep-spec-4.1.1.2-GetPoliciesResponse.xml",
		append(repairXCEP4112, "MIID4TCCAsmgAwI…Cz1HRi2TpCY3OlJLUPG/+Nw==", mars)...)
	p, err := ParsePolicies(data)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := base64.StdEncoding.DecodeString(mars)
	eku, _ := base64.StdEncoding.DecodeString("MBQGCCsGAQUFBwMCBggrBgEFBQcDAQ==")
	host := "https://9-1351c1223a.dom9-1351c1223a.nttest.microsoft.com/EntRootCA_CES_"
	want := &Policies{
		PolicyID: "{083C7011-1D0A-4855-885D-AC945184658C}", FriendlyName: "Contoso Enrollment Policy",
		NextUpdateHours: u32(8),
		Templates: []Template{{
			// The OID text is wrapped across lines in the example (§10.2).
			OID:          "1.3.6.1.4.1.311.21.8.3800100.3166153.13323660.9808540.8334961.78.1.6",
			CAReferences: []int{0}, CommonName: "EFS", PolicySchema: 1,
			ValiditySeconds: 31536000, RenewalSeconds: 3628800, Enroll: true,
			MinimalKeyLength: 2048, KeySpec: u32(1),
			CryptoProviders: []string{"Microsoft Enhanced Cryptographic Provider v1.0", "Microsoft Base Cryptographic Provider v1.0"},
			MajorRevision:   3, MinorRevision: 1,
			Extensions: []Extension{
				{OID: "1.3.6.1.4.1.311.20.2"}, // <value></value>: empty, not nil
				{OID: "2.5.29.37", Value: eku},
				{OID: "2.5.29.15", Critical: true, Value: []byte{3, 2, 5, 0xa0}},
			},
		}},
		CAs: []CA{{ReferenceID: 0, Certificate: ca, EnrollPermission: true, URIs: []CESURI{
			{Auth: AuthCertificate, URI: host + "Certificate/service.svc/CES", Priority: u32(1)},
			{Auth: AuthUsernamePassword, URI: host + "UsernamePassword/service.svc/CES", Priority: u32(1)},
			{Auth: AuthKerberos, URI: host + "Kerberos/service.svc/CES", Priority: u32(1)},
		}}},
		OIDs: []OID{
			{5, "1.3.6.1.4.1.311.20.2", 6, "Certificate Template Name"},
			{6, "2.5.29.37", 6, "Enhanced Key Usage"},
			{7, "2.5.29.15", 6, "Key Usage"},
			{9, "1.3.6.1.4.1.311.21.8.3800100.3166153.13323660.9808540.8334961.78.1.6", 9, "Basic EFS"},
		},
	}
	if !reflect.DeepEqual(p, want) {
		g, _ := json.MarshalIndent(p, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	if ep := p.Endpoints(&p.Templates[0], AuthUsernamePassword, false); len(ep) != 1 || !strings.Contains(ep[0], "UsernamePassword") {
		t.Errorf("Endpoints = %v", ep)
	}
}

func TestParsePoliciesCepcesLab(t *testing.T) {
	p, err := ParsePolicies(vector(t, "cepces-fixture-GetPoliciesResponse-body-3ext.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.PolicyID != "{DA239A97-1289-4B14-924F-B318D56ED254}" || p.FriendlyName != "" || *p.NextUpdateHours != 8 || p.NotChanged {
		t.Errorf("response = %+v", p)
	}
	tm := p.Templates[0]
	wantFlags := Flags{SubjectRequireDNSAsCN: true, SANRequireDNS: true, MachineTemplate: true}
	if tm.CommonName != "Machine" || tm.OID != "1.3.6.1.4.1.311.21.8.391007.14191702.9126033.6337603.8513481.227.1.14" ||
		*tm.SubjectNameFlags != 402653184 || *tm.GeneralFlags != 66144 || *tm.PrivateKeyFlags != 0 ||
		tm.Flags != wantFlags || tm.KeyAlgorithm != "" || tm.HashAlgorithm != "" || tm.KeyPermissions != nil ||
		tm.MajorRevision != 5 || tm.MinorRevision != 1 || len(tm.CryptoProviders) != 1 {
		t.Errorf("template = %+v", tm)
	}
	// Template name extension: bare BMPString "Machine" (§4.3).
	if e := tm.Extensions[0]; e.OID != "1.3.6.1.4.1.311.20.2" || e.Value[0] != 0x1e || len(tm.Extensions) != 3 || !tm.Extensions[2].Critical {
		t.Errorf("extensions = %+v", tm.Extensions)
	}
	if len(p.CAs) != 1 || p.CAs[0].URIs[0].Auth != AuthKerberos || len(p.CAs[0].Certificate) != 1457 {
		t.Errorf("CAs = %+v", p.CAs)
	}
	if len(p.OIDs) != 6 {
		t.Errorf("OIDs = %d", len(p.OIDs))
	}
	// Only a Kerberos CES: nothing usable for this client (§10.16).
	if ep := p.Endpoints(&tm, AuthUsernamePassword, false); len(ep) != 0 {
		t.Errorf("Endpoints = %v", ep)
	}
}

func TestParsePoliciesVectors(t *testing.T) {
	tests := []struct {
		name, file string
		repairs    []string
		check      func(*testing.T, *Policies)
	}{
		{"machine lab answer", "cepces-fixture-GetPoliciesResponse-body-machine.xml", nil, func(t *testing.T, p *Policies) {
			tm := p.Templates[0]
			// Extension oIDReference 5 has no oID entry here: it dangles.
			if tm.CommonName != "Machine" || tm.OID != "" || len(tm.Extensions) != 1 || tm.Extensions[0].OID != "" || len(p.OIDs) != 1 {
				t.Errorf("template = %+v, oids %+v", tm, p.OIDs)
			}
		}},
		{"nil cAs", "cepces-fixture-GetPoliciesResponse-body-nil-cas.xml", nil, checkNilPolicies},
		{"nil policies", "cepces-fixture-GetPoliciesResponse-body-nil-policies.xml", nil, checkNilPolicies},
		{"not changed", "xcep-spec-4.1.2.2-GetPoliciesResponse-notchanged.xml", repairXCEP4122, func(t *testing.T, p *Policies) {
			if !p.NotChanged || p.PolicyID != "{083C7011-1D0A-4855-885D-AC945184658C}" || *p.NextUpdateHours != 8 ||
				p.Templates != nil || p.CAs != nil || p.OIDs != nil {
				t.Errorf("got %+v", p)
			}
		}},
		{"MDM example", "mde2-spec-4.2.2-GetPolicies-Example-Response.xml", nil, func(t *testing.T, p *Policies) {
			checkMDM(t, p, "2.16.840.1.101.3.4.2.1")
		}},
		// The published example has a "- " list marker on every line but the first.
		{"MDM attestation example", "mde2-spec-4.2.3-GetPolicies-With-Azure-Attestation-Example-Response.xml", []string{"\n- ", "\n"}, func(t *testing.T, p *Policies) {
			checkMDM(t, p, "1.3.14.3.2.29")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicies(vector(t, tt.file, tt.repairs...))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func checkNilPolicies(t *testing.T, p *Policies) {
	if p.PolicyID != "{F803BF1A-EB36-42A4-973C-AF4555EB8782}" || p.FriendlyName != "My PKI" || *p.NextUpdateHours != 1 ||
		p.NotChanged || p.Templates != nil || p.CAs != nil || p.OIDs != nil {
		t.Errorf("got %+v", p)
	}
}

// checkMDM: empty policyID, nil name/hours/notChanged, nil cAs (policy and
// top level), nil keySpec, hash from oID 0, unknown elements ignored.
func checkMDM(t *testing.T, p *Policies, hash string) {
	t.Helper()
	tm := p.Templates[0]
	if p.PolicyID != "" || p.FriendlyName != "" || p.NextUpdateHours != nil || p.NotChanged || p.CAs != nil ||
		tm.CommonName != "CEPUnitTest" || tm.PolicySchema != 3 || tm.ValiditySeconds != 1209600 || tm.RenewalSeconds != 172800 ||
		tm.KeySpec != nil || tm.HashAlgorithm != hash || tm.MajorRevision != 101 || tm.Extensions != nil ||
		tm.CAReferences != nil || tm.PrivateKeyFlags != nil || len(tm.CryptoProviders) != 2 || !tm.Usable() {
		t.Errorf("got %+v / %+v", p, tm)
	}
}

// TestNilEmptyAbsent: all three forms of every nillable element read as
// "no value" (§10.3), including nil written with xsi:nil="1".
func TestNilEmptyAbsent(t *testing.T) {
	const head = `<GetPoliciesResponse xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><response><policyID>x</policyID>`
	forms := map[string]func(el string) string{
		"nil":      func(el string) string { return "<" + el + ` xsi:nil="true"/>` },
		"nil as 1": func(el string) string { return "<" + el + ` xsi:nil="1"></` + el + ">" },
		"empty":    func(el string) string { return "<" + el + "/>" },
		"blank":    func(el string) string { return "<" + el + ">\n </" + el + ">" },
		"absent":   func(string) string { return "" },
	}
	attrs := []string{"keySpec", "keyUsageProperty", "permissions", "algorithmOIDReference", "privateKeyFlags", "subjectNameFlags",
		"enrollmentFlags", "generalFlags", "hashAlgorithmOIDReference", "supersededPolicies", "rARequirements", "keyArchivalAttributes", "extensions"}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(head + form("policyFriendlyName") + form("nextUpdateHours") + form("policiesNotChanged") + "<policies><policy>" +
				form("policyOIDReference") + form("cAs") + "<attributes><commonName>T</commonName><privateKeyAttributes>")
			for _, a := range attrs[:4] {
				b.WriteString(form(a))
			}
			b.WriteString(form("cryptoProviders") + "</privateKeyAttributes>")
			for _, a := range attrs[4:] {
				b.WriteString(form(a))
			}
			b.WriteString("</attributes></policy></policies></response>" + form("cAs") + form("oIDs") + "</GetPoliciesResponse>")
			p, err := ParsePolicies([]byte(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			want := Template{CommonName: "T"}
			if p.FriendlyName != "" || p.NextUpdateHours != nil || p.NotChanged || len(p.Templates) != 1 || !reflect.DeepEqual(p.Templates[0], want) || p.CAs != nil {
				t.Errorf("got %+v %+v", p, p.Templates)
			}
		})
	}
}

func TestParsePoliciesErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not XML", "<<<", "not well-formed"},
		{"truncated", `<GetPoliciesResponse xmlns="` + nsXCEP + `"><response>`, "not well-formed XML"},
		{"wrong namespace", `<GetPoliciesResponse xmlns="urn:x"/>`, "expected a GetPoliciesResponse"},
		{"bad number", `<GetPoliciesResponse xmlns="` + nsXCEP + `"><response><nextUpdateHours>soon</nextUpdateHours></response></GetPoliciesResponse>`, `nextUpdateHours "soon" is invalid`},
		{"bad base64", `<GetPoliciesResponse xmlns="` + nsXCEP + `"><response/><cAs><cA><certificate>M…A</certificate></cA></cAs></GetPoliciesResponse>`, "certificate"},
		{"SOAP 1.1", `<e:Envelope xmlns:e="` + nsSOAP11 + `"><e:Body/></e:Envelope>`, "SOAP 1.1"},
		{"empty body", `<e:Envelope xmlns:e="` + nsSOAP + `"><e:Body></e:Body></e:Envelope>`, "body is empty"},
		{"no response", `<GetPoliciesResponse xmlns="` + nsXCEP + `"/>`, "no response element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicies([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "enroll: ") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestPrefixesAreArbitrary: the same response with WCF, ElementTree and
// default-namespace prefixes parses identically (§10.1).
func TestPrefixesAreArbitrary(t *testing.T) {
	bodies := []string{
		`<q:GetPoliciesResponse xmlns:q="` + nsXCEP + `"><q:response><q:policyID>P</q:policyID><q:nextUpdateHours>3</q:nextUpdateHours></q:response></q:GetPoliciesResponse>`,
		`<GetPoliciesResponse xmlns="` + nsXCEP + `"><response xmlns="` + nsXCEP + `"><policyID>P</policyID><nextUpdateHours>3</nextUpdateHours></response></GetPoliciesResponse>`,
		`<env:Envelope xmlns:env="` + nsSOAP + `"><env:Header/><env:Body><ns0:GetPoliciesResponse xmlns:ns0="` + nsXCEP + `"><ns0:response><ns0:policyID> P </ns0:policyID><ns0:nextUpdateHours>3</ns0:nextUpdateHours></ns0:response></ns0:GetPoliciesResponse></env:Body></env:Envelope>`,
	}
	for i, b := range bodies {
		p, err := ParsePolicies([]byte(b))
		if err != nil || p.PolicyID != "P" || *p.NextUpdateHours != 3 {
			t.Errorf("%d: %+v %v", i, p, err)
		}
	}
}

func TestFlagsDecode(t *testing.T) {
	tests := []struct {
		name                      string
		subject, enroll, key, gen uint32
		want                      Flags
	}{
		{"web server", 0x1 | 0x10000, 0, 0, 0, Flags{EnrolleeSuppliesSubject: true, EnrolleeSuppliesSubjectAltName: true}},
		{"kbr pending", 0, 0x2 | 0x10000 | 0x40, 0, 0, Flags{PendAllRequests: true, AllowKeyBasedRenewal: true, RenewalSignedWithExistingKey: true}},
		{"same key, versions", 0, 0, 0x80 | 0x10 | 0x06050000, 0, Flags{RequireSameKeyRenewal: true, Exportable: true, MinClientVersion: 6, MinServerVersion: 5}},
		{"archival", 0, 0, 0x1, 0x80 | 0x800, Flags{RequireKeyArchival: true, CATemplate: true, CrossCATemplate: true}},
		{"subject from AD", 0x80000000 | 0x40000000 | 0x20000000 | 0x04000000 | 0x02000000 | 0x01000000 | 0x00800000 | 0x00400000 | 0x8, 0, 0, 0,
			Flags{SubjectRequireDirectoryPath: true, SubjectRequireCommonName: true, SubjectRequireEmail: true, SANRequireEmail: true,
				SANRequireUPN: true, SANRequireDirectoryGUID: true, SANRequireSPN: true, SANRequireDomainDNS: true, OldCertSuppliesSubjectAndAltName: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeFlags(tt.subject, tt.enroll, tt.key, tt.gen); got != tt.want {
				t.Errorf("got %+v", got)
			}
		})
	}
}
