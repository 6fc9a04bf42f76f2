package testca

import (
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBehindProxy: with Config.BehindProxy the server speaks plain HTTP on
// loopback and takes the client certificate from ProxyCertHeader, PEM with
// the line breaks Apache's mod_headers turns into spaces; it still
// verifies that certificate against the CA. Without BehindProxy the
// header is ignored.
func TestBehindProxy(t *testing.T) {
	if _, err := func() (*Server, error) {
		ca, err := New(Config{Dir: t.TempDir(), BehindProxy: true})
		if err != nil {
			t.Fatal(err)
		}
		return ca.Start("0.0.0.0:0")
	}(); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("behind a proxy on 0.0.0.0: %v, want a refusal", err)
	}

	var dir string
	ca, srv := startCA(t, func(c *Config) { c.BehindProxy, dir = true, c.Dir })
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s, want plain http on loopback", srv.URL())
	}
	key := rsaKey(t, 2048, 0)
	c := &http.Client{Timeout: 30 * time.Second}
	first := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, key, TemplateKBR, ""))
	cert, err := ca.Approve(first.requestID)
	if err != nil {
		t.Fatal(err)
	}
	apache := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})), "\n", " ")
	other, err := New(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	stranger := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Issuing().Raw})), "\n", " ")
	for _, tt := range []struct {
		name, header string
		want         int
	}{
		{"certificate from the proxy", apache, http.StatusOK},
		{"no header", "", http.StatusForbidden},
		{"garbage", "-----BEGIN CERTIFICATE----- !!! -----END CERTIFICATE-----", http.StatusForbidden},
		{"certificate of another CA", stranger, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.KBRCEPURL(), strings.NewReader(soapEnv(actionGetPolicies, srv.KBRCEPURL(), "", getPoliciesBody)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/soap+xml; charset=utf-8")
			if tt.header != "" {
				req.Header.Set(ProxyCertHeader, tt.header)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}

	direct, dsrv := startCA(t, func(c *Config) { c.Dir = dir }) // the same CA, over TLS
	req, err := http.NewRequest(http.MethodPost, dsrv.KBRCEPURL(), strings.NewReader(soapEnv(actionGetPolicies, dsrv.KBRCEPURL(), "", getPoliciesBody)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml; charset=utf-8")
	req.Header.Set(ProxyCertHeader, apache)
	resp, err := httpClient(direct, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("header without BehindProxy: status %d, want 403", resp.StatusCode)
	}
}
