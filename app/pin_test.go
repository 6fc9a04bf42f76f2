package app

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
	"github.com/certdesk/certdesk/store"
)

// smartCardKBR is UserSmartCard that allows key-based renewal.
var smartCardKBR = testca.Template{Name: "SmartCardKBR", OID: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 8, 4242, 1, 77},
	Schema: 2, MajorRevision: 100, MinKeyBits: 256, ECDSA: true, KeySpec: 2,
	PrivateKeyFlag: testca.PrivateKeyClientWin8 | testca.PrivateKeyServer2012, SubjectFlags: testca.SubjectRequireDirectoryDN | testca.SubjectRequireUPN,
	EnrollFlags: testca.EnrollAllowKBR, EKUs: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	Providers: []string{"Microsoft Smart Card Key Storage Provider"}}

// tokenEnv is a server env with a fresh SoftHSM2 token labelled label
// configured as where token keys are made; certificates live 8 hours, and
// testca offers smartCardKBR too.
func tokenEnv(t *testing.T, label string) (*env, Server) {
	t.Helper()
	e := newEnv(t, envOpt{ca: func(c *testca.Config) {
		c.Validity = 8 * time.Hour
		c.ExtraTemplates = []testca.Template{smartCardKBR}
	}})
	srv := e.addServer(t, testca.DefaultPassword)
	softhsmtest.NewToken(t, label)
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", label)
	t.Cleanup(func() { _ = e.core.ForgetPIN(context.Background(), store.User, label) })
	return e, srv
}

// dueSoon moves the clock into the renewal period of the entry.
func (e *env) dueSoon(t *testing.T, thumbprint string) {
	t.Helper()
	s, _ := e.core.Store(store.User)
	got, err := s.Get(context.Background(), store.My, thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(got.NotAfter.Sub(e.clock.Now()) - time.Hour)
}

// TestSavedPINRenewsUnattended: enroll with -save-pin keeps the PIN in
// the real keyring once the token took it; the pulse (no person) then
// renews the token key with it, the new key made on the token too.
func TestSavedPINRenewsUnattended(t *testing.T) {
	e, srv := tokenEnv(t, "pin-saved")
	ctx := context.Background()
	// A wrong PIN with Save is refused and nothing is saved.
	if _, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserSmartCard,
		PIN: "0000", SavePIN: true}); err == nil || err.Error() != `token "pin-saved" refused the PIN; nothing was changed` {
		t.Fatalf("wrong PIN: %v", err)
	}
	if hasPIN(t, e, store.User, "pin-saved") {
		t.Fatal("a refused PIN was saved")
	}
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserSmartCard,
		PIN: softhsmtest.PIN, SavePIN: true})
	if err != nil {
		t.Fatal(err)
	}
	if !hasPIN(t, e, store.User, "") {
		t.Fatal("the accepted PIN was not saved")
	}
	e.dueSoon(t, res.Thumbprint)
	rep, err := e.core.Pulse(ctx, store.User)
	// UserSmartCard allows no key-based renewal: the renewal goes to the
	// password CES, its CMS request signed by the old key on the token.
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	s, _ := e.core.Store(store.User)
	ne, err := s.Get(ctx, store.My, rep.Renewals[0].NewThumbprint)
	if err != nil || ne.KeyStorage != store.KeyPKCS11 || !strings.HasPrefix(ne.Meta.KeyRef, "pin-saved/") {
		t.Fatalf("renewed entry %+v, %v", ne, err)
	}
	if old, _ := s.Get(ctx, store.My, res.Thumbprint); !old.Meta.Archived {
		t.Error("the old certificate is not archived")
	}
	n := 0
	for _, o := range softhsmtest.Objects(t, "pin-saved") {
		if strings.HasPrefix(o, "Private Key Object") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d private keys on the token, want the old and the new", n)
	}
	softhsmtest.CheckKeyStaysOnToken(t, "pin-saved")

	if err := e.core.ForgetPIN(ctx, store.User, "pin-saved"); err != nil {
		t.Fatal(err)
	}
	if err := e.core.ForgetPIN(ctx, store.User, "pin-saved"); !errors.Is(err, ErrNoPIN) {
		t.Errorf("forgetting twice: %v", err)
	}
}

// TestKeyBasedRenewalOnToken: with the PIN saved, the pulse renews a
// token key by key-based renewal: the token's key authenticates the TLS
// connection to the certificate CES and signs the CMS request, and the
// new key is made on the token.
func TestKeyBasedRenewalOnToken(t *testing.T) {
	e, srv := tokenEnv(t, "pin-kbr")
	ctx := context.Background()
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: smartCardKBR.Name, PIN: softhsmtest.PIN, SavePIN: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyStorage != store.KeyPKCS11 {
		t.Fatalf("result %+v", res)
	}
	e.dueSoon(t, res.Thumbprint)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK || rep.Renewals[0].Method != MethodKeyBased {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	s, _ := e.core.Store(store.User)
	if ne, err := s.Get(ctx, store.My, rep.Renewals[0].NewThumbprint); err != nil || ne.KeyStorage != store.KeyPKCS11 {
		t.Fatalf("renewed entry %+v, %v", ne, err)
	}
	softhsmtest.CheckKeyStaysOnToken(t, "pin-kbr")
}

// TestUnattendedRenewalWithoutPIN: with no PIN saved, the pulse's renewal
// of a token key stops in one sentence before the CA sees anything, is
// permanent (not retried, reported once), and saving the PIN lets the
// next pulse renew it.
func TestUnattendedRenewalWithoutPIN(t *testing.T) {
	e, srv := tokenEnv(t, "pin-none")
	ctx := context.Background()
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserSmartCard, PIN: softhsmtest.PIN})
	if err != nil {
		t.Fatal(err)
	}
	if hasPIN(t, e, store.User, "pin-none") {
		t.Fatal("a PIN was saved without being asked to")
	}
	e.dueSoon(t, res.Thumbprint)
	n := e.requestsAt(t)
	rep, err := e.core.Pulse(ctx, store.User)
	want := "renewal of " + res.Thumbprint + ` needs the PIN of token "pin-none"; give it with -pin-stdin or save it with "certdesk pin save -token pin-none -pin-stdin"`
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Reason != want || !rep.Renewals[0].Permanent {
		t.Fatalf("pulse: %+v, %v\nwant %s", rep, err, want)
	}
	if e.requestsAt(t) != n {
		t.Error("the CA received a request")
	}
	e.clock.Advance(10 * time.Minute)
	if rep, _ = e.core.Pulse(ctx, store.User); len(rep.Renewals) != 0 || rep.Waiting != 1 {
		t.Fatalf("second pulse retried: %+v", rep)
	}
	// A wrong PIN is not saved; the right one is, and the pulse renews.
	var pe *PINError
	if err := e.core.SavePIN(ctx, store.User, "pin-none", "0000"); !errors.As(err, &pe) || !pe.Wrong {
		t.Fatalf("save a wrong PIN: %v", err)
	}
	if err := e.core.SavePIN(ctx, store.User, "pin-none", softhsmtest.PIN); err != nil {
		t.Fatal(err)
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("pulse after saving the PIN: %+v, %v", rep, err)
	}
}

// TestRenewNowAsksForThePIN: an explicit renewal without a PIN, or with a
// wrong one, returns a *PINError before anything is sent or recorded; the
// PIN given for the call renews, and is saved only when asked.
func TestRenewNowAsksForThePIN(t *testing.T) {
	e, srv := tokenEnv(t, "pin-now")
	ctx := context.Background()
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserSmartCard, PIN: softhsmtest.PIN})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.core.Store(store.User)
	before, n := hashTree(t, s.Dir()), e.requestsAt(t)
	var pe *PINError
	if _, err := e.core.Renew(ctx, store.User, res.Thumbprint); !errors.As(err, &pe) || pe.Wrong || pe.Token != "pin-now" {
		t.Fatalf("renew without a PIN: %v", err)
	}
	_, err = e.core.Renew(WithTokenPIN(ctx, TokenPIN{PIN: "0000", Save: true}), store.User, res.Thumbprint)
	if !errors.As(err, &pe) || !pe.Wrong || err.Error() != `token "pin-now" refused the PIN; nothing was changed` {
		t.Fatalf("renew with a wrong PIN: %v", err)
	}
	if hashTree(t, s.Dir()) != before || e.requestsAt(t) != n || hasPIN(t, e, store.User, "pin-now") {
		t.Fatal("a refused PIN changed something")
	}
	o, err := e.core.Renew(WithTokenPIN(ctx, TokenPIN{PIN: softhsmtest.PIN}), store.User, res.Thumbprint)
	if err != nil || o.Outcome != OutcomeOK {
		t.Fatalf("renew with the PIN: %+v, %v", o, err)
	}
	if hasPIN(t, e, store.User, "pin-now") {
		t.Error("the PIN was saved without being asked to")
	}
}

// TestMachinePINFile: the machine context keeps the PIN in a root-only
// file under its directory, not the keyring.
func TestMachinePINFile(t *testing.T) {
	e, _ := tokenEnv(t, "pin-machine")
	ctx := context.Background()
	if err := e.core.SavePIN(ctx, store.Machine, "pin-machine", softhsmtest.PIN); err != nil {
		t.Fatal(err)
	}
	if hasPIN(t, e, store.User, "pin-machine") || !hasPIN(t, e, store.Machine, "pin-machine") {
		t.Fatal("the machine PIN is not where it belongs")
	}
	s, _ := e.core.Store(store.Machine)
	f := pinFile(s, softhsmtest.Module, "pin-machine")
	if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("PIN file %v", err)
	}
	if err := e.core.ForgetPIN(ctx, store.Machine, "pin-machine"); err != nil || hasPIN(t, e, store.Machine, "pin-machine") {
		t.Fatalf("forget: %v", err)
	}
}

func TestPINErrorSentences(t *testing.T) {
	for _, tt := range []struct {
		e    PINError
		want string
	}{
		{PINError{Token: "card", What: "renewal of AB"}, `renewal of AB needs the PIN of token "card"; give it with -pin-stdin or save it with "certdesk pin save -token card -pin-stdin"`},
		{PINError{Token: "my card", Wrong: true, Saved: true}, `token "my card" refused the PIN saved for it; nothing was changed (save the right one with "certdesk pin save -token 'my card' -pin-stdin")`},
		{PINError{Token: "c'd", Wrong: true}, `token "c'd" refused the PIN; nothing was changed`},
		{PINError{Token: "card", What: "renewal of AB", Context: store.Machine}, `renewal of AB needs the PIN of token "card"; give it with -pin-stdin or save it with "certdesk pin save -context machine -token card -pin-stdin"`},
		{PINError{Token: "smart card", What: "renewal of AB", CNG: true}, `renewal of AB needs the PIN of the smart card; give it with -pin-stdin`},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v:\n%s\nwant %s", tt.e, got, tt.want)
		}
	}
	if !permanent(fmt.Errorf("x: %w", &PINError{Token: "t"})) {
		t.Error("a missing PIN is retried automatically")
	}
}

func hasPIN(t *testing.T, e *env, cx store.Context, label string) bool {
	t.Helper()
	ok, err := e.core.HasPIN(context.Background(), cx, label)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
