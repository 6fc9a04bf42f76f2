package app

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/scep"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// scepEnv is testca with its NDES endpoint over HTTPS and plain HTTP, and
// a core whose whole root the test can scan.
type scepEnv struct {
	*env
	root string
	http *testca.SCEPHTTP
}

func newSCEPEnv(t *testing.T, o envOpt) *scepEnv {
	t.Helper()
	e := newEnv(t, o)
	root := t.TempDir()
	e.core = newCore(t, root, e.clock, 0)
	h, err := e.srv.StartSCEPHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return &scepEnv{env: e, root: root, http: h}
}

// addSCEP registers the HTTPS endpoint (trusting testca's root for TLS)
// or, with pin, the plain-HTTP one pinned to it.
func (e *scepEnv) addSCEP(t *testing.T, pin string) Server {
	t.Helper()
	o := ServerOptions{Protocol: ProtocolSCEP, URL: e.srv.SCEPURL(), Auth: AuthAnonymous, CAFile: e.ca.RootFile(), TrustCA: true}
	if pin != "" {
		o = ServerOptions{Protocol: ProtocolSCEP, URL: e.http.URL(), Auth: AuthAnonymous, CAFingerprint: pin}
	}
	srv, err := e.core.AddServer(context.Background(), store.User, o)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func (e *scepEnv) enrollSCEP(srv Server, challenge string) (*EnrollResult, error) {
	return e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: srv.ID,
		Subject: "CN=router1,O=Example", DNSNames: []string{"router1.example.com"}, Challenge: challenge})
}

// TestSCEPEnroll: over HTTPS and over pinned HTTP a one-time challenge
// gets a certificate with the asked names; a used or wrong challenge is
// refused in a sentence and leaves My as it was; the challenge is in no
// file certdesk wrote.
func TestSCEPEnroll(t *testing.T) {
	e := newSCEPEnv(t, envOpt{})
	for _, srv := range []Server{e.addSCEP(t, ""), e.addSCEP(t, Fingerprint(e.ca.Issuing()))} {
		pol, err := e.core.Policies(context.Background(), store.User, srv.ID, "", true)
		if err != nil || len(pol.Templates) != 1 || pol.Templates[0].CommonName != SCEPTemplate || !Enrollable(&pol.Templates[0]) {
			t.Fatalf("%s offers %+v, %v", srv.URL, pol, err)
		}
		challenge := e.srv.SCEPChallenge()
		res, err := e.enrollSCEP(srv, challenge)
		if err != nil || res.Status != StatusIssued || res.Template != SCEPTemplate {
			t.Fatalf("%s: %+v, %v", srv.URL, res, err)
		}
		s, _ := e.core.Store(store.User)
		got, err := s.Get(context.Background(), store.My, res.Thumbprint)
		if err != nil || got.Certificate.Subject.CommonName != "router1" || len(got.Certificate.DNSNames) != 1 || got.Meta.PolicyServer != srv.ID {
			t.Fatalf("installed %+v, %v", got, err)
		}
		before := len(e.list(t, store.My))
		for _, bad := range []string{challenge, "0000000000000000"} {
			_, err := e.enrollSCEP(srv, bad)
			if !errors.Is(err, enroll.ErrDenied) || !strings.Contains(err.Error(), "challenge password") {
				t.Errorf("challenge %q: %v", bad, err)
			}
		}
		if n := len(e.list(t, store.My)); n != before {
			t.Errorf("a refused challenge changed My: %d → %d", before, n)
		}
		scanFor(t, e.root, challenge)
	}
}

// scanFor fails if secret appears in any file under root.
func scanFor(t *testing.T, root, secret string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the challenge", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSCEPPinMismatch: a GetCACert whose CA is not the pinned one is
// refused before any PKIOperation is sent.
func TestSCEPPinMismatch(t *testing.T) {
	e := newSCEPEnv(t, envOpt{})
	srv := e.addSCEP(t, strings.Repeat("ab", 32))
	_, err := e.enrollSCEP(srv, e.srv.SCEPChallenge())
	if !errors.Is(err, scep.ErrPinMismatch) {
		t.Fatalf("enroll: %v", err)
	}
	if n := e.srv.SCEPOperations(); n != 0 {
		t.Errorf("testca saw %d PKIOperations", n)
	}
	if n := len(e.list(t, store.My)); n != 0 {
		t.Errorf("My holds %d entries", n)
	}
}

// TestSCEPPendingApprove: a pending answer leaves the key in Request; the
// poll reports pending until testca approves, then installs it.
func TestSCEPPendingApprove(t *testing.T) {
	e := newSCEPEnv(t, envOpt{ca: func(c *testca.Config) { c.Pending = true }})
	srv := e.addSCEP(t, Fingerprint(e.ca.Issuing()))
	res, err := e.enrollSCEP(srv, e.srv.SCEPChallenge())
	if err != nil || res.Status != StatusPending || res.Store != string(store.Request) || res.RequestID == "" {
		t.Fatalf("enroll: %+v, %v", res, err)
	}
	e.statusOne(t, OutcomePending)
	pend, err := e.ca.Pending()
	if err != nil || len(pend) != 1 {
		t.Fatalf("testca pending: %+v, %v", pend, err)
	}
	if _, err := e.ca.Approve(pend[0].ID); err != nil {
		t.Fatal(err)
	}
	o := e.statusOne(t, OutcomeOK)
	if len(e.list(t, store.My)) != 1 || len(e.list(t, store.Request)) != 0 || o.Thumbprint == "" {
		t.Errorf("after approval: My %v, Request %v", e.list(t, store.My), e.list(t, store.Request))
	}
}

// TestSCEPPendingDenied: a denied pending request loses its key.
func TestSCEPPendingDenied(t *testing.T) {
	e := newSCEPEnv(t, envOpt{ca: func(c *testca.Config) { c.Pending = true }})
	srv := e.addSCEP(t, "")
	if _, err := e.enrollSCEP(srv, e.srv.SCEPChallenge()); err != nil {
		t.Fatal(err)
	}
	pend, _ := e.ca.Pending()
	if len(pend) != 1 || e.ca.Deny(pend[0].ID, "no") != nil {
		t.Fatalf("deny %+v", pend)
	}
	e.statusOne(t, OutcomeDenied)
	if n := len(e.list(t, store.Request)); n != 0 {
		t.Errorf("Request holds %d entries", n)
	}
}

// TestSCEPRenew: renewal signed by the current certificate, as a
// RenewalReq where GetCACaps lists Renewal and as a PKCSReq (NDES)
// otherwise; the old certificate is archived.
func TestSCEPRenew(t *testing.T) {
	for _, caps := range [][]string{nil, {"SHA-256", "AES"}} {
		e := newSCEPEnv(t, envOpt{})
		e.srv.SetSCEPCaps(caps)
		srv := e.addSCEP(t, "")
		res, err := e.enrollSCEP(srv, e.srv.SCEPChallenge())
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.core.Renew(context.Background(), store.User, res.Thumbprint)
		if err != nil || o.Outcome != OutcomeOK || o.Method != MethodKeyBased || o.NewThumbprint == "" {
			t.Fatalf("caps %v: renew %+v, %v", caps, o, err)
		}
		s, _ := e.core.Store(store.User)
		ne, err := s.Get(context.Background(), store.My, o.NewThumbprint)
		if err != nil || ne.Certificate.Subject.CommonName != "router1" || ne.Meta.PolicyServer != srv.ID {
			t.Fatalf("renewed %+v, %v", ne, err)
		}
		old, _ := s.Get(context.Background(), store.My, res.Thumbprint)
		if !old.Meta.Archived {
			t.Errorf("the old certificate is not archived")
		}
	}
}

// TestSCEPFailInfo: each failInfo becomes its sentence; all but badTime
// are denials (permanent).
func TestSCEPFailInfo(t *testing.T) {
	e := newSCEPEnv(t, envOpt{})
	srv := e.addSCEP(t, "")
	for f, want := range map[testca.Fault]string{
		testca.FaultSCEPBadAlg: "badAlg", testca.FaultSCEPBadMessageCheck: "badMessageCheck", testca.FaultSCEPBadRequest: "badRequest",
		testca.FaultSCEPBadTime: "clock", testca.FaultSCEPBadCertID: "badCertID",
	} {
		e.srv.SetFault(f)
		_, err := e.enrollSCEP(srv, e.srv.SCEPChallenge())
		var fe *scep.FailError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", f, err)
		}
		if denied := errors.Is(err, enroll.ErrDenied); denied == (f == testca.FaultSCEPBadTime) || enroll.Permanent(err) != denied {
			t.Errorf("%s: denied %v, permanent %v", f, denied, enroll.Permanent(err))
		}
	}
	for _, f := range []testca.Fault{testca.FaultHTTP500, testca.FaultMalformed} {
		e.srv.SetFault(f)
		if _, err := e.enrollSCEP(srv, e.srv.SCEPChallenge()); err == nil || enroll.Permanent(err) {
			t.Errorf("%s: %v (permanent %v)", f, err, enroll.Permanent(err))
		}
	}
	e.srv.SetFault(testca.FaultNone)
	if n := len(e.list(t, store.My)) + len(e.list(t, store.Request)); n != 0 {
		t.Errorf("failures left %d entries", n)
	}
}

// TestSCEPChallengeFromAdminPage: with a password server and no
// challenge, certdesk fetches one from mscep_admin with the saved
// credentials; a wrong password is refused there.
func TestSCEPChallengeFromAdminPage(t *testing.T) {
	e := newSCEPEnv(t, envOpt{})
	srv, err := e.core.AddServer(context.Background(), store.User, ServerOptions{Protocol: ProtocolSCEP, URL: e.srv.SCEPURL(),
		Auth: AuthPassword, Username: testca.DefaultUser, Password: testca.DefaultPassword, CAFile: e.ca.RootFile(), TrustCA: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.enrollSCEP(srv, "")
	if err != nil || res.Status != StatusIssued {
		t.Fatalf("enroll: %+v, %v", res, err)
	}
	_, err = e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: srv.ID, Subject: "CN=x", Password: "wrong"})
	if !errors.Is(err, enroll.ErrCredentialsRefused) {
		t.Errorf("a wrong password: %v", err)
	}
}

// TestSCEPPulseRenews: the pulse renews a due SCEP certificate like a CEP
// one (over the pinned http endpoint: a year on, testca's TLS certificate
// has expired).
func TestSCEPPulseRenews(t *testing.T) {
	e := newSCEPEnv(t, envOpt{})
	srv, err := e.core.AddServer(context.Background(), store.User, ServerOptions{Protocol: ProtocolSCEP, URL: e.http.URL(),
		Auth: AuthAnonymous, CAFingerprint: Fingerprint(e.ca.Issuing()), CAFile: e.ca.RootFile(), TrustCA: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.enrollSCEP(srv, e.srv.SCEPChallenge())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(350 * 24 * time.Hour)
	rep, err := e.core.Pulse(context.Background(), store.User)
	if err != nil || rep.Due != 1 || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK || rep.Renewals[0].Thumbprint != res.Thumbprint {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
}
