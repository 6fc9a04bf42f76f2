package app

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/est"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// addEST registers the testca EST endpoint (with label, "" for none) in
// the user context, its CA pinned by the root's fingerprint and trusted
// (issued chains must build to a trusted root), the password saved.
func (e *env) addEST(t *testing.T, label, password string) Server {
	t.Helper()
	u := e.srv.ESTURL()
	if label != "" {
		u += "/" + label
	}
	srv, err := e.core.AddServer(context.Background(), store.User, ServerOptions{URL: u, Protocol: ProtocolEST,
		Auth: AuthPassword, Username: testca.DefaultUser, Password: password, CAFingerprint: Fingerprint(e.ca.Root()), CAFile: e.ca.RootFile(), TrustCA: true})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestESTEnrollRenewPulse enrolls over EST with the CA pinned, renews by
// /simplereenroll authenticated by the current certificate, and lets a
// pulse renew when the certificate is due.
func TestESTEnrollRenewPulse(t *testing.T) {
	e := newEnv(t, envOpt{ca: func(c *testca.Config) { c.Validity = 20 * 24 * time.Hour }})
	srv := e.addEST(t, "", testca.DefaultPassword)
	ctx := context.Background()
	pol, err := e.core.Policies(ctx, store.User, srv.ID, "", true)
	if err != nil || len(pol.Templates) != 1 || pol.Templates[0].CommonName != est.DefaultTemplate {
		t.Fatalf("templates %+v %v", pol, err)
	}
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=host.example.test", DNSNames: []string{"host.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusIssued || res.Template != est.DefaultTemplate || CommonName(res.Subject) != "host.example.test" {
		t.Fatalf("enroll %+v", res)
	}
	if ca := e.list(t, store.CA); len(ca) != 1 || ca[0] != store.Thumbprint(e.ca.Issuing().Raw) {
		t.Errorf("CA store %v: want the issuing CA", ca)
	}
	out, err := e.core.Renew(ctx, store.User, res.Thumbprint)
	if err != nil || out.Outcome != OutcomeOK || out.NewThumbprint == "" || out.Method != MethodKeyBased {
		t.Fatalf("renew %+v %v", out, err)
	}
	s, _ := e.core.Store(store.User)
	ne, err := s.Get(ctx, store.My, out.NewThumbprint)
	if err != nil || ne.Certificate.Subject.CommonName != "host.example.test" || ne.Certificate.DNSNames[0] != "host.example.test" || ne.Meta.PolicyServer != srv.ID {
		t.Fatalf("renewed entry %+v %v", ne.Meta, err)
	}
	// 17 of 20 days later the successor is due; the pulse renews it.
	e.clock.Advance(17 * 24 * time.Hour)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("pulse %+v %v", rep, err)
	}
}

// TestESTPendingApprovePoll: a pending answer keeps the key in Request;
// polls send the same request again until "testca approve".
func TestESTPendingApprovePoll(t *testing.T) {
	e := newEnv(t, envOpt{})
	srv := e.addEST(t, testca.TemplatePendAll, testca.DefaultPassword)
	ctx := context.Background()
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=alice"})
	if err != nil || res.Status != StatusPending || res.Template != testca.TemplatePendAll || res.RequestID == "" {
		t.Fatalf("enroll %+v %v", res, err)
	}
	if got := e.list(t, store.Request); len(got) != 1 {
		t.Fatalf("Request store %v", got)
	}
	e.statusOne(t, OutcomePending)
	pend, _ := e.ca.Pending()
	if len(pend) != 1 {
		t.Fatalf("the polls made %d requests at the CA", len(pend))
	}
	if _, err := e.ca.Approve(pend[0].ID); err != nil {
		t.Fatal(err)
	}
	o := e.statusOne(t, OutcomeOK)
	if my := e.list(t, store.My); len(my) != 1 || my[0] != o.Thumbprint {
		t.Fatalf("My %v after %+v", my, o)
	}
	if got := e.list(t, store.Request); len(got) != 0 {
		t.Errorf("Request store %v after issuance", got)
	}
	// A denied request loses its key.
	if _, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=alice"}); err != nil {
		t.Fatal(err)
	}
	pend, _ = e.ca.Pending()
	if err := e.ca.Deny(pend[0].ID, "not for you"); err != nil {
		t.Fatal(err)
	}
	if o := e.statusOne(t, OutcomeDenied); !strings.Contains(o.Reason, "not for you") {
		t.Errorf("denied: %+v", o)
	}
}

// TestESTRefusals: a wrong password, an http:// URL, a CA that does not
// match the pin and hostile answers each give one sentence and leave the
// stores as they were.
func TestESTRefusals(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	_, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: "http://est.example.test/.well-known/est", Protocol: ProtocolEST, Auth: AuthAnonymous})
	if err == nil || strings.Count(strings.TrimSuffix(err.Error(), "."), ". ") > 0 || !strings.Contains(err.Error(), "https") {
		t.Errorf("http EST URL: %v", err)
	}
	srv := e.addEST(t, "", "wrong password")
	enrollOnce := func() error {
		_, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: est.DefaultTemplate, Subject: "CN=x"})
		return err
	}
	if err := enrollOnce(); !errors.Is(err, enroll.ErrCredentialsRefused) {
		t.Errorf("wrong password: %v", err)
	}
	srv = e.addEST(t, "", testca.DefaultPassword)
	for _, f := range []testca.ESTFault{testca.ESTFaultContentType, testca.ESTFaultNotBase64, testca.ESTFaultNotPKCS7} {
		e.srv.SetESTFault(f)
		if err := enrollOnce(); !errors.Is(err, est.ErrBadResponse) {
			t.Errorf("fault %d: %v", f, err)
		}
	}
	e.srv.SetESTFault(testca.ESTFaultNone)
	e.srv.SetFault(testca.FaultWrongKey)
	if err := enrollOnce(); !errors.Is(err, enroll.ErrKeyMismatch) {
		t.Errorf("wrong key: %v", err)
	}
	e.srv.SetFault(testca.FaultNone)
	if my, req := e.list(t, store.My), e.list(t, store.Request); len(my)+len(req) != 0 {
		t.Errorf("My %v, Request %v after refusals", my, req)
	}
	// A pin of another CA: refused before the request is sent.
	other := strings.Repeat("ab", 32)
	if _, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.ESTURL() + "/" + testca.TemplatePendAll, Protocol: ProtocolEST,
		Auth: AuthPassword, Username: testca.DefaultUser, Password: testca.DefaultPassword, CAFingerprint: other}); err != nil {
		t.Fatal(err)
	}
	_, err = e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: e.srv.ESTURL() + "/" + testca.TemplatePendAll, Subject: "CN=x"})
	if err == nil || !strings.Contains(err.Error(), "do not match the pinned") {
		t.Errorf("pin mismatch: %v", err)
	}
	if pend, _ := e.ca.Pending(); len(pend) != 0 {
		t.Errorf("a request reached the CA despite the pin: %+v", pend)
	}
}

func TestProtocolForURL(t *testing.T) {
	for u, want := range map[string]Protocol{
		"https://ndes.corp.example/certsrv/mscep/mscep.dll":                         ProtocolSCEP,
		"http://NDES.corp.example/CertSrv/mscep/mscep.dll/":                         ProtocolSCEP,
		"https://ca.example/scep":                                                   ProtocolSCEP,
		"https://est.example/.well-known/est":                                       ProtocolEST,
		"https://est.example:8443/.well-known/est/devices":                          ProtocolEST,
		"https://cep.example/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP": ProtocolCEP,
		"":                     ProtocolCEP,
		"::not a url":          ProtocolCEP,
		"https://example.test": ProtocolCEP,
	} {
		if got := ProtocolForURL(u); got != want {
			t.Errorf("ProtocolForURL(%q) = %s, want %s", u, got, want)
		}
	}
}

// TestServerCAEST: the add dialog's fingerprint is the root of /cacerts,
// fetched without trusting the TLS certificate and without a credential.
func TestServerCAEST(t *testing.T) {
	e := newEnv(t, envOpt{})
	ca, err := e.core.ServerCA(context.Background(), store.User, ServerOptions{URL: e.srv.ESTURL(), Protocol: ProtocolEST})
	if err != nil || !ca.Equal(e.ca.Root()) {
		t.Fatalf("ServerCA: %v, %v", ca, err)
	}
	if _, err := e.core.ServerCA(context.Background(), store.User, ServerOptions{URL: e.srv.CEPURL()}); err == nil {
		t.Error("a CEP server's CA fetched")
	}
	if _, err := e.core.ServerCA(context.Background(), store.User, ServerOptions{URL: "http://x.example/.well-known/est", Protocol: ProtocolEST}); err == nil {
		t.Error("EST over http fetched")
	}
}

// TestESTPinThenTrust: a server known only by its pin enrolls, and once
// its pinned CA is trusted (TrustServerCA, the GUI's confirmation) the
// chain is stored and renewal verifies the successor.
func TestESTPinThenTrust(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	srv, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.ESTURL(), Protocol: ProtocolEST,
		Auth: AuthPassword, Username: testca.DefaultUser, Password: testca.DefaultPassword, CAFingerprint: Fingerprint(e.ca.Root())})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.list(t, store.Root)) != 0 {
		t.Fatal("a pin alone trusted the CA")
	}
	got, err := e.core.TrustServerCA(ctx, store.User, srv.ID)
	if err != nil || got.TrustedCA != store.Thumbprint(e.ca.Root().Raw) {
		t.Fatalf("TrustServerCA %+v %v", got, err)
	}
	if root := e.list(t, store.Root); len(root) != 1 || root[0] != got.TrustedCA {
		t.Fatalf("Root %v", root)
	}
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=pinned.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := e.core.Renew(ctx, store.User, res.Thumbprint); err != nil || out.Outcome != OutcomeOK {
		t.Fatalf("renew %+v %v", out, err)
	}
	// Another pin: nothing is trusted.
	bad, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.ESTURL() + "/" + testca.TemplateUserP256, Protocol: ProtocolEST,
		Auth: AuthAnonymous, CAFingerprint: strings.Repeat("cd", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.TrustServerCA(ctx, store.User, bad.ID); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Errorf("wrong pin: %v", err)
	}
	if root := e.list(t, store.Root); len(root) != 1 {
		t.Errorf("Root %v after a refused trust", root)
	}
}

// TestESTPendingRenewalAndCertAuth: with a CA that pends everything, a
// renewal waits in Request and is polled with the certificate being
// renewed; a server with certificate authentication enrolls with a
// certificate of My as TLS client certificate.
func TestESTPendingRenewalAndCertAuth(t *testing.T) {
	e := newEnv(t, envOpt{ca: func(c *testca.Config) { c.Pending = true }})
	srv := e.addEST(t, "", testca.DefaultPassword)
	ctx := context.Background()
	approveAll := func() {
		t.Helper()
		pend, _ := e.ca.Pending()
		if len(pend) != 1 {
			t.Fatalf("%d pending at the CA", len(pend))
		}
		if _, err := e.ca.Approve(pend[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=dev.example.test", DNSNames: []string{"dev.example.test"}})
	if err != nil || res.Status != StatusPending {
		t.Fatalf("enroll %+v %v", res, err)
	}
	approveAll()
	first := e.statusOne(t, OutcomeOK).Thumbprint
	out, err := e.core.Renew(ctx, store.User, first)
	if err != nil || out.Outcome != OutcomePending {
		t.Fatalf("renew %+v %v", out, err)
	}
	approveAll()
	o := e.statusOne(t, OutcomeOK)
	if my := e.list(t, store.My); len(my) != 2 || !slices.Contains(my, first+"+a") || !slices.Contains(my, o.Thumbprint) {
		t.Fatalf("My %v after the pending renewal %+v", my, o)
	}
	// Certificate authentication with the renewed certificate.
	cs, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.ESTURL() + "/" + testca.TemplatePendAll, Protocol: ProtocolEST,
		Auth: AuthCertificate, ClientCert: o.Thumbprint, CAFingerprint: Fingerprint(e.ca.Root())})
	if err != nil {
		t.Fatal(err)
	}
	res, err = e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: cs.ID, Subject: "CN=x"})
	if err != nil || res.Status != StatusPending {
		t.Fatalf("enroll with certificate auth %+v %v", res, err)
	}
	pend, _ := e.ca.Pending()
	if len(pend) != 1 || pend[0].Requester != "dev.example.test" {
		t.Errorf("pending %+v: want the request of the certificate's account", pend)
	}
}

// TestESTIssuedMustChainToPin: what an EST server issues must chain to
// the pinned CA, whatever TLS trusted.
func TestESTIssuedMustChainToPin(t *testing.T) {
	e := newEnv(t, envOpt{})
	other, err := testca.New(testca.Config{Dir: t.TempDir(), Name: "Other CA"})
	if err != nil {
		t.Fatal(err)
	}
	srv := e.addEST(t, "", testca.DefaultPassword)
	res, err := e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=x"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.core.Store(store.User)
	got, err := s.Get(context.Background(), store.My, res.Thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	chain := []*x509.Certificate{e.ca.Issuing(), e.ca.Root()}
	if err := (&estClient{c: e.core, srv: srv, anchor: e.ca.Root()}).fromAnchor(got.Certificate, chain); err != nil {
		t.Errorf("own CA: %v", err)
	}
	err = (&estClient{c: e.core, srv: srv, anchor: other.Root()}).fromAnchor(got.Certificate, chain)
	if err == nil || !strings.Contains(err.Error(), "does not chain to the pinned CA") {
		t.Errorf("another CA's pin: %v", err)
	}
}
