package ui

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/certdesk/certdesk/store"
)

// newStoreMain builds the main window over real stores in a temporary
// directory, and writes the file fixtures there: client.pfx (the RSA leaf,
// its key and the root, password "secret"), root.cer and bad.cer.
func newStoreMain(t *testing.T) (*mainView, fyne.Window, *appCore, string, *fixtures) {
	t.Helper()
	f := newFixtures(t)
	dir := t.TempDir()
	pfx, err := pkcs12.Modern.Encode(f.rsaKey, f.rsaLeaf, []*x509.Certificate{f.root}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"client.pfx": pfx, "root.cer": f.root.Raw, "bad.cer": []byte("<html><body>Sign in</body></html>"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := test.NewTempApp(t)
	core := newAppCore(newMemCore(t, filepath.Join(dir, "root")), nil)
	w := test.NewTempWindow(t, nil)
	v := newMainView(a, w, core, func() time.Time { return testNow }, &tasks{inline: true})
	w.SetContent(v.content)
	w.Resize(fyne.NewSize(1280, 800))
	return v, w, core, dir, f
}

func drop(v *mainView, dir string, names ...string) {
	var uris []fyne.URI
	for _, n := range names {
		uris = append(uris, storage.NewFileURI(filepath.Join(dir, n)))
	}
	v.onDropped(fyne.NewPos(10, 10), uris)
}

func wantDialog(t *testing.T, w fyne.Window, parts ...string) {
	t.Helper()
	got := overlayText(t, w)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("dialog %q does not say %q", got, p)
		}
	}
}

func storeCount(t *testing.T, c *appCore, n store.Name) int {
	t.Helper()
	es, err := c.List(context.Background(), store.User, n)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestDropPFXWrongPasswordThenRight(t *testing.T) {
	v, w, core, dir, f := newStoreMain(t)
	drop(v, dir, "client.pfx")
	wantDialog(t, w, "Password for client.pfx", "protected by a password")

	test.Type(v.importer.password, "wrong")
	tapOverlayButton(t, w, "Continue")
	wantDialog(t, w, "The password is wrong. Try again.")

	test.Tap(v.importer.showPassword)
	if v.importer.password.Password {
		t.Error("show password left the password hidden")
	}
	test.Type(v.importer.password, "secret")
	tapOverlayButton(t, w, "Continue")
	wantDialog(t, w, "Import client.pfx", "Certificate: kiosk01.corp.example.com, with its private key",
		"Chain: 1 more certificate (Example Corp Root CA)", "Format: PFX, encrypted with")
	if v.importer.contextPick.Selected != "User" || v.importer.storePick.Selected != automatic {
		t.Errorf("default target %q / %q", v.importer.contextPick.Selected, v.importer.storePick.Selected)
	}

	tapOverlayButton(t, w, "Import")
	sum := sha1.Sum(f.root.Raw)
	wantDialog(t, w, "Do you trust “Example Corp Root CA”?", formatHex(sum[:], 2))
	tapOverlayButton(t, w, "Trust")
	wantDialog(t, w, "Added “kiosk01.corp.example.com” to Personal.", "Added “Example Corp Root CA” to Trusted Root.")
	tapOverlayButton(t, w, "Close")

	if storeCount(t, core, store.My) != 1 || storeCount(t, core, store.Root) != 1 {
		t.Errorf("stores after import: My %d, Root %d", storeCount(t, core, store.My), storeCount(t, core, store.Root))
	}
	if got := subjects(v.browser); got != "kiosk01.corp.example.com" || !v.browser.rows[0].HasKey {
		t.Errorf("browser shows %q", got)
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Error("a dialog is still open")
	}
}

func TestDropOtherFiles(t *testing.T) {
	tests := []struct {
		name     string
		files    []string
		steps    []string // buttons to tap, in order
		want     string   // what the last dialog says
		wantRoot int
	}{
		{"bad file", []string{"bad.cer"}, nil, "Not a certificate, PFX, PEM or P7B file. Details", 0},
		{"root trusted", []string{"root.cer"}, []string{"Import", "Trust"}, "Added “Example Corp Root CA” to Trusted Root.", 1},
		{"root not trusted", []string{"root.cer"}, []string{"Import", "Don't trust"}, "Skipped “Example Corp Root CA”", 0},
		{"cancel", []string{"root.cer"}, []string{"Cancel"}, "", 0},
		{"two files", []string{"bad.cer", "root.cer"}, []string{"Close", "Import", "Trust"}, "Added “Example Corp Root CA”", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, w, core, dir, _ := newStoreMain(t)
			drop(v, dir, tt.files...)
			for _, b := range tt.steps {
				tapOverlayButton(t, w, b)
			}
			if tt.want != "" {
				wantDialog(t, w, tt.want)
			} else if w.Canvas().Overlays().Top() != nil {
				t.Errorf("dialog left open: %s", overlayText(t, w))
			}
			if got := storeCount(t, core, store.Root); got != tt.wantRoot {
				t.Errorf("Root holds %d, want %d", got, tt.wantRoot)
			}
			if storeCount(t, core, store.My) != 0 {
				t.Error("My changed")
			}
		})
	}
}

func TestExport(t *testing.T) {
	v, w, core, dir, f := newStoreMain(t)
	data, _ := os.ReadFile(filepath.Join(dir, "client.pfx"))
	if _, err := core.Import(context.Background(), store.User, "client.pfx", data, store.ImportOptions{Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	v.refresh()
	v.browser.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(v.exportButton)
	wantDialog(t, w, "Export “kiosk01.corp.example.com”", "PFX profile", "Modern")
	ex := v.exporter
	if !ex.pfx() || ex.fileName() != "kiosk01.corp.example.com.pfx" {
		t.Errorf("default export %q as %q", ex.format.Selected, ex.fileName())
	}
	if ex.password.Validate() == nil {
		t.Error("an empty password was accepted for a private key")
	}
	test.Type(ex.password, "pw1")
	test.Type(ex.confirm, "pw2")
	if ex.confirm.Validate() == nil {
		t.Error("mismatched passwords were accepted")
	}
	ex.confirm.SetText("pw1")
	if ex.confirm.Validate() != nil || ex.password.Validate() != nil {
		t.Error("matching passwords were refused")
	}
	ex.profile.SetSelected(exportProfiles[1].label)
	if opt := ex.options(); opt.Profile != store.Compatible || opt.Password != "pw1" || !opt.Chain {
		t.Errorf("options %+v", opt)
	}

	out := storage.NewFileURI(filepath.Join(dir, "out.pfx"))
	wr, err := storage.Writer(out)
	if err != nil {
		t.Fatal(err)
	}
	v.export(ex, wr)
	wantDialog(t, w, "was saved as out.pfx")
	saved, _ := os.ReadFile(filepath.Join(dir, "out.pfx"))
	b, err := store.Parse(saved, "pw1")
	if err != nil || len(b.Keys) != 1 || !b.Certs[0].Equal(f.rsaLeaf) {
		t.Fatalf("exported PFX: %v", err)
	}

	ex.format.SetSelected(exportFormats[2].label) // DER
	if ex.password.Validate() != nil || !ex.password.Disabled() || ex.fileName() != "kiosk01.corp.example.com.cer" {
		t.Error("DER still asks for a password")
	}
}
