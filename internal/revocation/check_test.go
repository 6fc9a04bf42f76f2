package revocation

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://pki.example.test/ca.crl", true},
		{"https://pki.example.test/ocsp", true},
		{"file:///etc/passwd", false},
		{"ldap:///CN=ca,CN=CDP,DC=example?certificateRevocationList", false},
		{"http://user:secret@pki.example.test/ca.crl", false},
		{"http:///ca.crl", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckURL(u); (err == nil) != tt.ok {
				t.Errorf("CheckURL = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestHostileSources: redirects to file:, oversized answers and sources
// that are not http(s) give unknown, and no request carries credentials.
func TestHostileSources(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			t.Errorf("credentials sent: %v", r.Header)
		}
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/big":
			w.Write([]byte(strings.Repeat("x", MaxCRLBytes+1)))
		}
	}))
	defer srv.Close()
	p := newPKIWithoutOpenSSL(t)
	tests := []struct {
		name   string
		crls   []string
		asked  bool
		reason string
	}{
		{"redirect to file", []string{srv.URL + "/redirect"}, true, "only http and https"},
		{"too large", []string{srv.URL + "/big"}, true, "larger than"},
		{"no http source", []string{"file:///etc/passwd", "ldap:///CN=x"}, false, "names no http(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := &x509.Certificate{SerialNumber: p.ca.SerialNumber, CRLDistributionPoints: tt.crls}
			a, asked := (&Checker{}).Check(context.Background(), cert, p.ca, p.ca.NotBefore)
			if a.Status != StatusUnknown || asked != tt.asked || !strings.Contains(a.Reason, tt.reason) {
				t.Errorf("Check = %+v, %v", a, asked)
			}
		})
	}
}

// newPKIWithoutOpenSSL is a CA for tests that need no OpenSSL.
func newPKIWithoutOpenSSL(t *testing.T) *pki {
	p := &pki{t: t, caKey: newKey(t)}
	p.ca = p.sign(&x509.Certificate{IsCA: true, BasicConstraintsValid: true}, p.caKey.Public(), nil, p.caKey)
	return p
}
