package testca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
)

func TestGetPolicies(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	st, root := post(t, c, srv.CEPURL(), soapEnv(actionGetPolicies, srv.CEPURL(), defaultToken(), getPoliciesBody))
	if st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	resp := root.find(nsXCEP, "GetPoliciesResponse")
	var names []string
	for _, p := range resp.find(nsXCEP, "policies").kids {
		names = append(names, p.find(nsXCEP, "commonName").value())
	}
	if got, want := strings.Join(names, ","), "User,UserP256,WebServer,ShortLived,PendAll,KBR,UserTPM,UserSmartCard,UserNoExport,UserAttested"; got != want {
		t.Errorf("templates %s, want %s", got, want)
	}
	var uris []string
	for _, u := range resp.find(nsXCEP, "uris").kids {
		uris = append(uris, u.child(nsXCEP, "clientAuthentication").value()+" "+u.child(nsXCEP, "uri").value()+" "+u.child(nsXCEP, "renewalOnly").value())
	}
	want := []string{"4 " + srv.CESURL() + " false", "8 " + srv.CESCertURL() + " true"}
	if strings.Join(uris, "|") != strings.Join(want, "|") {
		t.Errorf("cAURIs %q, want %q", uris, want)
	}
	if ca := resp.find(nsXCEP, "certificate").value(); ca == "" {
		t.Error("no CA certificate")
	}
}

func TestIssueUser(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	got := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, rsaKey(t, 2048, 0), TemplateUser, ""))
	if got.cert == nil {
		t.Fatalf("not issued: %d %s", got.status, got.reason)
	}
	if got.cert.Subject.CommonName != DefaultUser {
		t.Errorf("subject %s", got.cert.Subject)
	}
	p7, err := pkcs7.Parse(got.cmc)
	if err != nil {
		t.Fatal(err)
	}
	if len(p7.Certificates) != 3 {
		t.Errorf("CMC has %d certificates, want leaf, issuing CA and root", len(p7.Certificates))
	}
	if err := p7.Verify(); err != nil {
		t.Errorf("CMC signature: %v", err)
	}
}

func TestIssueChecks(t *testing.T) {
	ca, srv := startCA(t, func(c *Config) {
		c.Users = map[string]string{DefaultUser: DefaultPassword, `CORP\bob`: "b0b pass"}
		c.Restrict = map[string][]string{TemplateWebServer: {DefaultUser}}
	})
	c := httpClient(ca, nil)
	rsa := rsaKey(t, 2048, 0)
	tests := []struct {
		name     string
		security string
		csr      []byte
		wantCode HRESULT // 0: issued
		check    func(t *testing.T, got rstr)
	}{
		{name: "user", security: defaultToken(), csr: newCSR(t, rsa, TemplateUser, "")},
		{name: "down-level account", security: usernameToken(`CORP\bob`, "b0b pass"), csr: newCSR(t, rsa, TemplateUser, ""),
			check: func(t *testing.T, got rstr) {
				if got.cert.Subject.CommonName != "bob" {
					t.Errorf("subject %s", got.cert.Subject)
				}
			}},
		{name: "web server subject and SANs", security: defaultToken(), csr: newCSR(t, rsa, TemplateWebServer, "www.example.test", "www.example.test", "api.example.test"),
			check: func(t *testing.T, got rstr) {
				if got.cert.Subject.CommonName != "www.example.test" || len(got.cert.DNSNames) != 2 {
					t.Errorf("subject %s, DNS %v", got.cert.Subject, got.cert.DNSNames)
				}
			}},
		{name: "P-256", security: defaultToken(), csr: newCSR(t, p256Key(t), TemplateUserP256, "")},
		{name: "template denied", security: usernameToken(`CORP\bob`, "b0b pass"), csr: newCSR(t, rsa, TemplateWebServer, "x.test", "x.test"), wantCode: CertsrvTemplateDenied},
		{name: "web server without subject", security: defaultToken(), csr: newCSR(t, rsa, TemplateWebServer, ""), wantCode: CertsrvBadRequestSubject},
		{name: "short key", security: defaultToken(), csr: newCSR(t, rsaKey(t, 1024, 0), TemplateUser, ""), wantCode: CertsrvKeyLength},
		{name: "wrong key algorithm", security: defaultToken(), csr: newCSR(t, p256Key(t), TemplateUser, ""), wantCode: NteBadAlgID},
		{name: "no template", security: defaultToken(), csr: newCSR(t, rsa, "", "x"), wantCode: CertsrvNoCertType},
		{name: "unknown template", security: defaultToken(), csr: newCSR(t, rsa, "Nope", "x"), wantCode: CertsrvUnsupportedCertType},
		{name: "garbage", security: defaultToken(), csr: []byte("not a request"), wantCode: ErrorInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := issue(t, c, srv.CESURL(), tt.security, tt.csr)
			if tt.wantCode == 0 {
				if got.cert == nil {
					t.Fatalf("not issued: %d %s", got.status, got.reason)
				}
				if tt.check != nil {
					tt.check(t, got)
				}
				return
			}
			if got.status != http.StatusInternalServerError || HRESULT(got.errorCode) != tt.wantCode {
				t.Fatalf("got HTTP %d code %s (%s), want 500 %s", got.status, HRESULT(got.errorCode), got.reason, tt.wantCode)
			}
			if ir := got.fault.find(nsWSTEP, "InvalidRequest").value(); ir != "true" {
				t.Errorf("InvalidRequest %q", ir)
			}
		})
	}
}

func TestAuthAndEnvelope(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	csr := newCSR(t, rsaKey(t, 2048, 0), TemplateUser, "")
	noEncoding := strings.Replace(issueBody(csr, nsWSTEP+"#PKCS10"), `EncodingType="`+encodingBase64+`"`, "", 1)
	tests := []struct {
		name, url, body string
		wantStatus      int
		wantCode        HRESULT // detail ErrorCode, if any
		wantSubcode     string
	}{
		{name: "wrong password", url: srv.CESURL(), body: soapEnv(actionRST, "", usernameToken(DefaultUser, "nope"), issueBody(csr, "")), wantStatus: 500, wantSubcode: "a:FailedAuthentication"},
		{name: "no token", url: srv.CEPURL(), body: soapEnv(actionGetPolicies, "", "", getPoliciesBody), wantStatus: 500, wantSubcode: "a:InvalidSecurity"},
		{name: "missing EncodingType", url: srv.CESURL(), body: soapEnv(actionRST, "", defaultToken(), noEncoding), wantStatus: 500, wantCode: EInvalidArg},
		{name: "wrong action", url: srv.CEPURL(), body: soapEnv(actionRST, "", defaultToken(), getPoliciesBody), wantStatus: 500, wantSubcode: "a:ActionNotSupported"},
		{name: "unknown mustUnderstand header", url: srv.CEPURL(), body: strings.Replace(soapEnv(actionGetPolicies, "", defaultToken(), getPoliciesBody), "</s:Header>", `<x:Foo xmlns:x="urn:x" s:mustUnderstand="1"/></s:Header>`, 1), wantStatus: 500},
		{name: "not XML", url: srv.CEPURL(), body: "<s:Envelope", wantStatus: 500},
		{name: "path case and slash", url: strings.ToLower(srv.CEPURL()) + "/", body: soapEnv(actionGetPolicies, "", defaultToken(), getPoliciesBody), wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, root := post(t, c, tt.url, tt.body)
			if st != tt.wantStatus {
				t.Fatalf("status %d, want %d", st, tt.wantStatus)
			}
			if st == http.StatusOK {
				return
			}
			got := parseRSTR(t, st, root)
			if tt.wantCode != 0 && HRESULT(got.errorCode) != tt.wantCode {
				t.Errorf("code %s, want %s (%s)", HRESULT(got.errorCode), tt.wantCode, got.reason)
			}
			if tt.wantCode == EInvalidArg && got.reason != "The EncodingType is invalid." {
				t.Errorf("reason %q", got.reason)
			}
			if tt.wantSubcode != "" {
				if sc := root.find(nsSOAP, "Subcode").child(nsSOAP, "Value").value(); sc != tt.wantSubcode {
					t.Errorf("subcode %q, want %q", sc, tt.wantSubcode)
				}
			}
		})
	}
	// HTTP-level answers
	for _, tc := range []struct {
		method, path, ct string
		want             int
	}{
		{"GET", PathCEP, "", 405},
		{"POST", "/nope/service.svc/CEP", "application/soap+xml", 404},
		{"POST", PathCEP, "text/plain", 415},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL()+tc.path, strings.NewReader("x"))
		req.Header.Set("Content-Type", tc.ct)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
	big := strings.Repeat("x", MaxRequestBytes+1)
	resp, err := c.Post(srv.CEPURL(), "application/soap+xml", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
}

// TestClientQuirks covers what other clients send (protocol.md §10).
func TestClientQuirks(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	key := rsaKey(t, 2048, 0)
	csr := newCSR(t, key, TemplateUser, "")
	token := func(passwordAttr string) string {
		return `<ns2:Security xmlns:ns2="` + nsWSSE + `" xmlns:ns3="` + nsWSU + `" xmlns:ns0="` + nsSOAP + `" ns0:mustUnderstand="true"><ns2:UsernameToken>` +
			`<ns2:Username>` + DefaultUser + `</ns2:Username><ns2:Password ` + passwordAttr + `>` + DefaultPassword + `</ns2:Password>` +
			`<ns2:Nonce>bm9uY2U=</ns2:Nonce><ns3:Created>2026-01-01T00:00:00Z</ns3:Created></ns2:UsernameToken></ns2:Security>`
	}
	hinted := func(template string, der []byte) string {
		return strings.Replace(issueBody(der, ""), "<wstep:RequestID", `<ac:AdditionalContext xmlns:ac="`+nsAuth+`"><ac:ContextItem Name="CertificateTemplate"><ac:Value>`+template+`</ac:Value></ac:ContextItem></ac:AdditionalContext><wstep:RequestID`, 1)
	}
	tests := []struct {
		name     string
		security string
		body     string
		wantCode HRESULT
		wantTmpl string
	}{
		{name: "wsse:Type, Nonce, no Timestamp", security: token(`ns2:Type="` + passwordTextURI + `"`), body: issueBody(csr, nsWSTEP+"#PKCS10")},
		{name: "no Type", security: token(""), body: issueBody(csr, "")},
		{name: "PasswordDigest refused", security: token(`Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"`), body: issueBody(csr, ""), wantCode: 1},
		{name: "wrapped base64 with CR", security: defaultToken(), body: strings.Replace(issueBody(csr, ""), base64Of(csr), wrap64(csr), 1)},
		{name: "PKCS7 label on a PKCS#10", security: defaultToken(), body: issueBody(csr, valuePKCS7)},
		{name: "template from AdditionalContext", security: defaultToken(), body: hinted(TemplateWebServer, newCSR(t, key, "", "h.test", "h.test")), wantTmpl: TemplateWebServer},
		{name: "conflicting templates", security: defaultToken(), body: hinted(TemplateWebServer, csr), wantCode: CertsrvTemplateConflict},
		{name: "template information extension", security: defaultToken(), body: issueBody(csrWithTemplateInfo(t, key, templateOID(3), 100), ""), wantCode: CertsrvBadRequestSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, root := post(t, c, srv.CESURL(), soapEnv(actionRST, srv.CESURL(), tt.security, tt.body))
			got := parseRSTR(t, st, root)
			switch {
			case tt.wantCode == 1: // any fault
				if st != 500 {
					t.Fatalf("status %d", st)
				}
			case tt.wantCode != 0:
				if HRESULT(got.errorCode) != tt.wantCode {
					t.Fatalf("code %s, want %s (%s)", HRESULT(got.errorCode), tt.wantCode, got.reason)
				}
			case got.cert == nil:
				t.Fatalf("not issued: %d %s", st, got.reason)
			}
			if tt.wantTmpl != "" {
				r, err := ca.Get(got.requestID)
				if err != nil || r.Template != tt.wantTmpl {
					t.Errorf("template %q, want %q (%v)", r.Template, tt.wantTmpl, err)
				}
			}
		})
	}
}

func base64Of(der []byte) string { return base64.StdEncoding.EncodeToString(der) }

// csrWithTemplateInfo names the template only by ext 1.3.6.1.4.1.311.21.7,
// with the given major version.
func csrWithTemplateInfo(t *testing.T, key crypto.Signer, oid asn1.ObjectIdentifier, major int) []byte {
	v, err := asn1.Marshal(struct {
		ID           asn1.ObjectIdentifier
		Major, Minor int
	}{oid, major, 2})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		ExtraExtensions: []pkix.Extension{{Id: oidCertificateTemplate, Value: v}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
