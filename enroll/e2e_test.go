package enroll_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
)

// e2e starts a testca over real HTTPS on loopback.
func e2e(t *testing.T, cfg testca.Config) (*testca.CA, *testca.Server, *x509.CertPool) {
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
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	return ca, srv, roots
}

func passwordClient(roots *x509.CertPool) *enroll.Client {
	return enroll.New(enroll.WithRootCAs(roots), enroll.WithUsernamePassword(testca.DefaultUser, testca.DefaultPassword))
}

// request fetches the policy and returns a request for the named template
// with a fresh key of the template's type, and the CES URIs to try.
func request(t *testing.T, c *enroll.Client, cep, name string) (enroll.Request, []string) {
	t.Helper()
	p, err := c.GetPolicies(context.Background(), cep, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tm := p.Template(name)
	if tm == nil || !tm.Usable() {
		t.Fatalf("template %s missing or unusable in %+v", name, p.Templates)
	}
	kt, err := tm.KeyType()
	if err != nil {
		t.Fatal(err)
	}
	key, err := enroll.GenerateKey(rand.Reader, kt)
	if err != nil {
		t.Fatal(err)
	}
	return enroll.Request{Template: tm, Key: key}, p.Endpoints(tm, c.AuthKind(), false)
}

func verifyChain(t *testing.T, res *enroll.Response, roots *x509.CertPool) {
	t.Helper()
	inter := x509.NewCertPool()
	for _, c := range res.Chain {
		inter.AddCert(c)
	}
	if _, err := res.Certificate.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("chain from the CMC response does not verify: %v", err)
	}
}

func TestE2EIssue(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{})
	c := passwordClient(roots)
	tests := []struct {
		template, subject string
		dns               []string
	}{
		{"User", "", nil},
		{"UserP256", "", nil},
		{"WebServer", "CN=web.certdesk.test,O=certdesk", []string{"web.certdesk.test", "www.certdesk.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			req, uris := request(t, c, srv.CEPURL(), tt.template)
			req.Subject, req.DNSNames = tt.subject, tt.dns
			res, err := c.Enroll(context.Background(), uris, req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Pending() || res.RequestID == "" || res.Disposition != "Issued" {
				t.Fatalf("got %+v", res)
			}
			verifyChain(t, res, roots)
			if tt.dns != nil && (res.Certificate.Subject.CommonName != "web.certdesk.test" || len(res.Certificate.DNSNames) != 2) {
				t.Errorf("subject %s, SANs %v", res.Certificate.Subject, res.Certificate.DNSNames)
			}
		})
	}
}

func TestE2EPendingApproveDeny(t *testing.T) {
	ca, srv, roots := e2e(t, testca.Config{})
	c := passwordClient(roots)
	ctx := context.Background()
	submit := func() (*enroll.Response, enroll.Request) {
		req, uris := request(t, c, srv.CEPURL(), "PendAll")
		res, err := c.Enroll(ctx, uris, req)
		if err != nil || !res.Pending() || res.RequestID == "" || res.Endpoint == "" {
			t.Fatalf("got %+v %v", res, err)
		}
		return res, req
	}
	t.Run("approve", func(t *testing.T) {
		res, req := submit()
		if again, err := c.Poll(ctx, res.Endpoint, res.RequestID); err != nil || !again.Pending() {
			t.Fatalf("still pending: %+v %v", again, err)
		}
		if _, err := ca.Approve(res.RequestID); err != nil {
			t.Fatal(err)
		}
		got, err := c.Poll(ctx, res.Endpoint, res.RequestID)
		if err != nil || got.Pending() || got.CheckKey(req.Key.Public()) != nil {
			t.Fatalf("got %+v %v", got, err)
		}
		verifyChain(t, got, roots)
	})
	t.Run("deny", func(t *testing.T) {
		res, _ := submit()
		if err := ca.Deny(res.RequestID, "not today"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Poll(ctx, res.Endpoint, res.RequestID)
		var f *enroll.Fault
		if !errors.Is(err, enroll.ErrDenied) || !errors.As(err, &f) || f.Name() != "CERTSRV_E_ADMIN_DENIED_REQUEST" || !strings.Contains(f.Reason, "not today") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		_, err := c.Poll(ctx, srv.CESURL(), "999999")
		var f *enroll.Fault
		if !errors.As(err, &f) || f.Name() != "CERTSRV_E_PROPERTY_EMPTY" {
			t.Errorf("got %v", err)
		}
	})
}

// firstKBR enrolls for the KBR template with c through the CEP at cep;
// the request pends, ca approves it, and the poll returns the certificate.
func firstKBR(t *testing.T, ca *testca.CA, c *enroll.Client, cep string) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	ctx := context.Background()
	req, uris := request(t, c, cep, testca.TemplateKBR)
	res, err := c.Enroll(ctx, uris, req)
	if err != nil || !res.Pending() {
		t.Fatalf("first issuance should pend: %+v %v", res, err)
	}
	if _, err := ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	if res, err = c.Poll(ctx, res.Endpoint, res.RequestID); err != nil || res.Pending() {
		t.Fatalf("got %+v %v", res, err)
	}
	return res.Certificate, req.Key
}

// TestE2EKeyBasedRenewal: the first KBR certificate pends and is approved;
// the renewal then uses only that certificate and key (no password).
func TestE2EKeyBasedRenewal(t *testing.T) {
	ca, srv, roots := e2e(t, testca.Config{KBR: true})
	ctx := context.Background()
	old, oldKey := firstKBR(t, ca, passwordClient(roots), srv.CEPURL())

	kbr := enroll.New(enroll.WithRootCAs(roots), enroll.WithClientCertificate(tls.Certificate{Certificate: [][]byte{old.Raw}, PrivateKey: oldKey, Leaf: old}))
	p, err := kbr.GetPolicies(ctx, srv.KBRCEPURL(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tm := p.Template("KBR")
	if tm == nil || !tm.Flags.AllowKeyBasedRenewal {
		t.Fatalf("KBR template missing: %+v", p.Templates)
	}
	kt, _ := tm.KeyType()
	newKey, _ := enroll.GenerateKey(rand.Reader, kt)
	ces := p.Endpoints(tm, enroll.AuthCertificate, true)
	if len(ces) == 0 || len(p.Endpoints(tm, enroll.AuthCertificate, false)) != 0 {
		t.Fatalf("renewal-only certificate CES expected, got %v", ces)
	}
	renewed, err := kbr.Renew(ctx, ces, enroll.RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: newKey, Template: tm})
	if err != nil || renewed.Pending() {
		t.Fatalf("got %+v %v", renewed, err)
	}
	if renewed.Certificate.Subject.String() != old.Subject.String() || renewed.Certificate.SerialNumber.Cmp(old.SerialNumber) == 0 {
		t.Errorf("renewed %s from %s", renewed.Certificate.Subject, old.Subject)
	}
	verifyChain(t, renewed, roots)
	// Without a template the extensions come from the old certificate.
	again, err := kbr.Renew(ctx, ces, enroll.RenewalRequest{OldCert: renewed.Certificate, OldKey: newKey})
	if err != nil || again.CheckKey(newKey.Public()) != nil {
		t.Errorf("same-key renewal without template: %+v %v", again, err)
	}
	// A PKCS#10 on the renewal-only CES is refused by the CA.
	if _, err := kbr.Enroll(ctx, ces, enroll.Request{Template: tm, Key: newKey}); !errors.As(err, new(*enroll.Fault)) {
		t.Errorf("plain request on renewal-only CES: %v", err)
	}
}

func TestE2EFailover(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{})
	c := passwordClient(roots)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + ln.Addr().String() + "/Dead-CA_CES_UsernamePassword/service.svc/CES"
	ln.Close()
	req, uris := request(t, c, srv.CEPURL(), "User")
	res, err := c.Enroll(context.Background(), append([]string{dead}, uris...), req)
	if err != nil || res.Pending() {
		t.Fatalf("got %+v %v", res, err)
	}
}

func TestE2EFaultInjection(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{})
	tests := []struct {
		name  string
		setup func()
		check func(error) bool
	}{
		{"HTTP 500 without SOAP", func() { srv.SetFault(testca.FaultHTTP500) }, func(err error) bool {
			var h *enroll.HTTPError
			return errors.As(err, &h) && h.StatusCode == 500
		}},
		{"malformed body", func() { srv.SetFault(testca.FaultMalformed) }, func(err error) bool {
			return errors.Is(err, enroll.ErrMalformed)
		}},
		{"certificate for another key", func() { srv.SetFault(testca.FaultWrongKey) }, func(err error) bool { return errors.Is(err, enroll.ErrKeyMismatch) }},
		{"untrusted TLS", func() { srv.SetFault(testca.FaultUntrustedTLS) }, func(err error) bool {
			var u *enroll.UntrustedServerError
			return errors.As(err, &u) && u.Subject != "" && u.Issuer != ""
		}},
		{"delay", func() { srv.SetDelay(2 * time.Second) }, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"wrong password", func() {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := passwordClient(roots) // fresh connections for each mode
			req, uris := request(t, c, srv.CEPURL(), "User")
			tt.setup()
			defer func() { srv.SetFault(testca.FaultNone); srv.SetDelay(0) }()
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			if tt.check == nil {
				bad := enroll.New(enroll.WithRootCAs(roots), enroll.WithUsernamePassword(testca.DefaultUser, "wrong"))
				_, err := bad.Enroll(ctx, uris, req)
				var f *enroll.Fault
				if !errors.As(err, &f) || !errors.Is(err, enroll.ErrCredentialsRefused) || !strings.HasPrefix(err.Error(), "enroll: the server refused these credentials") {
					t.Errorf("got %v", err)
				}
				return
			}
			_, err := enroll.New(enroll.WithRootCAs(roots), enroll.WithUsernamePassword(testca.DefaultUser, testca.DefaultPassword)).Enroll(ctx, uris, req)
			if !tt.check(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

// TestE2EForeignFaults: an answer naming another poll URL keeps it in
// PollURL only, Endpoint is the CES submitted to; an answer with foreign
// chain certificates hands them to the caller, whose job is to drop them.
func TestE2EForeignFaults(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{})
	c := passwordClient(roots)
	ctx := context.Background()
	srv.SetForeignPollURL("https://elsewhere.invalid/ces")
	srv.SetFault(testca.FaultForeignPollURL)
	req, uris := request(t, c, srv.CEPURL(), "PendAll")
	res, err := c.Enroll(ctx, uris, req)
	if err != nil || !res.Pending() || res.PollURL != "https://elsewhere.invalid/ces" || res.Endpoint != uris[0] {
		t.Fatalf("pending: %+v %v, want PollURL foreign and Endpoint %s", res, err, uris[0])
	}
	srv.SetFault(testca.FaultForeignChain)
	req, uris = request(t, c, srv.CEPURL(), "User")
	if res, err = c.Enroll(ctx, uris, req); err != nil || res.Pending() {
		t.Fatalf("issued: %+v %v", res, err)
	}
	if len(res.Chain) != 5 { // issuing CA, root, foreign root, intermediate, leaf
		t.Errorf("chain has %d certificates, want 5", len(res.Chain))
	}
	verifyChain(t, res, roots)
}

// TestE2EStrictADCS runs the client against testca as strict as AD CS
// (issue #16): a CA without enrollPermission is skipped, a CA whose CES
// cannot reach it (0x800706BA) is failed over, every template is listed
// with versions 15, and a clock an hour ahead gets ErrClockSkew, transient.
func TestE2EStrictADCS(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{ExtraCAs: []testca.ExtraCA{
		{Name: "Closed CA", NoEnrollPermission: true},
		{Name: "Down CA", Unreachable: true},
	}})
	c := passwordClient(roots)
	req, uris := request(t, c, srv.CEPURL(), "UserP256") // a versioned template
	if len(uris) != 2 || !strings.Contains(uris[0], "/Down-CA_CES_") {
		t.Fatalf("endpoints %v, want Down CA then the CA's own", uris)
	}
	res, err := c.Enroll(context.Background(), uris, req)
	if err != nil || res.Pending() || res.Endpoint != uris[1] {
		t.Fatalf("got %+v %v, want issued by %s", res, err, uris[1])
	}
	ahead := enroll.New(enroll.WithRootCAs(roots), enroll.WithUsernamePassword(testca.DefaultUser, testca.DefaultPassword),
		enroll.WithClock(func() time.Time { return time.Now().Add(time.Hour) }))
	_, err = ahead.GetPolicies(context.Background(), srv.CEPURL(), time.Time{})
	if !errors.Is(err, enroll.ErrClockSkew) || errors.Is(err, enroll.ErrCredentialsRefused) || enroll.Permanent(err) || !strings.Contains(err.Error(), "ahead of the server's") {
		t.Errorf("got %v", err)
	}
}

// TestE2ERenewalKeepsEnrolleeNames: testca, like AD CS, takes an
// enrollee-supplied subject and SANs of a renewal from the request, not
// from the old certificate, so they survive only because the renewal
// request repeats them.
func TestE2ERenewalKeepsEnrolleeNames(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{})
	ctx := context.Background()
	c := passwordClient(roots)
	req, uris := request(t, c, srv.CEPURL(), testca.TemplateWebServer)
	req.Subject, req.DNSNames, req.IPAddresses = "CN=web.example,O=Example", []string{"web.example", "www.web.example"}, []net.IP{net.IPv4(192, 0, 2, 1)}
	res, err := c.Enroll(ctx, uris, req)
	if err != nil || res.Pending() {
		t.Fatalf("got %+v %v", res, err)
	}
	renewed, err := c.Renew(ctx, uris, enroll.RenewalRequest{OldCert: res.Certificate, OldKey: req.Key, NewKey: req.Key, Template: req.Template})
	if err != nil || renewed.Pending() {
		t.Fatalf("got %+v %v", renewed, err)
	}
	got, old := renewed.Certificate, res.Certificate
	if got.Subject.String() != old.Subject.String() || !slices.Equal(got.DNSNames, old.DNSNames) || len(got.IPAddresses) != 1 || !got.IPAddresses[0].Equal(old.IPAddresses[0]) {
		t.Errorf("renewed %s %v %v, want %s %v %v", got.Subject, got.DNSNames, got.IPAddresses, old.Subject, old.DNSNames, old.IPAddresses)
	}
}
