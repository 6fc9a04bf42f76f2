package testca

import (
	"encoding/asn1"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rfc7030Message returns the base64 body of a section of RFC 7030
// Appendix A, kept in enroll/est/testdata (the RFC text is its source).
func rfc7030Message(t testing.TB, section string) string {
	t.Helper()
	data, err := os.ReadFile("../est/testdata/rfc7030-appendix-a.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "-- "+section+"\n")
	if !ok {
		t.Fatalf("no section %q", section)
	}
	body, _, _ := strings.Cut(rest, "\n\n")
	return body
}

// estDo sends one EST request with basic auth (user "" for none).
func estDo(t testing.TB, c *http.Client, method, url, contentType, body, user, pw string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestESTRFCExampleEnrollment sends RFC 7030 A.3's own request (RSA 2048,
// SHA-1, a challenge password) and has OpenSSL, an independent peer, read
// the certs-only answers.
func TestESTRFCExampleEnrollment(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	resp, body := estDo(t, c, http.MethodPost, srv.ESTURL()+"/simpleenroll", "application/pkcs10", rfc7030Message(t, "A.3 simpleenroll request"), DefaultUser, DefaultPassword)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pkcs7-mime; smime-type=certs-only" {
		t.Fatalf("%s %s: %s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	text := opensslCerts(t, openssl, body)
	if !strings.Contains(text, "subject=CN = demostep4 1368141352") || !strings.Contains(text, "issuer=O = certdesk test, CN = certdesk Test CA") {
		t.Errorf("openssl read:\n%s", text)
	}
	resp, body = estDo(t, c, http.MethodGet, srv.ESTURL()+"/cacerts", "", "", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("cacerts: %s", resp.Status)
	}
	if text := opensslCerts(t, openssl, body); strings.Count(text, "subject=") != 2 || !strings.Contains(text, "subject=O = certdesk test, CN = certdesk Test CA Root") {
		t.Errorf("cacerts, as openssl reads them:\n%s", text)
	}
}

// opensslCerts has openssl pkcs7 -print_certs read a base64 certs-only body.
func opensslCerts(t testing.TB, openssl string, body []byte) string {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
	if err != nil {
		t.Fatalf("not base64: %v", err)
	}
	p := filepath.Join(t.TempDir(), "answer.p7")
	if err := os.WriteFile(p, der, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "pkcs7", "-inform", "DER", "-in", p, "-print_certs", "-noout").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs7: %v\n%s", err, out)
	}
	return string(out)
}

// TestESTCSRAttrsShape checks the answer has RFC 7030 A.2's shape: bare
// OIDs and attributes with values, in one SEQUENCE.
func TestESTCSRAttrs(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	for label, want := range map[string][]string{
		"":                {"1.2.840.113549.1.1.1=2048", "1.2.840.113549.1.1.11"},
		"/UserP256":       {"1.2.840.10045.2.1=1.2.840.10045.3.1.7", "1.2.840.10045.4.3.2"},
		"/" + TemplateKBR: {"1.2.840.113549.1.1.1=2048", "1.2.840.113549.1.1.11"},
	} {
		resp, body := estDo(t, c, http.MethodGet, srv.ESTURL()+label+"/csrattrs", "", "", DefaultUser, DefaultPassword)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/csrattrs" {
			t.Fatalf("%s: %s %s", label, resp.Status, resp.Header.Get("Content-Type"))
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := csrAttrsText(t, der); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q: %v, want %v", label, got, want)
		}
	}
	// The RFC's own A.2 answer reads the same way.
	der, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(rfc7030Message(t, "A.2 csrattrs response")), ""))
	if got := strings.Join(csrAttrsText(t, der), " "); got != "1.2.840.113549.1.9.7 1.2.840.10045.2.1=1.3.132.0.34 1.2.840.113549.1.9.14=1.3.6.1.1.1.1.22 1.2.840.10045.4.3.3" {
		t.Errorf("A.2: %s", got)
	}
}

// csrAttrsText lists a CsrAttrs as "oid" or "type=value" (OID or INTEGER
// values).
func csrAttrsText(t testing.TB, der []byte) []string {
	t.Helper()
	var seq []asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range seq {
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(v.FullBytes, &oid); err == nil {
			out = append(out, oid.String())
			continue
		}
		var a struct {
			Type   asn1.ObjectIdentifier
			Values []asn1.RawValue `asn1:"set"`
		}
		if _, err := asn1.Unmarshal(v.FullBytes, &a); err != nil {
			t.Fatalf("element %x: %v", v.FullBytes, err)
		}
		s := a.Type.String()
		for _, val := range a.Values {
			var o asn1.ObjectIdentifier
			var n int
			if _, err := asn1.Unmarshal(val.FullBytes, &o); err == nil {
				s += "=" + o.String()
			} else if _, err := asn1.Unmarshal(val.FullBytes, &n); err == nil {
				s += "=" + strconv.Itoa(n)
			}
		}
		out = append(out, s)
	}
	return out
}

// TestESTRefusals checks what the endpoint refuses and how.
func TestESTRefusals(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	csr := rfc7030Message(t, "A.3 simpleenroll request")
	for _, tc := range []struct {
		name, method, path, ctype, body, user, pw string
		status                                    int
	}{
		{"GET simpleenroll", http.MethodGet, "/simpleenroll", "", "", DefaultUser, DefaultPassword, 405},
		{"POST cacerts", http.MethodPost, "/cacerts", "application/pkcs10", csr, "", "", 405},
		{"not pkcs10", http.MethodPost, "/simpleenroll", "application/json", csr, DefaultUser, DefaultPassword, 415},
		{"no credentials", http.MethodPost, "/simpleenroll", "application/pkcs10", csr, "", "", 401},
		{"wrong password", http.MethodPost, "/simpleenroll", "application/pkcs10", csr, DefaultUser, "nope", 401},
		{"reenroll by password", http.MethodPost, "/simplereenroll", "application/pkcs10", csr, DefaultUser, DefaultPassword, 401},
		{"unknown label", http.MethodGet, "/NoSuchTemplate/cacerts", "", "", "", "", 404},
		{"two labels", http.MethodGet, "/a/b/cacerts", "", "", "", "", 404},
		{"unknown operation", http.MethodGet, "/serverkeygen", "", "", "", "", 404},
		{"garbage", http.MethodPost, "/simpleenroll", "application/pkcs10", "not base64 at all!", DefaultUser, DefaultPassword, 400},
		{"wrong key for label", http.MethodPost, "/UserP256/simpleenroll", "application/pkcs10", csr, DefaultUser, DefaultPassword, 400},
	} {
		resp, body := estDo(t, c, tc.method, srv.ESTURL()+tc.path, tc.ctype, tc.body, tc.user, tc.pw)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %s %s, want %d", tc.name, resp.Status, body, tc.status)
		}
		if tc.status == 401 && tc.path == "/simpleenroll" && resp.Header.Get("WWW-Authenticate") != `Basic realm="`+ESTRealm+`"` {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestESTPendingApprove: a PendAll request answers 202 with Retry-After
// until "testca approve"; the same request then collects the certificate.
func TestESTPendingApprove(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	csr := rfc7030Message(t, "A.3 simpleenroll request")
	url := srv.ESTURL() + "/" + TemplatePendAll + "/simpleenroll"
	resp, _ := estDo(t, c, http.MethodPost, url, "application/pkcs10", csr, DefaultUser, DefaultPassword)
	if resp.StatusCode != 202 || resp.Header.Get("Retry-After") != strconv.Itoa(ESTRetryAfter) {
		t.Fatalf("%s Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	pend, err := ca.Pending()
	if err != nil || len(pend) != 1 || !pend[0].EST {
		t.Fatalf("pending %+v %v", pend, err)
	}
	// A restarted server knows the request: the repeat is no new one.
	srv.Close()
	srv, err = ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url = srv.ESTURL() + "/" + TemplatePendAll + "/simpleenroll"
	if resp, _ := estDo(t, c, http.MethodPost, url, "application/pkcs10", csr, DefaultUser, DefaultPassword); resp.StatusCode != 202 {
		t.Fatalf("repeat after a restart: %s", resp.Status)
	}
	if pend, _ = ca.Pending(); len(pend) != 1 {
		t.Fatalf("%d pending after a repeat", len(pend))
	}
	if _, err := ca.Approve(pend[0].ID); err != nil {
		t.Fatal(err)
	}
	if resp, body := estDo(t, c, http.MethodPost, url, "application/pkcs10", csr, DefaultUser, DefaultPassword); resp.StatusCode != 200 {
		t.Fatalf("after approval: %s %s", resp.Status, body)
	}
	if r, _ := ca.Get(pend[0].ID); !r.Collected {
		t.Error("the answer is not marked collected")
	}
}
