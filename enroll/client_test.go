package enroll

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

var fixedNow = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

// zeroReader makes message ids deterministic: urn:uuid:00000000-0000-4000-8000-000000000000.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func loadKey(t testing.TB, name string) crypto.Signer {
	t.Helper()
	blk, _ := pem.Decode(readTestdata(t, "keys/"+name))
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(crypto.Signer)
}

func loadCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(readTestdata(t, "keys/"+name))
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webServer is a template where the enrollee supplies subject and DNS names.
func webServer() *Template {
	return &Template{
		OID: "1.3.6.1.4.1.311.21.8.1.2.3.4.5.6.7.8", CommonName: "WebServer", PolicySchema: 2, MinimalKeyLength: 2048,
		MajorRevision: 100, MinorRevision: 4, HashAlgorithm: "2.16.840.1.101.3.4.2.1", Enroll: true,
		SubjectNameFlags: u32(0x10001), Flags: decodeFlags(0x10001, 0, 0, 0),
	}
}

// recorder is an http.RoundTripper that keeps the request and answers with
// a canned status and body.
type recorder struct {
	req    *http.Request
	body   []byte
	status int
	answer []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.req = req
	r.body, _ = io.ReadAll(req.Body)
	st := r.status
	if st == 0 {
		st = 200
	}
	return &http.Response{StatusCode: st, Status: http.StatusText(st), Header: http.Header{"Content-Type": {contentType}},
		Body: io.NopCloser(bytes.NewReader(r.answer)), Request: req}, nil
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./enroll -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestGoldenRequests pins every request the client sends, with a fixed
// clock, message id and keys; checkEnvelope checks them against protocol.md.
func TestGoldenRequests(t *testing.T) {
	const cep = "https://ca.example.test/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP"
	const ces = "https://ca.example.test/Example-CA_CES_UsernamePassword/service.svc/CES"
	const cesCert = "https://ca.example.test:49999/Example-CA_CES_Certificate/service.svc/CES"
	policies := vector(t, "xcep-spec-4.1.2.2-GetPoliciesResponse-notchanged.xml", repairXCEP4122...)
	issued := vector(t, "cepces-fixture-RSTRC-body-issued.xml")
	oldCert, oldKey, newKey := loadCert(t, "old-cert.pem"), loadKey(t, "old-key.pem"), loadKey(t, "new-rsa2048.pem")
	pw := []Option{WithUsernamePassword(`EXAMPLE\alice`, "S3cret&<pw>")}
	tests := []struct {
		name   string
		opts   []Option
		answer []byte
		call   func(*Client) error
	}{
		{"getpolicies-anonymous.xml", nil, policies, func(c *Client) error {
			_, err := c.GetPolicies(context.Background(), strings.Replace(cep, "UsernamePassword", "Certificate", 1), time.Time{})
			return err
		}},
		{"getpolicies-password-lastupdate.xml", pw, policies, func(c *Client) error {
			_, err := c.GetPolicies(context.Background(), cep, fixedNow.Add(-8*time.Hour))
			return err
		}},
		{"rst-issue-password.xml", pw, issued, func(c *Client) error {
			_, err := c.Enroll(context.Background(), []string{ces}, Request{Template: webServer(), Key: newKey,
				Subject: "CN=web.example.test,O=Example", DNSNames: []string{"web.example.test"}, TemplateContext: true})
			return err
		}},
		{"rst-query-password.xml", pw, issued, func(c *Client) error {
			_, err := c.Poll(context.Background(), ces, "65")
			return err
		}},
		{"rst-renewal-certificate.xml", nil, issued, func(c *Client) error {
			_, err := c.Renew(context.Background(), []string{cesCert}, RenewalRequest{OldCert: oldCert, OldKey: oldKey, NewKey: newKey})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answer: tt.answer}
			opts := append([]Option{WithHTTPClient(&http.Client{Transport: rec}), WithClock(func() time.Time { return fixedNow }), WithRandom(zeroReader{})}, tt.opts...)
			// Canned answers certify another key: ErrKeyMismatch is expected.
			if err := tt.call(New(opts...)); err != nil && !errors.Is(err, ErrKeyMismatch) {
				t.Fatal(err)
			}
			if ct := rec.req.Header.Get("Content-Type"); ct != "application/soap+xml; charset=utf-8" || rec.req.Header.Get("SOAPAction") != "" {
				t.Errorf("headers %v", rec.req.Header)
			}
			checkEnvelope(t, rec.body, rec.req.URL.String(), len(tt.opts) > 0)
			golden(t, tt.name, rec.body)
		})
	}
}

// checkEnvelope verifies the protocol.md rules on a request: SOAP 1.2,
// mustUnderstand on Action, To and Security, To = the URL posted to,
// PasswordText with unqualified Type and a Timestamp, EncodingType on every
// BinarySecurityToken, explicit versions in GetPolicies (§10.5-7, 10.10, 10.14).
func checkEnvelope(t *testing.T, body []byte, url string, password bool) {
	t.Helper()
	d := newStrictDecoder(body)
	seen := map[string]bool{}
	var text string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("request is not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xmlStart:
			key := el.Name.Space + " " + el.Name.Local
			seen[key] = true
			mu := attr(el, nsSOAP, "mustUnderstand")
			switch key {
			case nsWSA + " Action", nsWSA + " To", nsWSSE + " Security":
				if mu != "1" {
					t.Errorf("%s lacks mustUnderstand", el.Name.Local)
				}
			case nsWSSE + " Password":
				if attr(el, "", "Type") != passwordText {
					t.Errorf("password Type = %q", attr(el, "", "Type"))
				}
			case nsWSSE + " BinarySecurityToken":
				if attr(el, "", "EncodingType") != encodingBase64 {
					t.Error("BinarySecurityToken lacks EncodingType")
				}
			}
		case xmlChar:
			text = strings.TrimSpace(string(el))
		case xmlEnd:
			if el.Name.Space == nsWSA && el.Name.Local == "To" && text != url {
				t.Errorf("To = %q, posted to %q", text, url)
			}
		}
	}
	for _, k := range []string{nsSOAP + " Envelope", nsWSA + " Action", nsWSA + " MessageID", nsWSA + " ReplyTo", nsWSA + " To"} {
		if !seen[k] {
			t.Errorf("missing %s", k)
		}
	}
	if password != (seen[nsWSSE+" UsernameToken"] && seen[nsWSU+" Timestamp"]) {
		t.Errorf("UsernameToken/Timestamp presence wrong (password=%v)", password)
	}
	// 15 shows every template under the spec's "at most" reading and under
	// cepces' "0 is no filter" one (issue #16, item 2).
	if seen[nsXCEP+" GetPolicies"] && !bytes.Contains(body, []byte("<clientVersion>15</clientVersion><serverVersion>15</serverVersion>")) {
		t.Error("GetPolicies without clientVersion and serverVersion 15")
	}
}

func TestCanned(t *testing.T) {
	issued := vector(t, "wstep-spec-4.1.1.2-RSTRC-issued-response.xml")
	fault := vector(t, "adcs-real-CES-fault-EncodingType-invalid.partial.txt",
		"-2147024809<\n[... TRUNCATED: the stored copy of the issue thread ends here ...]\n", "-2147024809</ns3:ErrorCode></ns3:CertificateEnrollmentWSDetail></ns0:Detail></ns0:Fault></ns0:Body></ns0:Envelope>")
	var hits []string
	mux := http.NewServeMux()
	mux.HandleFunc("/ok/", func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		w.Header().Set("Content-Type", contentType)
		w.Write(issued)
	})
	mux.HandleFunc("/busy/", func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		http.Error(w, "<html>Service Unavailable</html>", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/fault/", func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(500)
		w.Write(fault)
	})
	mux.HandleFunc("/moved/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://ca.example.test/plain", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/denied/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	})
	mux.HandleFunc("/huge/", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 5<<20)) })
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-server case logs handshake errors
	srv.StartTLS()
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a CES that refuses connections
	downURL := strings.Replace(down.URL, "http:", "https:", 1) + "/down/"
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	key := loadKey(t, "new-rsa2048.pem")
	req := Request{Template: webServer(), Key: key, DNSNames: []string{"web.example.test"}}
	c := New(WithRootCAs(roots), WithUsernamePassword("alice", "pw"), WithClock(func() time.Time { return fixedNow }))
	ctx := context.Background()

	t.Run("issued after failover", func(t *testing.T) {
		hits = nil
		// The canned certificate is for another key, which Enroll notices.
		res, err := c.Enroll(ctx, []string{downURL, srv.URL + "/busy/", srv.URL + "/ok/"}, req)
		if !errors.Is(err, ErrKeyMismatch) || res.Certificate == nil || res.RequestID != "61" || len(res.Chain) == 0 {
			t.Fatalf("got %+v %v", res, err)
		}
		if strings.Join(hits, ",") != "/busy/,/ok/" {
			t.Errorf("hits %v", hits)
		}
	})
	t.Run("fault ends failover", func(t *testing.T) {
		hits = nil
		_, err := c.Enroll(ctx, []string{srv.URL + "/fault/", srv.URL + "/ok/"}, req)
		var f *Fault
		if !errors.As(err, &f) || f.Name() != "E_INVALIDARG" || len(hits) != 1 {
			t.Errorf("got %v, hits %v", err, hits)
		}
	})
	t.Run("all down", func(t *testing.T) {
		_, err := c.Enroll(ctx, []string{downURL, srv.URL + "/busy/"}, req)
		var h *HTTPError
		if !errors.As(err, &h) || h.StatusCode != 503 || !strings.Contains(err.Error(), "all 2 enrollment servers failed") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no endpoint", func(t *testing.T) {
		if _, err := c.Enroll(ctx, nil, req); !errors.Is(err, ErrNoEndpoint) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("credentials refused", func(t *testing.T) {
		_, err := c.GetPolicies(ctx, srv.URL+"/denied/", time.Time{})
		if !errors.Is(err, ErrCredentialsRefused) || !strings.HasPrefix(err.Error(), "enroll: the server refused these credentials") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("redirect not followed", func(t *testing.T) {
		_, err := c.GetPolicies(ctx, srv.URL+"/moved/", time.Time{})
		var h *HTTPError
		if !errors.As(err, &h) || h.StatusCode != http.StatusTemporaryRedirect {
			t.Errorf("got %v", err)
		}
	})
	t.Run("redirect not followed with the caller's HTTP client", func(t *testing.T) {
		// A caller-built client (as the core builds one) follows redirects
		// by default; the password must not be replayed to plain http.
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		own := New(WithHTTPClient(hc), WithUsernamePassword("alice", "pw"))
		_, err := own.GetPolicies(ctx, srv.URL+"/moved/", time.Time{})
		var h *HTTPError
		if !errors.As(err, &h) || h.StatusCode != http.StatusTemporaryRedirect || hc.CheckRedirect != nil {
			t.Errorf("got %v (caller's client changed: %v)", err, hc.CheckRedirect != nil)
		}
	})
	t.Run("anonymous over plain http refused", func(t *testing.T) {
		_, err := New().GetPolicies(ctx, "http://ca.example.test/CEP", time.Time{})
		if err == nil || !strings.Contains(err.Error(), "only over verified HTTPS") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("untrusted server", func(t *testing.T) {
		_, err := New().GetPolicies(ctx, srv.URL+"/ok/", time.Time{})
		var u *UntrustedServerError
		if !errors.As(err, &u) || u.Issuer == "" || !strings.Contains(err.Error(), "the server's certificate is not trusted") || !strings.Contains(err.Error(), "Acme Co") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.Poll(ctx, srv.URL+"/slow/", "1")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("size cap", func(t *testing.T) {
		_, err := c.Poll(ctx, srv.URL+"/huge/", "1")
		if !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("password over http", func(t *testing.T) {
		_, err := c.GetPolicies(ctx, "http://ca.example.test/x", time.Time{})
		if !errors.Is(err, ErrInsecureCredentials) {
			t.Errorf("got %v", err)
		}
	})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("client certificate presented over %s", tls.VersionName(v)), func(t *testing.T) {
			var got []*x509.Certificate
			ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.TLS.PeerCertificates
				w.Write(issued)
			}))
			ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MaxVersion: v}
			ts.StartTLS()
			defer ts.Close()
			pool := x509.NewCertPool()
			pool.AddCert(ts.Certificate())
			old := loadCert(t, "old-cert.pem")
			cc := New(WithRootCAs(pool), WithClientCertificate(tls.Certificate{Certificate: [][]byte{old.Raw}, PrivateKey: loadKey(t, "old-key.pem")}))
			if cc.AuthKind() != AuthCertificate {
				t.Error("AuthKind")
			}
			res, err := cc.Renew(ctx, []string{ts.URL}, RenewalRequest{OldCert: old, OldKey: loadKey(t, "old-key.pem"), NewKey: key})
			if !errors.Is(err, ErrKeyMismatch) || res.Certificate == nil || len(got) != 1 || !got[0].Equal(old) {
				t.Errorf("got %v, peer certs %d", err, len(got))
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	p := &Policies{CAs: []CA{
		{ReferenceID: 1, EnrollPermission: true, URIs: []CESURI{
			{Auth: AuthUsernamePassword, URI: "https://c/3", Priority: u32(3)},
			{Auth: AuthCertificate, URI: "https://c/kbr", Priority: u32(1), RenewalOnly: true},
			{Auth: AuthUsernamePassword, URI: "https://c/nil"},
		}},
		{ReferenceID: 2, EnrollPermission: true, URIs: []CESURI{
			{Auth: AuthUsernamePassword, URI: "https://c/1", Priority: u32(1)},
			{Auth: AuthUsernamePassword, URI: "https://c/renew", Priority: u32(0), RenewalOnly: true},
			{Auth: AuthKerberos, URI: "https://c/krb", Priority: u32(0)},
		}},
		{ReferenceID: 3, EnrollPermission: true, URIs: []CESURI{{Auth: AuthUsernamePassword, URI: "https://other-ca/0", Priority: u32(0)}}},
		// enrollPermission false: this caller may not enroll there.
		{ReferenceID: 4, URIs: []CESURI{{Auth: AuthUsernamePassword, URI: "https://no-permission/0", Priority: u32(0)}}},
	}}
	tm := &Template{CAReferences: []int{1, 2, 4}}
	tests := []struct {
		name    string
		kind    AuthKind
		renewal bool
		want    string
	}{
		{"new request by password", AuthUsernamePassword, false, "https://c/1 https://c/3 https://c/nil"},
		{"renewal by password", AuthUsernamePassword, true, "https://c/renew https://c/1 https://c/3 https://c/nil"},
		{"key-based renewal", AuthCertificate, true, "https://c/kbr"},
		{"renewal-only skipped", AuthCertificate, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(p.Endpoints(tm, tt.kind, tt.renewal), " "); got != tt.want {
				t.Errorf("got %q", got)
			}
		})
	}
}
