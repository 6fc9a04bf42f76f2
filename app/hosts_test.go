package app

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

func TestHostOf(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"default port dropped", "https://CA.Example.com:443/CEP", "ca.example.com"},
		{"other port kept", "https://ca.example.com:8443/CEP", "ca.example.com:8443"},
		{"trailing dot", "https://ca.example.com./CEP", "ca.example.com"},
		{"IPv6", "https://[::1]:4430/CES", "[::1]:4430"},
		{"IPv6 default port", "https://[::1]/CES", "[::1]"},
		{"no host", "/CES", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HostOf(tt.url); got != tt.want {
				t.Errorf("HostOf(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestCheckPasswordHosts(t *testing.T) {
	pw := credential{user: "u", password: "p", hosts: []string{"ca.example.com"}, server: "0a0b0c0d"}
	tests := []struct {
		name string
		cred credential
		uris []string
		want []string // unconfirmed hosts; nil for no error
	}{
		{"confirmed host", pw, []string{"https://ca.example.com/CES"}, nil},
		{"no password", credential{}, []string{"https://evil.example/CES"}, nil},
		{"new host after a confirmed one", pw, []string{"https://ca.example.com/CES", "https://evil.example/CES", "https://EVIL.example:443/x"}, []string{"evil.example"}},
		{"same name, other port", pw, []string{"https://ca.example.com:8443/CES"}, []string{"ca.example.com:8443"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPasswordHosts(tt.cred, tt.uris)
			var ue *UnconfirmedHostsError
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.As(err, &ue) || !slices.Equal(ue.Hosts, tt.want) || ue.Server != "0a0b0c0d" {
				t.Fatalf("got %#v, want hosts %v", err, tt.want)
			}
		})
	}
}

// newHostEnv is an env without key-based renewal and with the password
// server registered, whose policy, once SetExtraCESHost is on, names a
// preferred password CES at localhost on the port clients reach as
// 127.0.0.1; it returns that host.
func newHostEnv(t *testing.T) (*env, Server, string) {
	t.Helper()
	e := newEnv(t, envOpt{ca: func(c *testca.Config) { longShort(c); c.KBR = false }})
	_, port, _ := net.SplitHostPort(e.srv.Addr().String())
	return e, e.addServer(t, testca.DefaultPassword), net.JoinHostPort("localhost", port)
}

// policyAddsHost makes the server's policy name the extra host and the
// core fetch it (a policy update); it returns the user context's store.
func (e *env) policyAddsHost(t *testing.T, srv Server) *store.Store {
	t.Helper()
	e.srv.SetExtraCESHost("localhost")
	if _, err := e.core.Policies(context.Background(), store.User, srv.ID, "", true); err != nil {
		t.Fatal(err)
	}
	s, _ := e.core.Store(store.User)
	return s
}

// wantUnconfirmed checks err names exactly host as unconfirmed.
func wantUnconfirmed(t *testing.T, err error, host string) {
	t.Helper()
	var ue *UnconfirmedHostsError
	if !errors.As(err, &ue) || !slices.Equal(ue.Hosts, []string{host}) || !strings.Contains(err.Error(), host) {
		t.Fatalf("got %v, want the password refused for %s", err, host)
	}
}

// A policy that brings in a CES on a host the person never confirmed: the
// enrollment is refused before anything is sent (to either CES), the store
// is untouched, the history says why; once confirmed it goes there.
func TestEnrollRefusesUnconfirmedCESHost(t *testing.T) {
	ctx := context.Background()
	e, srv, extra := newHostEnv(t)
	s := e.policyAddsHost(t, srv)
	before, issued, sent := hashTree(t, s.Dir()), e.issuedCount(t), e.srv.RequestsTo(e.srv.Addr().String())

	_, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUser})
	wantUnconfirmed(t, err, extra)
	if n := e.srv.RequestsTo(extra); n != 0 {
		t.Errorf("%d requests went to %s", n, extra)
	}
	if n := e.srv.RequestsTo(e.srv.Addr().String()); n != sent || e.issuedCount(t) != issued {
		t.Errorf("the confirmed CES was asked anyway (%d requests, %d issued)", n-sent, e.issuedCount(t)-issued)
	}
	if hashTree(t, s.Dir()) != before {
		t.Error("a refused enrollment changed the store files")
	}
	recs := e.history(t)
	if last := recs[len(recs)-1]; last.Action != ActionEnroll || last.Outcome != OutcomeFailed || !strings.Contains(last.Reason, extra) {
		t.Errorf("history ends with %+v", last)
	}
	// The transport refuses on its own too, whatever the caller asks.
	cred, _ := e.core.serverCredential(ctx, s, srv, "")
	cl, _ := e.core.client(ctx, s, cred)
	_, err = cl.GetPolicies(ctx, "https://"+extra+testca.PathCEP, time.Time{})
	wantUnconfirmed(t, err, extra)
	if n := e.srv.RequestsTo(extra); n != 0 {
		t.Errorf("the transport sent %d requests to %s", n, extra)
	}

	_, hosts, err := e.core.UnconfirmedHosts(ctx, store.User, srv.ID)
	if err != nil || !slices.Equal(hosts, []string{extra}) {
		t.Fatalf("UnconfirmedHosts = %v, %v", hosts, err)
	}
	if srv, err = e.core.ConfirmHosts(ctx, store.User, srv.ID, hosts); err != nil || !slices.Equal(srv.PasswordHosts, []string{extra}) {
		t.Fatalf("ConfirmHosts: %+v, %v", srv, err)
	}
	if _, hosts, _ := e.core.UnconfirmedHosts(ctx, store.User, srv.ID); len(hosts) != 0 {
		t.Errorf("still unconfirmed after ConfirmHosts: %v", hosts)
	}
	if _, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUser}); err != nil {
		t.Fatal(err)
	}
	if e.srv.RequestsTo(extra) == 0 {
		t.Error("the confirmed host, preferred by the policy, was not used")
	}
}

// Hosts confirmed when the server is added (the wizard and "server add"
// show PasswordHosts of the tested policy) need no second confirmation.
func TestAddServerConfirmedHosts(t *testing.T) {
	ctx := context.Background()
	e, _, extra := newHostEnv(t)
	e.srv.SetExtraCESHost("localhost")
	o := ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser, Password: testca.DefaultPassword,
		CAFile: e.ca.RootFile(), TrustCA: true}
	pol, err := e.core.TestServer(ctx, store.User, o)
	if err != nil {
		t.Fatal(err)
	}
	cep := HostOf(e.srv.CEPURL())
	if got := PasswordHosts(o.URL, pol); !slices.Equal(got, []string{cep, extra}) {
		t.Fatalf("PasswordHosts = %v, want %s and %s", got, cep, extra)
	}
	if n := e.srv.RequestsTo(extra); n != 0 {
		t.Fatalf("TestServer sent %d requests to %s", n, extra)
	}
	// Adding the URL again replaces the entry, now with the hosts shown.
	o.ConfirmedHosts = PasswordHosts(o.URL, pol)
	srv, err := e.core.AddServer(ctx, store.User, o)
	if err != nil || !slices.Equal(srv.PasswordHosts, []string{extra}) {
		t.Fatalf("AddServer: %+v, %v", srv, err)
	}
	if _, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUser}); err != nil {
		t.Fatal(err)
	}
	o.Auth, o.Username, o.Password = AuthAnonymous, "", ""
	if _, err := e.core.AddServer(ctx, store.User, o); err == nil {
		t.Error("an anonymous server took hosts to confirm")
	}
}

// A headless pulse refuses a password renewal to an unconfirmed host:
// a transient failure with a history entry and nothing sent; after the
// person confirms, the next pulse renews at once.
func TestPulseRefusesUnconfirmedCESHost(t *testing.T) {
	ctx := context.Background()
	e, srv, extra := newHostEnv(t)
	res := e.enroll(t, testca.TemplateShortLived)
	s := e.policyAddsHost(t, srv)
	e.clock.Advance(time.Hour + time.Minute)
	before := hashTree(t, s.Dir())

	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 1 || len(rep.Renewals) != 1 {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	if o := rep.Renewals[0]; o.Outcome != OutcomeFailed || o.Permanent || !strings.Contains(o.Reason, extra) {
		t.Fatalf("renewal %+v, want a transient refusal naming %s", o, extra)
	}
	if n := e.srv.RequestsTo(extra); n != 0 {
		t.Errorf("%d requests went to %s", n, extra)
	}
	if hashTree(t, s.Dir()) != before {
		t.Error("a refused renewal changed the store files")
	}
	recs := e.history(t)
	if last := recs[len(recs)-1]; last.Action != ActionRenew || last.Outcome != OutcomeFailed || last.Thumbprint != res.Thumbprint || !strings.Contains(last.Reason, extra) {
		t.Errorf("history ends with %+v", last)
	}
	if _, err := e.core.ConfirmHosts(ctx, store.User, srv.ID, []string{"https://" + extra + "/"}); err != nil {
		t.Fatal(err)
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK || rep.Renewals[0].Method != MethodPassword {
		t.Fatalf("pulse after confirming: %+v, %v", rep, err)
	}
}

// A pending request whose CES is on a host not confirmed (a store written
// before the rule) is not polled with the password.
func TestPollRefusesUnconfirmedHost(t *testing.T) {
	ctx := context.Background()
	e, srv, extra := newHostEnv(t)
	s := e.policyAddsHost(t, srv)
	key, err := enroll.GenerateKey(e.core.rand, enroll.KeyType{Algorithm: x509.ECDSA, Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	ces := "https://" + extra + e.srv.CESURL()[len(e.srv.URL()):]
	if _, err := s.AddRequest(ctx, key, placeholderSubject("", "User"), store.Meta{PolicyServer: srv.ID, RequestID: "1", PollURL: ces}); err != nil {
		t.Fatal(err)
	}
	out, err := e.core.RequestStatus(ctx, store.User)
	if err != nil || len(out) != 1 || out[0].Outcome != OutcomeFailed || !strings.Contains(out[0].Reason, extra) {
		t.Fatalf("RequestStatus: %+v, %v", out, err)
	}
	if n := e.srv.RequestsTo(extra); n != 0 {
		t.Errorf("%d requests went to %s", n, extra)
	}
}
