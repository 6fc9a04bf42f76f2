package ui

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"
	"unicode/utf16"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// testNow is the fixed "now" of every test.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC // dates in markup masters must not depend on the machine
	os.Exit(m.Run())
}

// fixtures are certificates made with a fixed random source so their
// bytes, and so the markup masters, are stable.
type fixtures struct {
	root, rsaLeaf, ecLeaf *x509.Certificate
	rootKey               *rsa.PrivateKey
	rsaKey                *rsa.PrivateKey
	ecKey                 *ecdsa.PrivateKey
}

func newFixtures(t *testing.T) *fixtures {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	f := &fixtures{}
	var err error
	if f.rootKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if f.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if f.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Example Corp Root CA", Organization: []string{"Example Corp"}, Country: []string{"DE"}},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	f.root = f.sign(t, rootTmpl, nil, &f.rootKey.PublicKey)

	rsaTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(0x1234abcd5678),
		Subject:               pkix.Name{CommonName: "kiosk01.corp.example.com", Organization: []string{"Example Corp"}, OrganizationalUnit: []string{"Kiosks"}},
		NotBefore:             time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC),
		NotAfter:              time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:              []string{"kiosk01.corp.example.com", "kiosk01"},
		IPAddresses:           []net.IP{net.ParseIP("192.0.2.17")},
		OCSPServer:            []string{"http://ocsp.corp.example.com"},
		IssuingCertificateURL: []string{"http://pki.corp.example.com/root.crt"},
		CRLDistributionPoints: []string{"http://pki.corp.example.com/root.crl"},
		Policies:              []x509.OID{mustOID(t, "1.3.6.1.4.1.311.21.8.1.2.3")},
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2}, Value: bmpString("WebServer")},
			{Id: asn1.ObjectIdentifier{1, 2, 3, 4, 5}, Value: []byte{0x04, 0x03, 0x01, 0x02, 0x03}},
		},
	}
	f.rsaLeaf = f.sign(t, rsaTmpl, f.root, &f.rsaKey.PublicKey)

	upn, _ := asn1.Marshal("kiosk@corp.example.com")
	other, _ := asn1.Marshal(struct {
		ID    asn1.ObjectIdentifier
		Value asn1.RawValue
	}{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}, asn1.RawValue{Class: asn1.ClassContextSpecific, IsCompound: true, Bytes: upn}})
	other[0] = 0xa0 // [0] IMPLICIT otherName
	san, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true,
		Bytes: append(other, append([]byte{0x81, 22}, "kiosk@corp.example.com"...)...)})
	tmplInfo, _ := asn1.Marshal(store.TemplateInfo{ID: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 8, 7, 1}, Major: 100, Minor: 4})
	ecTmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(42),
		Subject:            pkix.Name{CommonName: "Kiosk User", Organization: []string{"Example Corp"}},
		NotBefore:          time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:           time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}, {1, 3, 6, 1, 4, 1, 311, 10, 3, 4}},
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: san},
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 7}, Value: tmplInfo},
		},
	}
	f.ecLeaf = f.sign(t, ecTmpl, f.root, &f.ecKey.PublicKey)
	return f
}

func (f *fixtures) sign(t *testing.T, tmpl, parent *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, f.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustOID(t *testing.T, s string) x509.OID {
	o, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func bmpString(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := []byte{asn1.TagBMPString, byte(2 * len(u))}
	for _, r := range u {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// entryOf wraps a certificate as a store entry, with the fields the
// store's index fills in.
func entryOf(c *x509.Certificate, hasKey bool) store.Entry {
	e := store.Entry{Store: store.My, Thumbprint: store.Thumbprint(c.Raw), Subject: c.Subject.String(),
		SubjectCN: c.Subject.CommonName, Issuer: c.Issuer.String(), IssuerCN: c.Issuer.CommonName,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, HasKey: hasKey, IsCA: c.IsCA, Certificate: c}
	sum := sha256.Sum256(c.Raw)
	e.SHA256 = formatHex(sum[:], 0)
	for _, d := range c.DNSNames {
		e.SANs = append(e.SANs, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		e.SANs = append(e.SANs, "IP:"+ip.String())
	}
	e.Meta.TemplateName, e.Meta.TemplateOID = store.CertificateTemplate(c)
	return e
}

// fakeCore is an in-memory Core that records the calls it gets.
type fakeCore struct {
	mu       sync.Mutex
	contexts []ContextInfo
	entries  map[string][]store.Entry // by "context/store"
	calls    []string
	err      error // returned by the mutating calls when set
	enroll   fakeEnroll
	more     fakeMore
	gate     chan struct{} // when set, List waits for it to close
	// health is what Health answers for every context; nil answers
	// "no certificates".
	health *app.HealthReport
	pulse  *app.PulseReport // what Pulse answers; nil: nothing checked
	// revocation is the cached revocation answers by thumbprint;
	// checked is what Revocation answers with refresh (and then caches).
	revocation map[string]app.RevocationResult
	checked    app.RevocationResult
}

var _ Core = (*fakeCore)(nil)

func newFakeCore() *fakeCore {
	return &fakeCore{entries: map[string][]store.Entry{}}
}

func key(c store.Context, n store.Name) string { return string(c) + "/" + string(n) }

// put sets the entries of a store and keeps the contexts' counts in step.
func (c *fakeCore) put(id store.Context, n store.Name, readOnly bool, entries ...store.Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range entries {
		entries[i].Store = n // as the store's List fills it in
	}
	c.entries[key(id, n)] = entries
	count := 0
	for _, e := range entries {
		if !e.Meta.Archived {
			count++
		}
	}
	for i := range c.contexts {
		if c.contexts[i].ID != id {
			continue
		}
		for j := range c.contexts[i].Stores {
			if c.contexts[i].Stores[j].Name == n {
				c.contexts[i].Stores[j].Count = count
				return
			}
		}
		c.contexts[i].Stores = append(c.contexts[i].Stores, StoreInfo{n, count})
		return
	}
	c.contexts = append(c.contexts, ContextInfo{ID: id, ReadOnly: readOnly, Stores: []StoreInfo{{n, count}}})
}

func (c *fakeCore) recorded() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.calls, "; ")
}

func (c *fakeCore) Contexts(context.Context) ([]ContextInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]ContextInfo, len(c.contexts))
	for i, ci := range c.contexts {
		ci.Stores = append([]StoreInfo(nil), ci.Stores...)
		out[i] = ci
	}
	return out, nil
}

func (c *fakeCore) List(_ context.Context, id store.Context, n store.Name) ([]store.Entry, error) {
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		<-gate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]store.Entry(nil), c.entries[key(id, n)]...), nil
}

func (c *fakeCore) Get(_ context.Context, id store.Context, n store.Name, thumbprint string) (store.Entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[key(id, n)] {
		if e.Thumbprint == thumbprint {
			return e, nil
		}
	}
	return store.Entry{}, store.ErrNotFound
}

func (c *fakeCore) Chain(ctx context.Context, id store.Context, n store.Name, thumbprint string) (*store.Chain, error) {
	e, err := c.Get(ctx, id, n, thumbprint)
	if err != nil {
		return nil, err
	}
	ch := &store.Chain{Valid: true, Elements: []store.ChainElement{{Certificate: e.Certificate, Source: string(n), Status: "ok"}}}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, es := range c.entries {
		for _, ca := range es {
			if ca.IsCA && ca.Certificate != e.Certificate && e.Certificate.CheckSignatureFrom(ca.Certificate) == nil {
				ch.Elements = append(ch.Elements, store.ChainElement{Certificate: ca.Certificate, Source: "Root", Status: "ok"})
				return ch, nil
			}
		}
	}
	return ch, nil
}

func (c *fakeCore) mutate(call string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
	return c.err
}

func (c *fakeCore) Import(_ context.Context, id store.Context, file string, _ []byte, _ store.ImportOptions) (*store.ImportResult, error) {
	return nil, c.mutate("Import " + string(id) + " " + file)
}

func (c *fakeCore) Export(_ context.Context, id store.Context, n store.Name, thumbprint string, _ store.ExportOptions) ([]byte, error) {
	return nil, c.mutate("Export " + key(id, n) + " " + thumbprint)
}

func (c *fakeCore) Delete(_ context.Context, id store.Context, n store.Name, thumbprint string) error {
	if err := c.mutate("Delete " + key(id, n) + " " + thumbprint); err != nil {
		return err
	}
	c.mu.Lock()
	es := append([]store.Entry(nil), c.entries[key(id, n)]...)
	c.mu.Unlock()
	for i := range es {
		if es[i].Thumbprint == thumbprint {
			es[i].Meta.Archived = true
		}
	}
	c.put(id, n, false, es...)
	return nil
}

func (c *fakeCore) Renew(_ context.Context, id store.Context, thumbprint string) (app.RenewalOutcome, error) {
	return app.RenewalOutcome{Thumbprint: thumbprint, Outcome: app.OutcomeOK}, c.mutate("Renew " + string(id) + " " + thumbprint)
}

func (c *fakeCore) Pulse(_ context.Context, id store.Context) (*app.PulseReport, error) {
	c.mu.Lock()
	rep := &app.PulseReport{Context: string(id)}
	if c.pulse != nil {
		rep = c.pulse
	}
	c.mu.Unlock()
	return rep, c.mutate("Pulse " + string(id))
}

func (c *fakeCore) FullPolicyFetch(id store.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "FullPolicyFetch "+string(id))
	return nil
}

func (c *fakeCore) RevocationStatuses(store.Context) (map[string]app.RevocationResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.revocation), nil
}

func (c *fakeCore) Revocation(_ context.Context, id store.Context, thumbprint string, refresh bool) (*app.RevocationResult, error) {
	if err := c.mutate(fmt.Sprint("Revocation ", id, " ", thumbprint, " ", refresh)); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.revocation[thumbprint]
	if refresh || !ok {
		r = c.checked
		r.Thumbprint = thumbprint
		if c.revocation == nil {
			c.revocation = map[string]app.RevocationResult{}
		}
		c.revocation[thumbprint] = r
	}
	return &r, nil
}

func (c *fakeCore) Subscribe(func(app.Event)) func() { return func() {} }

// Health answers c.health: the rule itself is app's, tested there.
func (c *fakeCore) Health(_ context.Context, id store.Context, _ app.HealthOptions) (*app.HealthReport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.health == nil {
		return &app.HealthReport{Context: string(id), Attention: []app.CertHealth{}}, nil
	}
	rep := *c.health
	return &rep, nil
}

// healthOf is a report of n certificates of which attention need it, at
// level l.
func healthOf(n, attention int, l app.Level) *app.HealthReport {
	rep := &app.HealthReport{Certificates: n, Level: l, Attention: make([]app.CertHealth, attention)}
	for i := range rep.Attention {
		rep.Attention[i] = app.CertHealth{Name: fmt.Sprint("cert", i), Level: l, Reasons: []string{"expires in 3 days"}}
	}
	return rep
}

var errFake = errors.New("fake: the core said no")

// selectRow selects row i of the browser's table and returns it.
func selectRow(t *testing.T, v *mainView, i int) row {
	t.Helper()
	v.browser.table.Select(widget.TableCellID{Row: i, Col: 0})
	v.tasks.wait()
	r, ok := v.browser.current()
	if !ok {
		t.Fatalf("row %d is not selected", i)
	}
	return r
}

// overlayObjects lists every object of the topmost overlay (dialog) of w.
func overlayObjects(t *testing.T, w fyne.Window) []fyne.CanvasObject {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	return test.LaidOutObjects(top)
}

// overlayText joins the visible texts of the topmost dialog.
func overlayText(t *testing.T, w fyne.Window) string {
	t.Helper()
	var out []string
	for _, o := range overlayObjects(t, w) {
		if txt, ok := o.(*canvas.Text); ok && txt.Visible() && txt.Text != "" {
			out = append(out, txt.Text)
		}
	}
	return strings.Join(out, " ")
}

// tapOverlayButton taps the button labelled text in the topmost dialog.
func tapOverlayButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	for _, o := range overlayObjects(t, w) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no button %q in the dialog: %s", text, overlayText(t, w))
}

// fakeEnroll is what the fake core's Enroller part answers.
type fakeEnroll struct {
	servers []app.Server
	// unsaved lists the servers without a saved password; every other
	// password server has one.
	unsaved   map[string]bool
	templates []enroll.Template // the policy's, usable or not
	result    *app.EnrollResult
	err       error
	block     bool // Enroll waits for its context to end
	requests  []app.EnrollRequest
}

var _ Enroller = (*fakeCore)(nil)

func (c *fakeCore) Servers(store.Context) ([]app.Server, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]app.Server(nil), c.enroll.servers...), nil
}

func (c *fakeCore) HasPassword(_ context.Context, _ store.Context, s app.Server) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.enroll.unsaved[s.ID]
}

func (c *fakeCore) policies() *enroll.Policies {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &enroll.Policies{Templates: append([]enroll.Template(nil), c.enroll.templates...)}
}

func (c *fakeCore) TestServer(_ context.Context, _ store.Context, o app.ServerOptions) (*enroll.Policies, error) {
	if err := c.mutate("TestServer " + o.URL); err != nil {
		return nil, err
	}
	return c.policies(), nil
}

func (c *fakeCore) AddServer(_ context.Context, _ store.Context, o app.ServerOptions) (app.Server, error) {
	if err := c.mutate("AddServer " + o.URL + " " + string(o.Auth) + " " + o.Username); err != nil {
		return app.Server{}, err
	}
	s := app.Server{ID: "new", URL: o.URL, FriendlyName: o.FriendlyName, Auth: o.Auth, Username: o.Username, AutoEnroll: o.AutoEnroll}
	c.mu.Lock()
	c.enroll.servers = append(c.enroll.servers, s)
	if c.enroll.unsaved == nil {
		c.enroll.unsaved = map[string]bool{}
	}
	c.enroll.unsaved[s.ID] = o.Password == ""
	c.mu.Unlock()
	return s, nil
}

func (c *fakeCore) Policies(_ context.Context, _ store.Context, id, password string, _ bool) (*enroll.Policies, error) {
	c.mu.Lock()
	c.calls = append(c.calls, "Policies "+id+" "+password)
	c.mu.Unlock()
	return c.policies(), nil
}

func (c *fakeCore) ConfirmHosts(_ context.Context, _ store.Context, ref string, hosts []string) (app.Server, error) {
	if err := c.mutate("ConfirmHosts " + ref + " " + strings.Join(hosts, ",")); err != nil {
		return app.Server{}, err
	}
	return app.Server{ID: ref}, nil
}

func (c *fakeCore) Enroll(ctx context.Context, r app.EnrollRequest) (*app.EnrollResult, error) {
	c.mu.Lock()
	c.enroll.requests = append(c.enroll.requests, r)
	block, res, err := c.enroll.block, c.enroll.result, c.enroll.err
	c.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return res, err
}

// fakeMore is what the fake core's other optional parts answer.
type fakeMore struct {
	history   *app.History // a real one in a temporary directory
	settings  app.Settings
	scheduled bool
	outcomes  []app.RequestOutcome
	csr       []byte
	accepted  store.Entry
	published map[string]app.Publication // by "context/store/thumbprint"
	native    bool                       // TargetSystem is the OS's store, as on Windows and macOS
}

var (
	_ HistoryReader = (*fakeCore)(nil)
	_ Configurer    = (*fakeCore)(nil)
	_ ServerManager = (*fakeCore)(nil)
	_ Requester     = (*fakeCore)(nil)
)

func (c *fakeCore) History(store.Context) (*app.History, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.more.history == nil {
		return nil, errors.New("fake: no history")
	}
	return c.more.history, nil
}

func (c *fakeCore) Settings() app.Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.more.settings
}

func (c *fakeCore) SetSettings(s app.Settings) error {
	if err := c.mutate("SetSettings"); err != nil {
		return err
	}
	c.mu.Lock()
	c.more.settings = s
	c.mu.Unlock()
	return nil
}

func (c *fakeCore) ScheduleInstalled(context.Context, store.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.more.scheduled, nil
}

func (c *fakeCore) SetSchedule(_ context.Context, _ store.Context, on bool) error {
	if err := c.mutate(fmt.Sprint("SetSchedule ", on)); err != nil {
		return err
	}
	c.mu.Lock()
	c.more.scheduled = on
	c.mu.Unlock()
	return nil
}

func (c *fakeCore) RemoveServer(_ context.Context, _ store.Context, id string) error {
	if err := c.mutate("RemoveServer " + id); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var kept []app.Server
	for _, s := range c.enroll.servers {
		if s.ID != id {
			kept = append(kept, s)
		}
	}
	c.enroll.servers = kept
	return nil
}

func (c *fakeCore) SetAutoEnroll(_ context.Context, _ store.Context, id string, on bool) error {
	if err := c.mutate(fmt.Sprint("SetAutoEnroll ", id, " ", on)); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.enroll.servers {
		if c.enroll.servers[i].ID == id {
			c.enroll.servers[i].AutoEnroll = on
		}
	}
	return nil
}

func (c *fakeCore) RequestStatus(context.Context, store.Context) ([]app.RequestOutcome, error) {
	return c.more.outcomes, c.mutate("RequestStatus")
}

func (c *fakeCore) RequestAccept(_ context.Context, _ store.Context, file string, _ []byte) (store.Entry, error) {
	return c.more.accepted, c.mutate("RequestAccept " + file)
}

func (c *fakeCore) RequestNew(_ context.Context, _ store.Context, r app.OfflineRequest) ([]byte, store.Entry, error) {
	return c.more.csr, store.Entry{}, c.mutate(fmt.Sprint("RequestNew ", r.Subject, " ", r.DNSNames, " ", r.Key))
}

var _ Publisher = (*fakeCore)(nil)

// CheckTarget follows app.CheckTarget, or the core's native rule when
// more.native.
func (c *fakeCore) CheckTarget(id store.Context, n store.Name, t app.Target) error {
	if !c.NativeStores() {
		return app.CheckTarget(id, n, t)
	}
	if t == app.TargetSystem && (id == store.User || id == store.Machine) && (n == store.My || n == store.Root || n == store.CA) {
		return nil
	}
	return errFake
}

func (c *fakeCore) Publish(_ context.Context, id store.Context, n store.Name, thumbprint string, t app.Target) (app.Publication, error) {
	if err := c.mutate("Publish " + key(id, n) + " " + thumbprint + " " + string(t)); err != nil {
		return app.Publication{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.more.published == nil {
		c.more.published = map[string]app.Publication{}
	}
	p := c.more.published[key(id, n)+"/"+thumbprint]
	p.Store = n
	if t == app.TargetSystem {
		p.System, p.Native = true, c.more.native
	} else {
		p.Browsers = []string{"/home/kiosk/.pki/nssdb", "/home/kiosk/snap/chromium/current/.pki/nssdb"}
	}
	c.more.published[key(id, n)+"/"+thumbprint] = p
	return p, nil
}

func (c *fakeCore) Unpublish(_ context.Context, id store.Context, n store.Name, thumbprint string, t app.Target) error {
	if err := c.mutate("Unpublish " + key(id, n) + " " + thumbprint + " " + string(t)); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key(id, n) + "/" + thumbprint
	p := c.more.published[k]
	if t == app.TargetSystem {
		p.System, p.Native = false, false
	} else {
		p.Browsers = nil
	}
	if p.Empty() {
		delete(c.more.published, k)
	} else {
		c.more.published[k] = p
	}
	return nil
}

func (c *fakeCore) NativeStores() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.more.native
}

func (c *fakeCore) Published(id store.Context) (map[string]app.Publication, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]app.Publication{}
	for k, p := range c.more.published {
		if rest, ok := strings.CutPrefix(k, string(id)+"/"); ok {
			_, thumbprint, _ := strings.Cut(rest, "/")
			out[thumbprint] = p
		}
	}
	return out, nil
}
