package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// longShort makes the ShortLived template last 2h, due after 1h, so a
// failing renewal can back off without the certificate expiring.
func longShort(c *testca.Config) { c.ShortValidity, c.ShortRenewal = 2*time.Hour, time.Hour }

// soapFault is what WCF answers when the service itself fails: a Receiver
// fault without a CA verdict, which is worth retrying.
const soapFault = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value xmlns:a="http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher">a:InternalServiceFault</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The server was unable to process the request due to an internal error.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`

// faultProxy fronts the testca over its own HTTPS and answers CES calls
// with soapFault while fail is set. testca builds its CES URLs from the
// Host header, which the proxy keeps, so the client only sees the proxy.
func faultProxy(t *testing.T, ca *testca.CA, target string, fail *atomic.Bool) *httptest.Server {
	t.Helper()
	u, _ := url.Parse(target)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root())
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = r.In.Host },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	p := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() && strings.Contains(r.URL.Path, "_CES_") {
			w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, soapFault)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func TestPulseTransientFailureChangesNothingAndRetries(t *testing.T) {
	tests := []struct {
		name    string
		kbr     bool
		timeout time.Duration
		// breakIt breaks the server; the returned func mends it.
		breakIt func(t *testing.T, e *env) (mend func())
		want    string
	}{
		{name: "server down", kbr: true, breakIt: func(t *testing.T, e *env) func() {
			addr := e.srv.Addr().String()
			e.srv.Close()
			return func() {
				srv, err := e.ca.Start(addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { srv.Close() })
			}
		}, want: "connection refused"},
		{name: "timeout", kbr: true, timeout: 300 * time.Millisecond, breakIt: func(t *testing.T, e *env) func() {
			e.srv.SetDelay(3 * time.Second)
			return func() { e.srv.SetDelay(0) }
		}, want: "timed out"},
		{name: "HTTP 500", kbr: true, breakIt: func(t *testing.T, e *env) func() {
			e.srv.SetFault(testca.FaultHTTP500)
			return func() { e.srv.SetFault(testca.FaultNone) }
		}, want: "500"},
		{name: "SOAP fault", kbr: false, want: "internal error"}, // breakIt set below: needs the proxy
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, envOpt{timeout: tt.timeout, ca: func(c *testca.Config) { longShort(c); c.KBR = tt.kbr }})
			cepURL := e.srv.CEPURL()
			var fail atomic.Bool
			if tt.breakIt == nil {
				p := faultProxy(t, e.ca, "https://"+e.srv.Addr().String(), &fail)
				roots := x509.NewCertPool()
				roots.AddCert(p.Certificate())
				c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: roots, HTTPTimeout: 20 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				e.core = c
				cepURL = p.URL + testca.PathCEP
				tt.breakIt = func(*testing.T, *env) func() { fail.Store(true); return func() { fail.Store(false) } }
			}
			// The password is saved so that the SOAP-fault case renews by
			// password; with KBR the key-based path is tried first.
			if _, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: cepURL, Auth: AuthPassword,
				Username: testca.DefaultUser, Password: testca.DefaultPassword, CAFile: e.ca.RootFile(), TrustCA: true}); err != nil {
				t.Fatal(err)
			}
			res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: cepURL, Template: testca.TemplateShortLived})
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Hour + time.Minute)
			s, _ := e.core.Store(store.User)
			before := hashTree(t, s.Dir())
			mend := tt.breakIt(t, e)

			rep, err := e.core.Pulse(ctx, store.User)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Failed != 1 || len(rep.Renewals) != 1 || rep.Renewals[0].Permanent || !strings.Contains(rep.Renewals[0].Reason, tt.want) {
				t.Fatalf("report %+v, want one transient failure mentioning %q", rep.Renewals, tt.want)
			}
			if after := hashTree(t, s.Dir()); after != before {
				t.Error("a failed renewal changed the store files")
			}
			recs := e.history(t)
			if last := recs[len(recs)-1]; last.Action != ActionRenew || last.Outcome != OutcomeFailed || last.Thumbprint != res.Thumbprint || last.Reason == "" {
				t.Errorf("history ends with %+v", last)
			}
			// Before the backoff has passed, the next pulse leaves it alone.
			mend()
			rep, err = e.core.Pulse(ctx, store.User)
			if err != nil || rep.Waiting != 1 || len(rep.Renewals) != 0 || rep.Failed != 0 {
				t.Fatalf("pulse within the backoff: %+v, %v", rep, err)
			}
			e.clock.Advance(DefaultBackoffBase)
			rep, err = e.core.Pulse(ctx, store.User)
			if err != nil || rep.Failed != 0 || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
				t.Fatalf("pulse after the backoff: %+v, %v", rep, err)
			}
			if st, _ := e.core.RetryStates(store.User); len(st) != 0 {
				t.Errorf("retry state left after success: %+v", st)
			}
		})
	}
}

func TestPulsePermanentFailureReportedOnce(t *testing.T) {
	e := newEnv(t, envOpt{ca: longShort})
	ctx := context.Background()
	e.addServer(t, testca.DefaultPassword) // for the full fetch that confirms
	e.enroll(t, testca.TemplateShortLived)
	// Forget the cached policy and make the server forget the template:
	// the renewal cannot succeed until something changes.
	// Without its template the certificate is due by the 80% ratio.
	e.clock.Advance(100 * time.Minute)
	s, _ := e.core.Store(store.User)
	srv, _ := e.core.Server(store.User, e.srv.CEPURL())
	pc, _ := readPolicyCache(s, srv.ID)
	pc.Policies.Templates = slices.DeleteFunc(pc.Policies.Templates, func(t enroll.Template) bool { return t.CommonName == testca.TemplateShortLived })
	pc.Fetched = e.clock.Now()
	if err := writePolicyCache(s, srv.ID, pc); err != nil {
		t.Fatal(err)
	}
	// Only a full fetch may confirm the template is gone: the server must
	// really not list it.
	e.srv.WithdrawTemplate(testca.TemplateShortLived)
	rep, _ := e.core.Pulse(ctx, store.User)
	if rep.Failed != 1 || !rep.Renewals[0].Permanent || !strings.Contains(rep.Renewals[0].Reason, "no longer offers") {
		t.Fatalf("first pulse %+v", rep.Renewals)
	}
	e.clock.Advance(24 * time.Hour)
	rep, _ = e.core.Pulse(ctx, store.User)
	if rep.Failed != 0 || rep.Waiting != 1 || len(rep.Renewals) != 0 {
		t.Fatalf("second pulse %+v: a permanent failure is not retried", rep)
	}
	n := 0
	for _, r := range e.history(t) {
		if r.Outcome == OutcomeFailed {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d failures in the history, want 1", n)
	}
}

func TestTwoPulsesRenewOnce(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, "")
	e.enroll(t, testca.TemplateShortLived)
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	before := e.issuedCount(t)
	// Two cores on the same files stand for two processes (a GUI and a
	// scheduled pulse); the store's file lock serialises them.
	other, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool()})
	if err != nil {
		t.Fatal(err)
	}
	cores := []*Core{e.core, other}
	var wg sync.WaitGroup
	reps := make([]*PulseReport, 2)
	errs := make([]error, 2)
	for i := range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = cores[i].Pulse(context.Background(), store.User)
		}()
	}
	wg.Wait()
	ok := 0
	for i := range reps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for _, o := range reps[i].Renewals {
			if o.Outcome == OutcomeOK {
				ok++
			}
		}
	}
	if got := e.issuedCount(t) - before; ok != 1 || got != 1 {
		t.Fatalf("%d renewals reported, %d issued by the CA; want exactly one", ok, got)
	}
}

func TestPermanentClassification(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"CA refusal", &enroll.Fault{Code: "s:Receiver", HasDetail: true, ErrorCode: -2146877422}, true},
		{"denied", &enroll.Fault{Code: "s:Receiver", InvalidRequest: true, HasDetail: true}, true},
		{"sender fault", &enroll.Fault{Code: "s:Sender", Subcode: "a:FailedAuthentication"}, true},
		{"service fault", &enroll.Fault{Code: "s:Receiver", Subcode: "a:InternalServiceFault"}, false},
		{"CA unreachable", &enroll.Fault{Code: "s:Receiver", HasDetail: true, ErrorCode: -2147023174}, false},
		{"clock skew", &enroll.Fault{Code: "s:Sender", Subcode: "a:InvalidSecurity", Skew: time.Hour}, false},
		{"Kerberos only", &enroll.HTTPError{StatusCode: 401, Authenticate: []string{"Negotiate"}}, true},
		{"credentials", &enroll.HTTPError{StatusCode: 401}, true},
		{"5xx", &enroll.HTTPError{StatusCode: 503}, false},
		{"no password", fmt.Errorf("x: %w", ErrNoPassword), true},
		{"network", &url.Error{Op: "Post", Err: errors.New("connection refused")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := permanent(tt.err); got != tt.want {
				t.Errorf("permanent = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRenewalFallsBackToPassword: the certificate CES refuses (here a TLS
// proxy drops the client certificate), a password is saved, so the
// renewal goes over the password CES. Without the CA trusted, the renewed
// certificate's chain does not build: it is not installed and the old one
// stays as it was.
func TestRenewalFallsBackToPassword(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprintf("CA trusted %v", trusted), func(t *testing.T) { renewThroughProxy(t, trusted) })
	}
}

func renewThroughProxy(t *testing.T, trusted bool) {
	ctx := context.Background()
	e := newEnv(t, envOpt{})
	var fail atomic.Bool
	p := faultProxy(t, e.ca, "https://"+e.srv.Addr().String(), &fail)
	roots := x509.NewCertPool()
	roots.AddCert(p.Certificate())
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: roots})
	if err != nil {
		t.Fatal(err)
	}
	e.core = c
	url := p.URL + testca.PathCEP
	o := ServerOptions{URL: url, Auth: AuthPassword, Username: testca.DefaultUser, Password: testca.DefaultPassword}
	if trusted {
		o.CAFile, o.TrustCA = e.ca.RootFile(), true
	}
	if _, err := c.AddServer(ctx, store.User, o); err != nil {
		t.Fatal(err)
	}
	res, err := c.Enroll(ctx, EnrollRequest{Context: store.User, Server: url, Template: testca.TemplateShortLived})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err := c.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	o2 := rep.Renewals[0]
	if !trusted {
		if o2.Outcome != OutcomeFailed || !strings.Contains(o2.Reason, "chain does not build") {
			t.Fatalf("renewal %+v, want refused for its chain", o2)
		}
		if my := e.list(t, store.My); len(my) != 1 || my[0] != res.Thumbprint {
			t.Errorf("My %v, want the old certificate alone, not archived", my)
		}
		return
	}
	if o2.Outcome != OutcomeOK || o2.Method != MethodPassword {
		t.Fatalf("renewal %+v, want a password renewal", o2)
	}
}

// TestPendingKeyBasedRenewal: the CA pends the renewal; the old
// certificate stays until the new one is approved, then pulse installs it
// (polling with the old certificate, no password) and archives the old.
// A denied renewal is reported and not asked again.
func TestPendingKeyBasedRenewal(t *testing.T) {
	for _, approve := range []bool{true, false} {
		t.Run(map[bool]string{true: "approved", false: "denied"}[approve], func(t *testing.T) { pendingRenewal(t, approve) })
	}
}

func pendingRenewal(t *testing.T, approve bool) {
	e := newEnv(t, envOpt{ca: func(c *testca.Config) { longShort(c); c.Pending = true }})
	ctx := context.Background()
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived) // pends too: approve, then poll with a saved password
	if _, err := e.ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	srv, _ := e.core.Server(store.User, e.srv.CEPURL())
	if err := e.core.SetPassword(ctx, store.User, srv, testca.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeOK {
		t.Fatalf("first issuance: %+v, %v", rep, err)
	}
	if err := e.core.DeletePassword(ctx, store.User, srv); err != nil {
		t.Fatal(err)
	}
	old := rep.Requests[0].Thumbprint
	e.clock.Advance(time.Hour + time.Minute)
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomePending || rep.Failed != 0 {
		t.Fatalf("renewal: %+v, %v", rep, err)
	}
	pending, _ := e.ca.Pending()
	if len(pending) != 1 {
		t.Fatalf("CA pending %v", pending)
	}
	// Still pending: the old certificate stays, nothing is renewed twice.
	e.clock.Advance(10 * time.Minute)
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 0 || rep.Waiting != 1 || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomePending {
		t.Fatalf("pulse while pending: %+v, %v", rep, err)
	}
	if !approve {
		if err := e.ca.Deny(pending[0].ID, "renewals are frozen"); err != nil {
			t.Fatal(err)
		}
		rep, err = e.core.Pulse(ctx, store.User)
		if err != nil || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeDenied || len(rep.Renewals) != 0 {
			t.Fatalf("after denial: %+v, %v", rep, err)
		}
		if rep, _ = e.core.Pulse(ctx, store.User); len(rep.Renewals) != 0 || rep.Waiting != 1 {
			t.Fatalf("a denied renewal was asked again: %+v", rep)
		}
		if my := e.list(t, store.My); len(my) != 1 || my[0] != old {
			t.Errorf("My %v, want the old certificate as it was", my)
		}
		return
	}
	if _, err := e.ca.Approve(pending[0].ID); err != nil {
		t.Fatal(err)
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeOK {
		t.Fatalf("after approval: %+v, %v", rep, err)
	}
	my := e.list(t, store.My)
	if !slices.Contains(my, old+"+a") || !slices.Contains(my, rep.Requests[0].Thumbprint) || len(e.list(t, store.Request)) != 0 {
		t.Errorf("My %v, Request %v: want old archived, new installed, no request", my, e.list(t, store.Request))
	}
}
