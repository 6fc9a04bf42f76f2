package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/demo"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// standInStores is a STAND-IN for the Windows crypt32 stores and the macOS
// keychains, which cannot run here: in-memory store.Systems by
// "context/name", each identity imported from a real PKCS#12.
type standInStores struct {
	mu sync.Mutex
	m  map[string][]store.Entry
}

func (s *standInStores) open(cx store.Context, n store.Name) (store.System, error) {
	return &standInSystem{s: s, k: string(cx) + "/" + string(n), n: n}, nil
}

func (s *standInStores) put(k string, n store.Name, c *x509.Certificate, key bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = append(s.m[k], store.Entry{Store: n, Thumbprint: store.Thumbprint(c.Raw), Subject: c.Subject.String(),
		SubjectCN: c.Subject.CommonName, IssuerCN: c.Issuer.CommonName, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		HasKey: key, Certificate: c})
}

type standInSystem struct {
	s *standInStores
	k string
	n store.Name
}

func (x *standInSystem) List(context.Context) ([]store.Entry, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return append([]store.Entry(nil), x.s.m[x.k]...), nil
}

func (x *standInSystem) Add(_ context.Context, c *x509.Certificate) error {
	x.s.put(x.k, x.n, c, false)
	return nil
}

func (x *standInSystem) Delete(context.Context, string) error { return errors.New("not used") }

func (x *standInSystem) ImportPFX(_ context.Context, data []byte, password string) error {
	b, err := store.ParsePFX(data, password)
	if err != nil {
		return err
	}
	x.s.put(x.k, x.n, b.Certs[0], len(b.Keys) == 1)
	return nil
}

func (x *standInSystem) Close() error { return nil }

// TestNativeStoresView: where the core has native stores (Windows,
// macOS), the browser shows them read-only beside certdesk's own, with
// details and chain; a certificate published from certdesk's store
// appears there with its key.
func TestNativeStoresView(t *testing.T) {
	f := newFixtures(t)
	sys := &standInStores{m: map[string][]store.Entry{}}
	sys.put("user/Root", store.Root, f.root, false)
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Keyring: demo.NewMemoryKeyring(),
		NativeStore: sys.open})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := core.Store(store.User)
	leaf, _, err := s.Add(context.Background(), store.My, f.rsaLeaf, f.rsaKey, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, nil)
	ac := newAppCore(core, nil)
	v := newMainView(test.NewTempApp(t), w, ac, func() time.Time { return testNow }, &tasks{inline: true})
	w.SetContent(v.content)
	w.Resize(fyne.NewSize(1280, 800))
	v.tasks.wait()

	b := v.browser
	if got := strings.Join(b.treeChildren(""), " "); got != "user machine system:user system:machine" {
		t.Fatalf("contexts %q", got)
	}
	if got := strings.Join(b.treeChildren("system:user"), " "); got != "system:user/My system:user/Root system:user/CA system:user/Request" {
		t.Fatalf("system stores %q", got)
	}
	selectIn(v, "system:user/Root", 0)
	if contextLabel(b.contextID) != "System store: User" || subjects(b) != f.root.Subject.CommonName {
		t.Fatalf("%s lists %q", contextLabel(b.contextID), subjects(b))
	}
	if !b.hint.Visible() || b.hintText.Text != nativeHint {
		t.Fatalf("banner %v %q", b.hint.Visible(), b.hintText.Text)
	}
	if !v.importButton.Disabled() || !v.deleteButton.Disabled() || v.exportButton.Disabled() {
		t.Fatal("import/delete enabled or export disabled on the system store")
	}
	if got := generalText(b.details); !strings.Contains(got, f.root.Subject.CommonName) || strings.Contains(got, "Published") {
		t.Fatalf("details %q", got)
	}
	ch, err := ac.Chain(context.Background(), "system:user", store.Root, store.Thumbprint(f.root.Raw))
	if err != nil || !ch.Valid || ch.Elements[0].Source != "Root" {
		t.Fatalf("chain %+v, %v", ch, err)
	}
	der, err := ac.Export(context.Background(), "system:user", store.Root, store.Thumbprint(f.root.Raw), store.ExportOptions{Format: store.FormatDER})
	if err != nil || string(der) != string(f.root.Raw) {
		t.Fatalf("DER export: %v", err)
	}
	if _, err := ac.Export(context.Background(), "system:user", store.Root, store.Thumbprint(f.root.Raw), store.ExportOptions{Format: store.FormatPFX}); err == nil {
		t.Fatal("PFX export from the system store")
	}
	if err := ac.Delete(context.Background(), "system:user", store.Root, store.Thumbprint(f.root.Raw)); !errors.Is(err, errNativeReadOnly) {
		t.Fatalf("Delete: %v", err)
	}

	// Publish certdesk's identity; the system store then lists it with its key.
	selectIn(v, "user/My", 0)
	if r, _ := b.current(); r.Thumbprint != leaf.Thumbprint {
		t.Fatalf("selected %s", r.Thumbprint)
	}
	v.trustSystemItem.Action()
	tapOverlayButton(t, w, "Yes")
	v.tasks.wait()
	count := func(id store.Context, n store.Name) int {
		for _, ci := range b.contexts {
			for _, si := range ci.Stores {
				if ci.ID == id && si.Name == n {
					return si.Count
				}
			}
		}
		return -2
	}
	if got := count("system:user", store.My); got != 1 {
		t.Fatalf("the tree counts %d in the system store's Personal after publishing", got)
	}
	selectIn(v, "system:user/My", 0)
	if r, ok := b.current(); !ok || r.Thumbprint != leaf.Thumbprint || !r.HasKey {
		t.Fatalf("system My shows %q", subjects(b))
	}
	// Its key stays with the OS: the export offers the certificate alone.
	v.showExport()
	if got := v.exporter.format.Options; len(got) != 2 || v.exporter.choice().format != store.FormatDER {
		t.Fatalf("export offers %q, chosen %q", got, v.exporter.format.Selected)
	}
	v.exporter.format.SetSelected(v.exporter.format.Options[0]) // PEM
	if !v.exporter.chain.Disabled() || v.exporter.options().Chain {
		t.Fatal("the chain is offered for a certificate of the OS's store")
	}
	tapOverlayButton(t, w, "Cancel")
}
