package enroll_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/apachetest"
)

// TestApacheRenegotiation runs key-based renewal through Apache httpd in
// front of testca's certificate endpoints (internal/apachetest). Apache,
// like IIS, asks for the client certificate only after reading the
// request: by TLS 1.2 renegotiation, or under TLS 1.3 by post-handshake
// authentication, which Go's TLS client does not offer. This proves
// CapForClientCertificate against a server that really renegotiates
// (issue #16).
func TestApacheRenegotiation(t *testing.T) {
	bin := apachetest.Binary(t)
	caDir := t.TempDir()
	// One CA (state directory) served twice: directly over HTTPS, and over
	// HTTP behind Apache.
	var srv [2]*testca.Server
	var ca *testca.CA
	for i, proxied := range []bool{false, true} {
		var err error
		if ca, err = testca.New(testca.Config{Dir: caDir, KBR: true, BehindProxy: proxied}); err != nil {
			t.Fatal(err)
		}
		if srv[i], err = ca.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv[i].Close() })
	}
	direct, backend := srv[0], srv[1]
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	cesPath := strings.TrimPrefix(direct.CESCertURL(), direct.URL())

	// The first certificate comes from the username/password CEP/CES pair,
	// as in an AD CS deployment.
	ctx := context.Background()
	c := passwordClient(roots)
	old, oldKey := firstKBR(t, ca, c, direct.CEPURL())

	capped := enroll.New(enroll.WithRootCAs(roots), enroll.WithClientCertificate(tls.Certificate{Certificate: [][]byte{old.Raw}, PrivateKey: oldKey, Leaf: old}))
	renew := func(t *testing.T, base string) {
		t.Helper()
		p, err := capped.GetPolicies(ctx, base+testca.PathKBRCEP, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		tm := p.Template(testca.TemplateKBR)
		if tm == nil {
			t.Fatalf("no KBR template through Apache: %+v", p.Templates)
		}
		ces := p.Endpoints(tm, enroll.AuthCertificate, true)
		if len(ces) != 1 || !strings.HasPrefix(ces[0], base) {
			t.Fatalf("CES %v, want one behind Apache at %s", ces, base)
		}
		kt, _ := tm.KeyType()
		newKey, err := enroll.GenerateKey(rand.Reader, kt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := capped.Renew(ctx, ces, enroll.RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: newKey, Template: tm})
		if err != nil || got.Pending() || got.CheckKey(newKey.Public()) != nil {
			t.Fatalf("renewal through Apache: %+v %v", got, err)
		}
		verifyChain(t, got, roots)
	}
	// uncapped presents the certificate without CapForClientCertificate:
	// up to TLS 1.3 unless maxVersion says otherwise.
	uncapped := func(reneg tls.RenegotiationSupport, maxVersion uint16) *enroll.Client {
		tc := &tls.Config{RootCAs: roots, Renegotiation: reneg, MaxVersion: maxVersion,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				return &tls.Certificate{Certificate: [][]byte{old.Raw}, PrivateKey: oldKey}, nil
			}}
		return enroll.New(enroll.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: tc}}))
	}

	t.Run("TLS 1.2 only", func(t *testing.T) {
		a := apachetest.Start(t, bin, ca, backend.URL(), "-all +TLSv1.2")
		renew(t, a.URL)
		a.Expect(t, `"POST `+cesPath+` HTTP/1.1" TLSv1.2 200`, "AH02221: Requesting connection re-negotiation")
		// Without renegotiation the same request fails: Apache did renegotiate.
		_, err := uncapped(tls.RenegotiateNever, tls.VersionTLS12).GetPolicies(ctx, a.URL+testca.PathKBRCEP, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "renegotiation") {
			t.Errorf("client refusing renegotiation: %v, want a renegotiation error", err)
		}
		a.Expect(t, `"POST `+testca.PathKBRCEP+` HTTP/1.1" - 403`, "AH02261: Re-negotiation handshake failed")
	})
	t.Run("TLS 1.3 allowed", func(t *testing.T) {
		a := apachetest.Start(t, bin, ca, backend.URL(), "-all +TLSv1.2 +TLSv1.3")
		// certdesk's cap keeps certificate connections at TLS 1.2 ...
		renew(t, a.URL)
		a.Expect(t, `"POST `+cesPath+` HTTP/1.1" TLSv1.2 200`)
		// ... while Go's default, TLS 1.3, needs post-handshake
		// authentication, which Go does not offer: Apache answers 403, the
		// failure IIS shows as a reset or a 500.
		_, err := uncapped(tls.RenegotiateOnceAsClient, 0).GetPolicies(ctx, a.URL+testca.PathKBRCEP, time.Time{})
		var he *enroll.HTTPError
		if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
			t.Fatalf("uncapped client at TLS 1.3: %v, want HTTP 403", err)
		}
		a.Expect(t, `"POST `+testca.PathKBRCEP+` HTTP/1.1" TLSv1.3 403`, "AH10158: cannot perform post-handshake authentication")
		// Connections without client certificates keep TLS 1.3.
		if _, err := c.GetPolicies(ctx, a.URL+testca.PathCEP, time.Time{}); err != nil {
			t.Fatal(err)
		}
		a.Expect(t, `"POST `+testca.PathCEP+` HTTP/1.1" TLSv1.3 200`)
	})
}
