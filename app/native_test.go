package app

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// fakeNative is a STAND-IN for the Windows crypt32 stores and the macOS
// keychains, which cannot run here: an in-memory store.System per
// context and name. It decodes each PKCS#12 for real (wrong password,
// damaged data and a missing key fail as they would) and places its
// contents as the Windows import wizard does: the leaf with its key in
// the store, intermediates in CA, roots nowhere. fail, if set, is the
// error of the next change (Add, Delete, ImportPFX); failAfter is the
// error of the next Add or ImportPFX after it made its change (a commit
// that fails, say).
type fakeNative struct {
	mu        sync.Mutex
	stores    map[string]map[string]store.Entry // "context/name" → thumbprint → entry
	pfxs      []*store.Bundle                   // every PKCS#12 imported, decoded
	fail      error
	failAfter error
}

func newFakeNative() *fakeNative {
	return &fakeNative{stores: map[string]map[string]store.Entry{}}
}

// open is the core's NativeOpener.
func (f *fakeNative) open(cx store.Context, n store.Name) (store.System, error) {
	if cx != store.User && cx != store.Machine {
		return nil, store.ErrUnsupported
	}
	return &fakeSystem{f: f, cx: cx, n: n}, nil
}

// has reports whether store n of cx holds der, and with a key.
func (f *fakeNative) has(cx store.Context, n store.Name, der []byte) (ok, key bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.stores[string(cx)+"/"+string(n)][store.Thumbprint(der)]
	return ok, e.HasKey
}

func (f *fakeNative) put(cx store.Context, n store.Name, c *x509.Certificate, key bool) {
	k := string(cx) + "/" + string(n)
	if f.stores[k] == nil {
		f.stores[k] = map[string]store.Entry{}
	}
	th := store.Thumbprint(c.Raw)
	f.stores[k][th] = store.Entry{Store: n, Thumbprint: th, Subject: c.Subject.String(), HasKey: key, Certificate: c}
}

// take returns and clears the injected failure; the caller holds mu.
func (f *fakeNative) take() error {
	err := f.fail
	f.fail = nil
	return err
}

type fakeSystem struct {
	f  *fakeNative
	cx store.Context
	n  store.Name
}

func (s *fakeSystem) List(context.Context) ([]store.Entry, error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	var out []store.Entry
	for _, e := range s.f.stores[string(s.cx)+"/"+string(s.n)] {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b store.Entry) int { return strings.Compare(a.Thumbprint, b.Thumbprint) })
	return out, nil
}

func (s *fakeSystem) Add(_ context.Context, c *x509.Certificate) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if err := s.f.take(); err != nil {
		return err
	}
	s.f.put(s.cx, s.n, c, false)
	err := s.f.failAfter
	s.f.failAfter = nil
	return err
}

func (s *fakeSystem) Delete(_ context.Context, th string) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if err := s.f.take(); err != nil {
		return err
	}
	m := s.f.stores[string(s.cx)+"/"+string(s.n)]
	if _, ok := m[th]; !ok {
		return fmt.Errorf("fake native store: %w", store.ErrNotFound)
	}
	delete(m, th)
	return nil
}

func (s *fakeSystem) ImportPFX(_ context.Context, data []byte, password string) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if err := s.f.take(); err != nil {
		return err
	}
	b, err := store.ParsePFX(data, password)
	if err != nil {
		return err
	}
	if len(b.Keys) != 1 {
		return store.ErrNoKey
	}
	s.f.pfxs = append(s.f.pfxs, b)
	s.f.put(s.cx, s.n, b.Certs[0], true)
	for _, c := range b.Certs[1:] {
		if !bytes.Equal(c.RawSubject, c.RawIssuer) {
			s.f.put(s.cx, store.CA, c, false)
		}
	}
	err = s.f.failAfter
	s.f.failAfter = nil
	return err
}

func (s *fakeSystem) Close() error { return nil }

// nativeCore is pubCore with the stand-in native stores, as on Windows or macOS.
func nativeCore(t *testing.T) (*Core, *fakeNative) {
	t.Helper()
	c := pubCore(t)
	f := newFakeNative()
	c.native, c.hasNative = f.open, true
	return c, f
}

// TestNativeCheckTarget: where native stores exist, the system target is
// the native store of the user and machine contexts' My, Root and CA.
func TestNativeCheckTarget(t *testing.T) {
	tests := []struct {
		cx   store.Context
		n    store.Name
		t    Target
		want string // "" = allowed
	}{
		{store.User, store.My, TargetSystem, ""},
		{store.User, store.Root, TargetSystem, ""},
		{store.Machine, store.CA, TargetSystem, ""},
		{store.Machine, store.My, TargetSystem, ""},
		{store.User, store.Request, TargetSystem, "My, Root and CA"},
		{store.Context("app:kiosk"), store.My, TargetSystem, "user and machine contexts"},
		{store.User, store.My, TargetBrowsers, "not databases of their own"},
		{store.User, store.My, "desktop", "unknown target"},
	}
	for _, tt := range tests {
		err := checkTarget(tt.cx, tt.n, tt.t, true)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s/%s -to %s: %v, want %q", tt.cx, tt.n, tt.t, err, tt.want)
		}
	}
	// Without native stores the Linux rules hold.
	if err := checkTarget(store.User, store.My, TargetSystem, false); err == nil {
		t.Error("Linux: user My to the system allowed")
	}
}

// TestPublishNative publishes a root, a CA and an identity to the
// stand-in native stores and takes them out again; the identity travels
// as a PKCS#12 that decodes to the entry's own key and chain.
func TestPublishNative(t *testing.T) {
	c, f := nativeCore(t)
	ctx := context.Background()
	p := newPubPKI(t, "native.test")
	root := add(t, c, store.User, store.Root, p.root, nil)
	leaf := add(t, c, store.User, store.My, p.leaf, p.key)
	mca := add(t, c, store.Machine, store.CA, p.root, nil)
	published := []struct {
		cx store.Context
		n  store.Name
		th string
		c  *x509.Certificate
	}{{store.User, store.Root, root, p.root}, {store.Machine, store.CA, mca, p.root}, {store.User, store.My, leaf, p.leaf}}

	for _, x := range published {
		pub, err := c.Publish(ctx, x.cx, x.n, x.th, TargetSystem)
		if err != nil || !pub.System || !pub.Native || pub.Store != x.n {
			t.Fatalf("%s/%s: Publish = %+v, %v", x.cx, x.n, pub, err)
		}
		if ok, key := f.has(x.cx, x.n, x.c.Raw); !ok || key != (x.n == store.My) {
			t.Fatalf("%s/%s: native store has it %v, with key %v", x.cx, x.n, ok, key)
		}
		if m, _ := c.Published(x.cx); !m[x.th].Native {
			t.Fatalf("%s/%s: Published = %+v", x.cx, x.n, m)
		}
		es, err := c.NativeList(ctx, x.cx, x.n)
		if err != nil || len(es) != 1 || es[0].Thumbprint != x.th {
			t.Fatalf("%s/%s: NativeList = %+v, %v", x.cx, x.n, es, err)
		}
	}
	// The identity's PKCS#12 carried its own key and its root.
	if len(f.pfxs) != 1 {
		t.Fatalf("%d PKCS#12 imported", len(f.pfxs))
	}
	b := f.pfxs[0]
	if pub, ok := b.Keys[0].(crypto.Signer); !ok || !p.key.PublicKey.Equal(pub.Public()) {
		t.Fatal("the imported key is not the entry's")
	}
	if len(b.Certs) != 2 || !b.Certs[1].Equal(p.root) {
		t.Fatalf("the PKCS#12 carried %d certificates, want the leaf and its root", len(b.Certs))
	}
	// Publishing again is not an error; a failing native store changes no record.
	if _, err := c.Publish(ctx, store.User, store.Root, root, TargetSystem); err != nil {
		t.Fatal(err)
	}
	f.fail = errors.New("the user declined the Windows security prompt")
	if err := c.Unpublish(ctx, store.User, store.Root, root, TargetSystem); err == nil || !strings.Contains(err.Error(), "declined") {
		t.Fatalf("Unpublish with a failing store: %v", err)
	}
	if m, _ := c.Published(store.User); !m[root].System {
		t.Fatal("a failed Unpublish cleared the record")
	}

	for _, x := range published {
		for range 2 { // the second has nothing to undo
			if err := c.Unpublish(ctx, x.cx, x.n, x.th, TargetSystem); err != nil {
				t.Fatalf("%s/%s: Unpublish: %v", x.cx, x.n, err)
			}
		}
		if ok, _ := f.has(x.cx, x.n, x.c.Raw); ok {
			t.Fatalf("%s/%s: still in the native store", x.cx, x.n)
		}
		if m, _ := c.Published(x.cx); !m[x.th].Empty() {
			t.Fatalf("%s/%s: Published = %+v", x.cx, x.n, m[x.th])
		}
	}
}

// TestPublishNativeRejects: an identity without key, a browsers target
// and a failing store give one sentence and leave store and record as
// they were.
func TestPublishNativeRejects(t *testing.T) {
	c, f := nativeCore(t)
	ctx := context.Background()
	p := newPubPKI(t, "reject-native.test")
	noKey := add(t, c, store.User, store.My, p.leaf, nil)
	root := add(t, c, store.User, store.Root, p.root, nil)
	f.fail = errors.New("access denied to the Windows store")
	for _, x := range []struct {
		n    store.Name
		th   string
		t    Target
		want string
	}{
		{store.My, noKey, TargetSystem, "no private key"},
		{store.Root, root, TargetBrowsers, "not databases of their own"},
		{store.Root, root, TargetSystem, "access denied"},
	} {
		_, err := c.Publish(ctx, store.User, x.n, x.th, x.t)
		if err == nil || !strings.Contains(err.Error(), x.want) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("%s -to %s: %v, want %q", x.n, x.t, err, x.want)
		}
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}
	for _, n := range []store.Name{store.My, store.Root, store.CA} {
		if es, _ := c.NativeList(ctx, store.User, n); len(es) != 0 {
			t.Fatalf("native %s holds %d", n, len(es))
		}
	}
	if _, err := c.NativeList(ctx, store.Context("app:kiosk"), store.My); !errors.Is(err, store.ErrUnsupported) {
		t.Fatalf("NativeList of an app context: %v", err)
	}
}

// TestNativeListLinux: without native stores (this Linux core) listing
// them says so in one sentence.
func TestNativeListLinux(t *testing.T) {
	c := pubCore(t)
	if c.hasNative {
		t.Skip("this system has native stores")
	}
	_, err := c.NativeList(context.Background(), store.User, store.My)
	if !errors.Is(err, store.ErrUnsupported) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("NativeList: %v", err)
	}
}

// TestRenewalRepublishesNative: a renewal through the test CA replaces the
// published identity in the native store (Windows, macOS) with its
// successor and says so in the history.
func TestRenewalRepublishesNative(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived)
	f := newFakeNative()
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(), NativeStore: f.open})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Store(store.User)
	old, err := s.Get(ctx, store.My, res.Thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, store.User, store.My, res.Thumbprint, TargetSystem); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err := c.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("pulse %+v, %v", rep, err)
	}
	ne := rep.Renewals[0].NewThumbprint
	nw, err := s.Get(ctx, store.My, ne)
	if err != nil {
		t.Fatal(err)
	}
	if ok, key := f.has(store.User, store.My, nw.Certificate.Raw); !ok || !key {
		t.Fatal("the renewed certificate is not in the native store with its key")
	}
	if ok, _ := f.has(store.User, store.My, old.Certificate.Raw); ok {
		t.Fatal("the replaced certificate is still in the native store")
	}
	m, _ := c.Published(store.User)
	if _, ok := m[res.Thumbprint]; ok || !m[ne].Native {
		t.Fatalf("Published = %+v", m)
	}
	recs := e.history(t)
	last := recs[len(recs)-1]
	if last.Action != ActionPublish || last.Outcome != OutcomeOK || last.Thumbprint != ne || !strings.Contains(last.Reason, "system certificate store") {
		t.Fatalf("history ends with %+v", last)
	}
}

// TestNativeChain: a certificate of the native My store gets its chain
// from the native Root store, as certmgr.msc shows it; an unknown one is
// not found.
func TestNativeChain(t *testing.T) {
	c, _ := nativeCore(t)
	ctx := context.Background()
	p := newPubPKI(t, "native-chain.test")
	leaf := add(t, c, store.User, store.My, p.leaf, p.key)
	if _, err := c.Publish(ctx, store.User, store.My, leaf, TargetSystem); err != nil {
		t.Fatal(err)
	}
	ch, err := c.NativeChain(ctx, store.User, store.My, leaf)
	if err != nil || ch.Valid || len(ch.Elements) != 1 {
		t.Fatalf("without the root: %+v, %v", ch, err)
	}
	root := add(t, c, store.User, store.Root, p.root, nil)
	if _, err := c.Publish(ctx, store.User, store.Root, root, TargetSystem); err != nil {
		t.Fatal(err)
	}
	ch, err = c.NativeChain(ctx, store.User, store.My, strings.ToLower(leaf))
	if err != nil || !ch.Valid || len(ch.Elements) != 2 || ch.Elements[1].Source != "Root" {
		t.Fatalf("with the root: %+v, %v", ch, err)
	}
	if e, err := c.NativeGet(ctx, store.User, store.My, leaf); err != nil || !e.Certificate.Equal(p.leaf) || !e.HasKey {
		t.Fatalf("NativeGet = %+v, %v", e, err)
	}
	if _, err := c.NativeGet(ctx, store.User, store.My, root); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("NativeGet of a certificate not in My: %v", err)
	}
}

// TestPublishIssuedNative: with Settings.PublishIssued, an enrollment
// through the test CA lands in the (stand-in) native store with its key
// and the history says so; without it, nothing is published.
func TestPublishIssuedNative(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, "")
	f := newFakeNative()
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(), NativeStore: f.open})
	if err != nil {
		t.Fatal(err)
	}
	enroll := func() string {
		t.Helper()
		res, err := c.Enroll(ctx, EnrollRequest{Context: store.User, Server: e.srv.CEPURL(), Template: testca.TemplateUser, Password: testca.DefaultPassword})
		if err != nil {
			t.Fatal(err)
		}
		return res.Thumbprint
	}
	s, _ := c.Store(store.User)
	der := func(th string) []byte {
		t.Helper()
		x, err := s.Get(ctx, store.My, th)
		if err != nil {
			t.Fatal(err)
		}
		return x.Certificate.Raw
	}

	off := enroll()
	if ok, _ := f.has(store.User, store.My, der(off)); ok {
		t.Fatal("published without the setting")
	}
	st := c.Settings()
	st.PublishIssued = true
	if err := c.SetSettings(st); err != nil {
		t.Fatal(err)
	}
	on := enroll()
	if ok, key := f.has(store.User, store.My, der(on)); !ok || !key {
		t.Fatalf("with the setting: in the native store %v, with key %v", ok, key)
	}
	if m, _ := c.Published(store.User); !m[on].Native {
		t.Fatalf("Published = %+v", m)
	}
	recs := e.history(t)
	if last := recs[len(recs)-1]; last.Action != ActionPublish || last.Outcome != OutcomeOK || last.Thumbprint != on {
		t.Fatalf("history ends with %+v", last)
	}

	// A failing native store keeps the certificate and records why.
	f.fail = errors.New("access denied to the Windows store")
	failed := enroll()
	if _, err := s.Get(ctx, store.My, failed); err != nil {
		t.Fatalf("the certificate went with the failed publication: %v", err)
	}
	recs = e.history(t)
	if last := recs[len(recs)-1]; last.Outcome != OutcomeFailed || !strings.Contains(last.Reason, "access denied") {
		t.Fatalf("history ends with %+v", last)
	}
}

// TestPublishNativeEdges: a certificate already in the native store is
// left there by unpublish; a publication that failed after landing is
// recorded, so it can be undone; an archived certificate is not
// published.
func TestPublishNativeEdges(t *testing.T) {
	c, f := nativeCore(t)
	ctx := context.Background()
	p := newPubPKI(t, "edges.test")
	root := add(t, c, store.User, store.Root, p.root, nil)
	leaf := add(t, c, store.User, store.My, p.leaf, p.key)

	// Someone else put the root there first.
	f.mu.Lock()
	f.put(store.User, store.Root, p.root, false)
	f.mu.Unlock()
	if pub, err := c.Publish(ctx, store.User, store.Root, root, TargetSystem); err != nil || !pub.Found || !pub.System {
		t.Fatalf("Publish over an existing one = %+v, %v", pub, err)
	}
	if err := c.Unpublish(ctx, store.User, store.Root, root, TargetSystem); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.has(store.User, store.Root, p.root.Raw); !ok {
		t.Fatal("unpublish removed a certificate certdesk had not put there")
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}

	// The import lands, then a later step fails: recorded, and undone by Unpublish.
	f.failAfter = errors.New("commit failed")
	if _, err := c.Publish(ctx, store.User, store.My, leaf, TargetSystem); err == nil {
		t.Fatal("Publish succeeded")
	}
	if m, _ := c.Published(store.User); !m[leaf].System || m[leaf].Found {
		t.Fatalf("a landed publication was not recorded: %+v", m)
	}
	if err := c.Unpublish(ctx, store.User, store.My, leaf, TargetSystem); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.has(store.User, store.My, p.leaf.Raw); ok {
		t.Fatal("the landed identity stayed in the native store")
	}

	// Archived: refused, nothing changes.
	s, _ := c.Store(store.User)
	if err := s.Delete(ctx, store.My, leaf); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, store.User, store.My, leaf, TargetSystem); err == nil || !strings.Contains(err.Error(), "archived") {
		t.Fatalf("publishing an archived certificate: %v", err)
	}
	if ok, _ := f.has(store.User, store.My, p.leaf.Raw); ok {
		t.Fatal("an archived certificate was published")
	}
}
