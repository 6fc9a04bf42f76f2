package est

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
)

// startCA runs testca over real HTTPS on loopback.
func startCA(t testing.TB, cfg testca.Config) (*testca.CA, *testca.Server) {
	t.Helper()
	cfg.Dir = t.TempDir()
	ca, err := testca.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return ca, srv
}

// httpClient trusts the CA's root and presents cert when given.
func httpClient(ca *testca.CA, cert *tls.Certificate) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	tc := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
}

func newClient(t testing.TB, ca *testca.CA, srv *testca.Server, label string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithHTTPClient(httpClient(ca, nil)), WithBasicAuth(testca.DefaultUser, testca.DefaultPassword), WithLabel(label)}, opts...)
	c, err := New(srv.ESTURL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rsaKey(t testing.TB) crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func csrFor(t testing.TB, key crypto.Signer, subject string, dns ...string) []byte {
	t.Helper()
	raw, err := enroll.ParseDN(subject)
	if err != nil {
		t.Fatal(err)
	}
	der, err := enroll.NewProtocolCSR(rand.Reader, key, raw, dns, "")
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestEnrollAgainstTestCA(t *testing.T) {
	ca, srv := startCA(t, testca.Config{})
	c := newClient(t, ca, srv, "")
	ctx := context.Background()
	cas, err := c.CACerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cas) != 2 || !cas[0].Equal(ca.Issuing()) || !cas[1].Equal(ca.Root()) {
		t.Fatalf("cacerts: %d certificates", len(cas))
	}
	attrs, err := c.CSRAttrs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tm := attrs.Template("")
	if kt, err := tm.KeyType(); err != nil || kt.String() != "RSA 2048" {
		t.Errorf("default template key %v %v", kt, err)
	}
	key := rsaKey(t)
	res, err := c.Enroll(ctx, csrFor(t, key, "CN=host.example.test", "host.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending() || res.Certificate.Subject.CommonName != "host.example.test" || res.Certificate.DNSNames[0] != "host.example.test" {
		t.Fatalf("issued %+v", res)
	}
	if !key.Public().(*rsa.PublicKey).Equal(res.Certificate.PublicKey) {
		t.Error("the certificate certifies another key")
	}
}

func TestLabelSelectsTemplate(t *testing.T) {
	ca, srv := startCA(t, testca.Config{})
	c := newClient(t, ca, srv, testca.TemplateUserP256)
	if !strings.HasSuffix(c.URL("simpleenroll"), "/.well-known/est/UserP256/simpleenroll") {
		t.Errorf("URL %s", c.URL("simpleenroll"))
	}
	attrs, err := c.CSRAttrs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tm := attrs.Template(c.Label())
	if kt, err := tm.KeyType(); err != nil || kt.String() != "ECDSA P-256" || tm.CommonName != "UserP256" {
		t.Fatalf("template %+v %v", tm, err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	res, err := c.Enroll(context.Background(), csrFor(t, key, ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Certificate.Subject.CommonName != testca.DefaultUser {
		t.Errorf("subject %s, want the account's", res.Certificate.Subject)
	}
	// An RSA key for an ECDSA template: the CA refuses, as a denial.
	if _, err := c.Enroll(context.Background(), csrFor(t, rsaKey(t), "")); !errors.Is(err, enroll.ErrDenied) || !strings.Contains(err.Error(), "ECDSA") {
		t.Errorf("RSA key for UserP256: %v", err)
	}
	// A label the server does not know.
	u, _ := New(srv.ESTURL()+"/NoSuchTemplate", WithHTTPClient(httpClient(ca, nil)))
	if _, err := u.CACerts(context.Background()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown label: %v", err)
	}
}

func TestAuthFailures(t *testing.T) {
	ca, srv := startCA(t, testca.Config{})
	ctx := context.Background()
	bad := newClient(t, ca, srv, "", WithBasicAuth(testca.DefaultUser, "wrong"))
	_, err := bad.Enroll(ctx, csrFor(t, rsaKey(t), "CN=x"))
	if !errors.Is(err, enroll.ErrCredentialsRefused) || !enroll.Permanent(err) {
		t.Errorf("wrong password: %v", err)
	}
	none, _ := New(srv.ESTURL(), WithHTTPClient(httpClient(ca, nil)))
	if _, err := none.Enroll(ctx, csrFor(t, rsaKey(t), "CN=x")); !errors.Is(err, enroll.ErrCredentialsRefused) {
		t.Errorf("no credentials: %v", err)
	}
	// Re-enrollment wants the current certificate, not a password.
	if _, err := newClient(t, ca, srv, "").Reenroll(ctx, csrFor(t, rsaKey(t), "CN=x")); !errors.Is(err, enroll.ErrCredentialsRefused) {
		t.Errorf("re-enrollment with a password: %v", err)
	}
}

func TestPlainHTTPRefused(t *testing.T) {
	for _, u := range []string{"http://est.example.test/.well-known/est", "HTTP://est.example.test"} {
		_, err := New(u, WithBasicAuth("u", "p"))
		if !errors.Is(err, ErrPlainHTTP) || strings.Count(err.Error(), ".") > 3 {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestSplitURL(t *testing.T) {
	for _, tc := range []struct{ in, base, label, err string }{
		{"https://h.test", "https://h.test/.well-known/est", "", ""},
		{"https://h.test:8443/.well-known/est/", "https://h.test:8443/.well-known/est", "", ""},
		{"https://h.test/.well-known/est/arbitraryLabel1", "https://h.test/.well-known/est", "arbitraryLabel1", ""},
		{"https://h.test/pki/.well-known/est", "https://h.test/pki/.well-known/est", "", ""},
		{"https://h.test/.well-known/est/a/b", "", "", "only a label"},
		{"https://h.test/.well-known/est/a%2Fb", "", "", "may hold only"},
		{"https://h.test/.well-known/est/simpleenroll", "", "", "operation name"},
		{"https://u:p@h.test/.well-known/est", "", "", "no user name"},
		{"ftp://h.test", "", "", "not an EST server URL"},
	} {
		base, label, err := SplitURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || base != tc.base || label != tc.label {
			t.Errorf("%s: %q %q %v", tc.in, base, label, err)
		}
	}
}

func TestPendingApproveDeny(t *testing.T) {
	ca, srv := startCA(t, testca.Config{})
	c := newClient(t, ca, srv, testca.TemplatePendAll)
	ctx := context.Background()
	key := rsaKey(t)
	csr := csrFor(t, key, "")
	res, err := c.Enroll(ctx, csr)
	if err != nil || !res.Pending() || res.RetryAfter != testca.ESTRetryAfter*time.Second {
		t.Fatalf("first answer %+v %v", res, err)
	}
	pend, _ := ca.Pending()
	if len(pend) != 1 {
		t.Fatalf("%d pending", len(pend))
	}
	// The same request again, still pending: no second request.
	if res, err = c.Enroll(ctx, csr); err != nil || !res.Pending() {
		t.Fatalf("repeat %+v %v", res, err)
	}
	if pend, _ = ca.Pending(); len(pend) != 1 {
		t.Fatalf("%d pending after a repeat", len(pend))
	}
	if _, err := ca.Approve(pend[0].ID); err != nil {
		t.Fatal(err)
	}
	// A new request with the same key (not the same DER: ECDSA and RSA-PSS
	// signatures vary) collects it.
	if res, err = c.Enroll(ctx, csrFor(t, key, "")); err != nil || res.Pending() {
		t.Fatalf("after approval %+v %v", res, err)
	}
	// Collected once: the next request is a new one.
	if res, err = c.Enroll(ctx, csr); err != nil || !res.Pending() {
		t.Fatalf("after collection %+v %v", res, err)
	}
	pend, _ = ca.Pending()
	if err := ca.Deny(pend[0].ID, "not today"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Enroll(ctx, csr)
	if !errors.Is(err, enroll.ErrDenied) || !strings.Contains(err.Error(), "not today") {
		t.Errorf("denied: %v", err)
	}
}

func TestReenrollWithCurrentCertificate(t *testing.T) {
	ca, srv := startCA(t, testca.Config{})
	ctx := context.Background()
	key := rsaKey(t)
	first, err := newClient(t, ca, srv, "").Enroll(ctx, csrFor(t, key, "CN=host.example.test", "host.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Certificate{Certificate: [][]byte{first.Certificate.Raw}, PrivateKey: key, Leaf: first.Certificate}
	c, err := New(srv.ESTURL(), WithHTTPClient(httpClient(ca, tc)))
	if err != nil {
		t.Fatal(err)
	}
	newKey := rsaKey(t)
	res, err := c.Reenroll(ctx, csrFor(t, newKey, "CN=host.example.test", "host.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending() || res.Certificate.SerialNumber.Cmp(first.Certificate.SerialNumber) == 0 || res.Certificate.Subject.String() != first.Certificate.Subject.String() {
		t.Fatalf("renewed %+v", res.Certificate.Subject)
	}
	// Another subject is not a re-enrollment of this certificate.
	if _, err := c.Reenroll(ctx, csrFor(t, rsaKey(t), "CN=other.example.test")); !errors.Is(err, enroll.ErrDenied) {
		t.Errorf("other subject: %v", err)
	}
}

func TestHostileAnswers(t *testing.T) {
	ca, srv := startCA(t, testca.Config{})
	ctx := context.Background()
	c := newClient(t, ca, srv, "")
	for _, tc := range []struct {
		est   testca.ESTFault
		fault testca.Fault
		want  error
		text  string
	}{
		{est: testca.ESTFaultContentType, want: ErrBadResponse, text: "text/html"},
		{est: testca.ESTFaultNotBase64, want: ErrBadResponse, text: "not base64"},
		{est: testca.ESTFaultNotPKCS7, want: ErrBadResponse, text: "not a PKCS#7"},
		{est: testca.ESTFaultHugeBody, want: enroll.ErrResponseTooLarge},
		{fault: testca.FaultMalformed, want: ErrBadResponse},
		{fault: testca.FaultWrongKey, want: enroll.ErrKeyMismatch},
		{fault: testca.FaultHTTP500, text: "500"},
	} {
		srv.SetESTFault(tc.est)
		srv.SetFault(tc.fault)
		_, err := c.Enroll(ctx, csrFor(t, rsaKey(t), "CN=x"))
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%v/%v: %v", tc.est, tc.fault, err)
		}
	}
	srv.SetFault(testca.FaultNone)
	srv.SetESTFault(testca.ESTFaultRetryAfter)
	p := newClient(t, ca, srv, testca.TemplatePendAll)
	res, err := p.Enroll(ctx, csrFor(t, rsaKey(t), ""))
	if err != nil || res.RetryAfter != MaxRetryAfter {
		t.Errorf("Retry-After of 10^12 s: %+v %v", res, err)
	}
}

func TestRetryAfterBounds(t *testing.T) {
	date := "Thu, 03 Dec 2026 12:00:00 GMT"
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"0", MinRetryAfter},
		{"-5", MinRetryAfter},
		{"99999999999999999999", DefaultRetryAfter}, // not an int64: unusable
		{"", DefaultRetryAfter},
		{"soon", DefaultRetryAfter},
		{"Thu, 03 Dec 2026 12:30:00 GMT", 30 * time.Minute},
		{"Thu, 03 Dec 2099 12:30:00 GMT", MaxRetryAfter},
	} {
		if got := retryAfter(tc.v, date); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestRedirects: a redirection within the server's origin is followed,
// one to another origin (another port, or http) is not, and nothing is
// sent there.
func TestRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	cacerts := rfcVectors(t)["A.1 cacerts response"]
	var front *httptest.Server
	front = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/same/"):
			http.Redirect(w, r, "/real/.well-known/est/cacerts", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/real/"):
			w.Header().Set("Content-Type", "application/pkcs7-mime")
			w.Write(cacerts)
		case strings.HasPrefix(r.URL.Path, "/port/"):
			http.Redirect(w, r, strings.Replace(front.URL, "127.0.0.1", "localhost", 1)+"/real/.well-known/est/cacerts", http.StatusFound)
		default:
			http.Redirect(w, r, other.URL+"/.well-known/est/simpleenroll", http.StatusTemporaryRedirect)
		}
	}))
	defer front.Close()
	ctx := context.Background()
	hc := front.Client()
	c, _ := New(front.URL+"/same/.well-known/est", WithHTTPClient(hc))
	if certs, err := c.CACerts(ctx); err != nil || len(certs) != 4 {
		t.Errorf("redirect within the origin: %d, %v", len(certs), err)
	}
	p, _ := New(front.URL+"/port/.well-known/est", WithHTTPClient(hc))
	if _, err := p.CACerts(ctx); err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Errorf("redirect to another host name: %v", err)
	}
	a, _ := New(front.URL+"/away/.well-known/est", WithHTTPClient(hc), WithBasicAuth("u", "secret"))
	if _, err := a.Enroll(ctx, csrFor(t, rsaKey(t), "CN=x")); err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Errorf("redirect to http: %v", err)
	}
	if elsewhere.Load() != 0 {
		t.Error("a request reached the other origin")
	}
}
