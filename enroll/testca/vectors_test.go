package testca

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// vectorsDir finds shared/vectors by walking up from the package
// directory (the repository lives next to shared/, e.g. /work/main and
// /work/shared). The vectors are read in place, never copied.
func vectorsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "vectors")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/vectors not found above the package directory")
		}
		dir = parent
	}
}

// Accounts the vectors use: cepces's dummy account and MS-MDE2's sample one.
var vectorUsers = map[string]string{
	DefaultUser:          DefaultPassword,
	"alice@example.test": "S3cret!pw",
	"user@contoso.com":   "mypassword",
}

var securityRE = regexp.MustCompile(`(?s)<(\w+):Security\b.*?</(\w+):Security>`)

// Repairs applied to the vectors, each for a documented reason.
var (
	// The spec examples have no (or redacted, or federated-token)
	// credentials: the username/password endpoints need a UsernameToken,
	// so the Security header is replaced by one for DefaultUser.
	withToken = func(s string) string {
		tok := `<o:Security s:mustUnderstand="1" xmlns:o="` + nsWSSE + `"><o:UsernameToken><o:Username>` + DefaultUser +
			`</o:Username><o:Password>` + DefaultPassword + `</o:Password></o:UsernameToken></o:Security>`
		if securityRE.MatchString(s) {
			return securityRE.ReplaceAllLiteralString(s, tok)
		}
		return strings.Replace(s, "</s:Header>", tok+"</s:Header>", 1)
	}
	// MS-MDE2 §4.3.1.2 was rendered from a collapsible tree view: every
	// line after the first starts with "- ".
	stripDashes = func(s string) string { return strings.ReplaceAll(s, "\n- ", "\n") }
	// MS-MDE2 §4.3.1.4: the typeset password has a line break before the
	// closing tag; the account's password has none.
	// MS-WSTEP §4.1.5.1 wraps a namespace URI (xmlns="…/2004/01/⏎oasis-…")
	// for the page width; namespace names are compared exactly, so the
	// whitespace is removed.
	unwrapNamespaces = func(s string) string {
		return regexp.MustCompile(`xmlns(:\w+)?="[^"]*"`).ReplaceAllStringFunc(s, func(a string) string { return strings.Join(strings.Fields(a), "") })
	}
	fixPasswordBreak = func(s string) string {
		return strings.Replace(s, "mypassword\n</wsse:Password>", "mypassword</wsse:Password>", 1)
	}
)

// csrPlaceholder is MS-MDE2's stand-in text for the PKCS#10.
const csrPlaceholder = "DER format PKCS#10 certificate request in Base64 encoding Insterted Here"

// TestRequestVectors posts every request vector to the endpoint it was
// written for and checks it is accepted (a normal answer, not a fault).
func TestRequestVectors(t *testing.T) {
	dir := vectorsDir(t)
	mockUser := Template{Name: "MockUser", OID: templateOID(99), Schema: 2, MinKeyBits: 2048, KeySpec: 1,
		SubjectFlags: SubjectRequireDirectoryDN, EKUs: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	ca, srv := startCA(t, func(c *Config) {
		c.Users = vectorUsers
		// cepces's plain openssl CSR names no template: act as a
		// standalone CA would and use User.
		c.DefaultTemplate = TemplateUser
		// cepces-user's CSR names the researcher's mock template.
		c.ExtraTemplates = []Template{mockUser}
		c.Pending = false
	})
	c := httpClient(ca, nil)
	key := rsaKey(t, 2048, 0)
	// A certificate of ours for the certificate-authenticated vectors.
	first := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, key, TemplateShortLived, ""))
	if first.cert == nil {
		t.Fatal(first.reason)
	}
	certClient := httpClient(ca, tlsCert(first.cert, key))
	// MS-MDE2's placeholder CSR is replaced by a real one (new enrollment)
	// or a CMS renewal of our certificate (certificate-authenticated RST).
	realCSR := func(s string) string {
		return strings.Replace(s, csrPlaceholder, base64.StdEncoding.EncodeToString(newCSR(t, rsaKey(t, 2048, 1), TemplateUser, "")), 1)
	}
	renewal := func(s string) string {
		der := renewalCMS(t, renewalCSR(t, first.cert, rsaKey(t, 2048, 1), TemplateShortLived, first.cert.Raw), first.cert, key, false)
		return strings.Replace(s, csrPlaceholder, base64.StdEncoding.EncodeToString(der), 1)
	}
	// QueryTokenStatus vectors poll ids (65, 102) of their own CA: poll a
	// pending request of ours instead.
	pend := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, key, TemplatePendAll, ""))
	pollOurs := func(id string) func(string) string {
		return func(s string) string { return strings.Replace(s, ">"+id+"<", ">"+pend.requestID+"<", 1) }
	}
	// MS-XCEP's examples redact the credentials as comments.
	unredact := func(s string) string {
		s = regexp.MustCompile(`(?s)<o:Username>\s*<!--Removed-->\s*</o:Username>`).ReplaceAllLiteralString(s, "<o:Username>"+DefaultUser+"</o:Username>")
		return regexp.MustCompile(`(?s)<o:Password>\s*<!--Removed-->\s*</o:Password>`).ReplaceAllLiteralString(s, "<o:Password>"+DefaultPassword+"</o:Password>")
	}
	// The spec's 2009 Timestamps are outside any clock skew window: the
	// strict server (as WCF) refuses them, so they are moved to now.
	fresh := func(s string) string {
		now := time.Now().UTC()
		s = regexp.MustCompile(`<u:Created>[^<]*</u:Created>`).ReplaceAllLiteralString(s, "<u:Created>"+now.Format(time.RFC3339)+"</u:Created>")
		return regexp.MustCompile(`<u:Expires>[^<]*</u:Expires>`).ReplaceAllLiteralString(s, "<u:Expires>"+now.Add(5*time.Minute).Format(time.RFC3339)+"</u:Expires>")
	}
	cep, ces := srv.CEPURL(), srv.CESURL()
	tests := []struct {
		file    string
		url     string
		client  *http.Client
		repairs []func(string) string
		want    string // "policies", "issued", "pending", "ket"
	}{
		{file: "cepces-client-GetPolicies-request-usernamepassword.xml", url: cep, want: "policies"},
		{file: "cepces-client-RST-issue-request-usernamepassword.xml", url: ces, want: "issued"},
		{file: "cepces-client-user-RST-issue-request-template-ext.xml", url: ces, want: "issued"},
		{file: "cepces-client-QueryTokenStatus-request.xml", url: ces, repairs: []func(string) string{pollOurs("102")}, want: "pending"},
		{file: "xcep-spec-4.1.1.1-GetPolicies-request.xml", url: cep, repairs: []func(string) string{unredact, fresh}, want: "policies"},
		// lastUpdate "20090-03-15-T09:38:46" is left as published: the
		// server must treat it as absent, not fail.
		{file: "xcep-spec-4.1.2.1-GetPolicies-lastUpdate-request.xml", url: cep, repairs: []func(string) string{unredact, fresh}, want: "policies"},
		{file: "wstep-spec-4.1.1.1-RST-issue-request.xml", url: ces, repairs: []func(string) string{withToken}, want: "issued"},
		{file: "wstep-spec-4.1.2.1-KET-request.xml", url: ces, repairs: []func(string) string{withToken}, want: "ket"},
		{file: "wstep-spec-4.1.3.1-QueryTokenStatus-request.xml", url: ces, repairs: []func(string) string{withToken, pollOurs("65")}, want: "pending"},
		{file: "mde2-spec-4.2.1.1-GetPolicies-Example-Request-using-Federated-Authentication.xml", url: cep, repairs: []func(string) string{withToken}, want: "policies"},
		// certificate authentication is TLS here; the WS-Security
		// signature block is ignored on the certificate endpoints.
		{file: "mde2-spec-4.2.1.2-GetPolicies-Example-Request-using-Certificate-Authentication.xml", url: srv.KBRCEPURL(), client: certClient, want: "policies"},
		{file: "mde2-spec-4.2.1.3-GetPolicies-Example-Request-using-On-Premise-Authentication.xml", url: cep, want: "policies"},
		{file: "mde2-spec-4.3.1.1-RequestSecurityToken-Example-Request-using-Federated-Authent.xml", url: ces, repairs: []func(string) string{withToken, realCSR}, want: "issued"},
		{file: "mde2-spec-4.3.1.2-RequestSecurityToken-Example-Request-using-Federated-Authent.xml", url: ces, repairs: []func(string) string{stripDashes, withToken, realCSR}, want: "issued"},
		{file: "mde2-spec-4.3.1.3-RequestSecurityToken-Example-Request-using-Certificate-Authe.xml", url: srv.CESCertURL(), client: certClient, repairs: []func(string) string{renewal}, want: "issued"},
		{file: "mde2-spec-4.3.1.4-RequestSecurityToken-Example-Request-using-On-Premise-Authen.xml", url: ces, repairs: []func(string) string{fixPasswordBreak, realCSR}, want: "issued"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			body := string(data)
			for _, fix := range tt.repairs {
				body = fix(body)
			}
			cl := c
			if tt.client != nil {
				cl = tt.client
			}
			st, root := post(t, cl, tt.url, body)
			checkAccepted(t, tt.want, st, root)
		})
	}
}

// checkAccepted checks that an answer is the expected kind of success.
func checkAccepted(t *testing.T, want string, st int, root *node) {
	t.Helper()
	if st != http.StatusOK {
		t.Fatalf("HTTP %d: %s", st, root.find(nsSOAP, "Text").value())
	}
	switch want {
	case "policies":
		if root.find(nsXCEP, "policy") == nil {
			t.Error("no policies in answer")
		}
	case "ket":
		if root.find(nsWST, "KeyExchangeToken") == nil {
			t.Error("no KeyExchangeToken in answer")
		}
	default:
		got := parseRSTR(t, st, root)
		if (want == "issued") != (got.cert != nil) || got.requestID == "" {
			t.Errorf("want %s, got cert=%t id=%q", want, got.cert != nil, got.requestID)
		}
	}
}

// TestSpecRenewalVector replays Windows' own key-based renewal (MS-WSTEP
// §4.1.5.1, byte-exact CMS signed with SHA-1 by a 2009 certificate of a
// Microsoft test CA). The CA is set up to accept it: its clock is in the
// old certificate's validity period and it accepts foreign renewal
// signers; the signature and the 1.3.6.1.4.1.311.13.1 attribute are still
// verified. Repair: the request has no credentials, so a UsernameToken is
// added (renewal on behalf over the username/password CES), and a
// namespace URI wrapped for the page is joined again.
func TestSpecRenewalVector(t *testing.T) {
	dir := vectorsDir(t)
	at := time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC)
	ca, srv := startCA(t, func(c *Config) {
		c.Clock = func() time.Time { return at }
		c.AcceptForeignRenewals = true
	})
	c := httpClient(ca, nil)
	c.Transport.(*http.Transport).TLSClientConfig.Time = func() time.Time { return at }
	data, err := os.ReadFile(filepath.Join(dir, "wstep-spec-4.1.5.1-renewal-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	body := withToken(unwrapNamespaces(string(data)))
	st, root := post(t, c, srv.CESURL(), body)
	checkAccepted(t, "issued", st, root)
	got := parseRSTR(t, st, root)
	if got.cert != nil && !strings.Contains(got.cert.Subject.String(), "CN=abby") {
		t.Errorf("renewed subject %s, want the old certificate's", got.cert.Subject)
	}

	// Without the test option the foreign signer is refused.
	ca2, srv2 := startCA(t, func(c *Config) { c.Clock = func() time.Time { return at } })
	c2 := httpClient(ca2, nil)
	c2.Transport.(*http.Transport).TLSClientConfig.Time = func() time.Time { return at }
	st, root = post(t, c2, srv2.CESURL(), body)
	if got := parseRSTR(t, st, root); HRESULT(got.errorCode) != CertsrvBadRenewalCertAttr {
		t.Errorf("foreign renewal: HTTP %d code %s", st, HRESULT(got.errorCode))
	}
}
