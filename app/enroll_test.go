package app

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/store"
)

func TestEnrollPasswordKeepsPasswordInKeyringOnly(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	srv := e.addServer(t, testca.DefaultPassword)
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUser})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusIssued || res.Store != "My" {
		t.Fatalf("result %+v, want issued into My", res)
	}
	s, _ := e.core.Store(store.User)
	got, err := s.Get(ctx, store.My, res.Thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	if !got.HasKey || got.Meta.TemplateName != testca.TemplateUser || got.Meta.PolicyServer != srv.ID || got.Meta.RequestID == "" ||
		got.Meta.TemplateOID == "" {
		t.Errorf("entry %+v lacks key or metadata", got.Meta)
	}
	if cas := e.list(t, store.CA); len(cas) != 1 {
		t.Errorf("CA store %v, want the issuing CA", cas)
	}
	if roots := e.list(t, store.Root); len(roots) != 1 {
		t.Errorf("Root store %v, want the trusted CA file only", roots)
	}
	if p, err := e.core.Password(ctx, store.User, srv); err != nil || p != testca.DefaultPassword {
		t.Fatalf("keyring password %q, %v", p, err)
	}
	// The password is in no file under data, config and state (all under
	// the core's root here), which includes the history: the core's only log.
	root := e.core.Location().Data
	_ = filepath.WalkDir(filepath.Dir(root), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(testca.DefaultPassword)) {
			t.Errorf("the password is in %s", p)
		}
		return nil
	})
	if recs := e.history(t); len(recs) == 0 || recs[len(recs)-1].Action != ActionEnroll || recs[len(recs)-1].Outcome != OutcomeOK {
		t.Errorf("history %+v, want an enroll ok", recs)
	}
	if err := e.core.RemoveServer(ctx, store.User, srv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Password(ctx, store.User, srv); !errors.Is(err, ErrNoPassword) {
		t.Errorf("after remove: %v, want no password", err)
	}
}

func TestEnrollRejectsBadInputBeforeTheNetwork(t *testing.T) {
	e := newEnv(t, envOpt{ca: func(c *testca.Config) {
		c.ExtraTemplates = []testca.Template{{Name: "TPMUser", OID: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 8, 4242, 1, 99},
			Schema: 2, MajorRevision: 100, MinKeyBits: 2048, KeySpec: 1, PrivateKeyFlag: 0x2000}}
	}})
	e.addServer(t, testca.DefaultPassword)
	tests := []struct {
		name string
		req  EnrollRequest
		want string
	}{
		{"unknown template", EnrollRequest{Template: "Nope"}, "no template"},
		{"subject on a CA-built template", EnrollRequest{Template: testca.TemplateUser, Subject: "CN=x"}, "drop -subject"},
		{"dns on a CA-built template", EnrollRequest{Template: testca.TemplateUser, DNSNames: []string{"a.example"}}, "drop -dns"},
		{"weaker key", EnrollRequest{Template: testca.TemplateWebServer, Subject: "CN=w", Key: "rsa1024"}, "unknown key"},
		{"other algorithm", EnrollRequest{Template: testca.TemplateWebServer, Subject: "CN=w", Key: "p256"}, "asks for an RSA"},
		{"bad dns", EnrollRequest{Template: testca.TemplateWebServer, DNSNames: []string{"bad name"}}, "not a DNS name"},
		{"no subject", EnrollRequest{Template: testca.TemplateWebServer}, "needs a subject"},
		{"unknown server", EnrollRequest{Server: "zz", Template: testca.TemplateUser}, "no such policy server"},
		{"attestation required", EnrollRequest{Template: "TPMUser"}, "cannot be used: it requires key attestation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Context = store.User
			if tt.req.Server == "" {
				tt.req.Server = e.srv.CEPURL()
			}
			_, err := e.core.Enroll(context.Background(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if my := e.list(t, store.My); len(my) != 0 {
				t.Errorf("My changed: %v", my)
			}
		})
	}
}

func TestEnrollWebServerStrongerKey(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, testca.DefaultPassword)
	res, err := e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: e.srv.CEPURL(),
		Template: testca.TemplateWebServer, Subject: "CN=web.example", DNSNames: []string{"web.example"}, Key: "rsa3072"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.core.Store(store.User)
	got, _ := s.Get(context.Background(), store.My, res.Thumbprint)
	if got.KeySize != 3072 || !slices.Contains(got.Certificate.DNSNames, "web.example") {
		t.Errorf("key %d, DNS %v", got.KeySize, got.Certificate.DNSNames)
	}
}

func TestPendingApproveAndDeny(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, testca.DefaultPassword)

	res := e.enroll(t, testca.TemplatePendAll)
	if res.Status != StatusPending || res.RequestID == "" || len(e.list(t, store.Request)) != 1 {
		t.Fatalf("enroll: %+v, Request %v", res, e.list(t, store.Request))
	}
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomePending {
		t.Fatalf("pulse before approval: %+v, %v", rep, err)
	}
	if _, err := e.ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	var issued []Event
	defer e.core.Subscribe(func(ev Event) {
		if ev.Kind == RequestIssued {
			issued = append(issued, ev)
		}
	})()
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeOK {
		t.Fatalf("pulse after approval: %+v, %v", rep, err)
	}
	if my, req := e.list(t, store.My), e.list(t, store.Request); len(my) != 1 || len(req) != 0 {
		t.Fatalf("My %v, Request %v: want the certificate installed and the request gone", my, req)
	}
	s, _ := e.core.Store(store.User)
	if got, _ := s.Get(ctx, store.My, rep.Requests[0].Thumbprint); !got.HasKey || got.Meta.RequestID != res.RequestID {
		t.Errorf("installed entry %+v", got.Meta)
	}
	if len(issued) != 1 || issued[0].RequestID != res.RequestID || issued[0].Thumbprint != rep.Requests[0].Thumbprint || issued[0].Context != "user" {
		t.Errorf("RequestIssued events %+v", issued)
	}

	res = e.enroll(t, testca.TemplatePendAll)
	if err := e.ca.Deny(res.RequestID, "not on the list"); err != nil {
		t.Fatal(err)
	}
	outs, err := e.core.RequestStatus(ctx, store.User)
	if err != nil || len(outs) != 1 || outs[0].Outcome != OutcomeDenied || !strings.Contains(outs[0].Reason, "not on the list") {
		t.Fatalf("status after deny: %+v, %v", outs, err)
	}
	if req := e.list(t, store.Request); len(req) != 0 {
		t.Errorf("Request %v: the denied key must be removed", req)
	}
	recs := e.history(t)
	last := recs[len(recs)-1]
	if last.Action != ActionDeny || last.Outcome != OutcomeDenied || !strings.Contains(last.Reason, "not on the list") {
		t.Errorf("history ends with %+v", last)
	}
}

func TestKeyBasedRenewalWithoutSavedPassword(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	srv := e.addServer(t, "") // no saved password: renewal must not need one
	res := e.enroll(t, testca.TemplateShortLived)
	if _, err := e.core.Password(ctx, store.User, srv); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("a password is saved: %v", err)
	}
	dir := t.TempDir()
	hook := Hook{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
		Command: []string{"sh", "-c", `echo "$CERTDESK_THUMBPRINT" > ` + filepath.Join(dir, "ran")}}
	if err := e.core.SetHook(ctx, store.User, res.Thumbprint, hook); err != nil {
		t.Fatal(err)
	}

	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || rep.Due != 0 || len(rep.Renewals) != 0 {
		t.Fatalf("fresh certificate: %+v, %v", rep, err)
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Renewals) != 1 {
		t.Fatalf("due certificate: %+v, %v", rep, err)
	}
	o := rep.Renewals[0]
	if o.Outcome != OutcomeOK || o.Method != MethodKeyBased || o.NewThumbprint == "" {
		t.Fatalf("renewal %+v", o)
	}
	if my := e.list(t, store.My); !slices.Contains(my, res.Thumbprint+"+a") || !slices.Contains(my, o.NewThumbprint) {
		t.Errorf("My %v: want the old archived and the new one", my)
	}
	recs := e.history(t)
	if !slices.ContainsFunc(recs, func(r Record) bool {
		return r.Action == ActionRenew && r.Outcome == OutcomeOK && r.Thumbprint == o.NewThumbprint && strings.Contains(r.Reason, "key-based")
	}) {
		t.Errorf("history %+v lacks the key-based renewal", recs)
	}
	if len(o.Hooks) != 1 || !o.Hooks[0].OK {
		t.Fatalf("hooks %+v", o.Hooks)
	}
	if ran, _ := os.ReadFile(filepath.Join(dir, "ran")); strings.TrimSpace(string(ran)) != o.NewThumbprint {
		t.Errorf("hook ran with %q", ran)
	}
	if fi, err := os.Stat(hook.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
	if hooks, _ := e.core.Hooks(store.User); hooks[o.NewThumbprint].CertFile == "" {
		t.Errorf("hook did not follow the certificate: %+v", hooks)
	}
}

// TestKeyBasedRenewalThroughRegisteredKBRCEP: with a key-based-renewal CEP
// registered, pulse asks it for the policy with the certificate itself.
func TestKeyBasedRenewalThroughRegisteredKBRCEP(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	if _, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser,
		CAFile: e.ca.RootFile(), TrustCA: true, KBRURL: e.srv.KBRCEPURL()}); err != nil {
		t.Fatal(err)
	}
	res := e.enroll(t, testca.TemplateShortLived)
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK || rep.Renewals[0].Method != MethodKeyBased {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	if my := e.list(t, store.My); !slices.Contains(my, res.Thumbprint+"+a") {
		t.Errorf("My %v: the old certificate is not archived", my)
	}
}

// unavailableKeyring is a keyring that is never there.
type unavailableKeyring struct{}

func (unavailableKeyring) Get(context.Context, string, string) (string, error) {
	return "", keyring.ErrUnavailable
}
func (unavailableKeyring) Set(context.Context, string, string, string) error {
	return keyring.ErrUnavailable
}
func (unavailableKeyring) Delete(context.Context, string, string) error {
	return keyring.ErrUnavailable
}

func TestAddServerWithoutKeyringChangesNothing(t *testing.T) {
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Keyring: unavailableKeyring{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AddServer(context.Background(), store.User, ServerOptions{URL: "https://ca.example/CEP", Auth: AuthPassword, Username: "u", Password: "p"})
	if !errors.Is(err, keyring.ErrUnavailable) || !strings.Contains(err.Error(), "gnome-keyring") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want the keyring sentence with its remedy", err)
	}
	if list, _ := c.Servers(store.User); len(list) != 0 {
		t.Errorf("servers %v registered without their password", list)
	}
}

func TestSettingsFromPrefs(t *testing.T) {
	p, err := OpenFilePrefs(filepath.Join(t.TempDir(), "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.RenewalRatio = 0.5
	s.Save(p)
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Prefs: p})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Settings().RenewalRatio; got != 0.5 {
		t.Fatalf("ratio %v, want the saved 0.5", got)
	}
	s.RenewalRatio = 2
	if err := c.SetSettings(s); err == nil {
		t.Error("an invalid ratio was accepted")
	}
}

func TestTestServerTrustsTheCAFileForOneCall(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	o := ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser, Password: testca.DefaultPassword}
	var ue *enroll.UntrustedServerError
	if _, err := e.core.TestServer(ctx, store.User, o); !errors.As(err, &ue) {
		t.Fatalf("without the CA file: %v, want an untrusted server", err)
	}
	o.CAFile = e.ca.RootFile()
	pol, err := e.core.TestServer(ctx, store.User, o)
	if err != nil || pol.Template(testca.TemplateUser) == nil {
		t.Fatalf("with the CA file: %v", err)
	}
	if roots := e.list(t, store.Root); len(roots) != 0 {
		t.Errorf("TestServer trusted the CA for good: %v", roots)
	}
	srv := e.addServer(t, testca.DefaultPassword)
	if !e.core.HasPassword(ctx, store.User, srv) {
		t.Error("HasPassword false after saving one")
	}
	if err := e.core.SetAutoEnroll(ctx, store.User, srv.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.core.Server(store.User, srv.ID); !got.AutoEnroll {
		t.Error("autoenroll not saved")
	}
}

// TestEnrollWithoutKeyringSendsNothing: when the key could not be kept (no
// Secret Service reachable: no session bus address, as in an SSH session),
// enrollment fails before the CA is asked, so no certificate is issued and lost.
func TestEnrollWithoutKeyringSendsNothing(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	c := newCore(t, t.TempDir(), e.clock, 0)
	s, _ := c.Store(store.User)
	if _, err := c.AddServer(ctx, store.User, ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword,
		Username: testca.DefaultUser, CAFile: e.ca.RootFile(), TrustCA: true}); err != nil {
		t.Fatal(err)
	}
	// The process's bus connection is cached by godbus, so a bogus address
	// would not be noticed: an unset one is refused by internal/keyring.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, err := c.Enroll(ctx, EnrollRequest{Context: store.User, Server: e.srv.CEPURL(),
		Template: testca.TemplateUser, Password: testca.DefaultPassword})
	if !errors.Is(err, store.ErrKeyringUnavailable) && !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("err = %v, want the keyring error", err)
	}
	if n := e.issuedCount(t); n != 0 {
		t.Errorf("the CA issued %d certificates for a key that could not be kept", n)
	}
	if my, _ := s.List(ctx, store.My, store.ListOptions{IncludeArchived: true}); len(my) != 0 {
		t.Errorf("My holds %v", my)
	}
}

func TestCommonName(t *testing.T) {
	for dn, want := range map[string]string{
		"CN=demo@certdesk.test,OU=Users": "demo@certdesk.test",
		`OU=Users,CN=a\,b`:               "a,b",
		"CN=kiosk01.demo.test":           "kiosk01.demo.test",
		"O=Example":                      "O=Example",
		"kiosk01":                        "kiosk01",
		"":                               "",
		// A multi-valued name is shown whole: enroll.ParseDN does not
		// take them, and certificates rarely carry them.
		"cn=x+OU=y": "cn=x+OU=y",
	} {
		if got := CommonName(dn); got != want {
			t.Errorf("CommonName(%q) = %q, want %q", dn, got, want)
		}
	}
}

// TestKeyChoicesAreChooseKey: the keys KeyChoices offers for a template
// (the GUI's key step) are exactly those chooseKey accepts (enroll -key).
func TestKeyChoicesAreChooseKey(t *testing.T) {
	for _, tmpl := range []enroll.Template{
		{CommonName: "rsa"},
		{CommonName: "rsa3072", MinimalKeyLength: 3072},
		{CommonName: "rsa4096", MinimalKeyLength: 4096},
		{CommonName: "ec", KeyAlgorithm: "1.2.840.10045.2.1", MinimalKeyLength: 256},
		{CommonName: "p384", KeyAlgorithm: "1.3.132.0.34"},
		{CommonName: "dsa", KeyAlgorithm: "1.2.840.10040.4.1"},
	} {
		offered := map[string]bool{}
		for _, k := range KeyChoices(&tmpl) {
			offered[k.Name] = true
		}
		for _, k := range AllKeys() {
			_, err := chooseKey(&tmpl, k.Name)
			if (err == nil) != offered[k.Name] {
				t.Errorf("%s: %s offered %v, chooseKey: %v", tmpl.CommonName, k.Name, offered[k.Name], err)
			}
		}
	}
}
