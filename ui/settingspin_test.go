package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
	"github.com/certdesk/certdesk/store"
)

// TestSettingsKeyPlaces: the PKCS#11 module and token and the re-enroll
// switch are shown, say they are unsaved when edited, and are saved; a
// relative module path is refused in the core's sentence and changes
// nothing.
func TestSettingsKeyPlaces(t *testing.T) {
	s, core := newCoreSettings(t, "")
	if s.module.Text != "" || s.token.Text != "" || !s.reenroll.Checked || s.form.Items[s.items["pkcs11Module"]].Text != "PKCS#11 module" {
		t.Fatalf("module %q, token %q, re-enroll %v", s.module.Text, s.token.Text, s.reenroll.Checked)
	}
	s.module.SetText("libsofthsm2.so")
	if s.module.Validate() == nil || !s.unsaved.Visible() {
		t.Error("the form takes a relative module path, or does not say it is unsaved")
	}
	s.submit()
	if st := core.Settings(); st.PKCS11Module != "" || !strings.Contains(s.status.Text, `pkcs11Module "libsofthsm2.so" must be an absolute path`) {
		t.Fatalf("status %q, module %q", s.status.Text, st.PKCS11Module)
	}
	s.module.SetText(" " + softhsmtest.Module + " ")
	s.token.SetText("card 1")
	s.reenroll.SetChecked(false)
	s.submit()
	st := core.Settings()
	if s.status.Text != "Saved." || st.PKCS11Module != softhsmtest.Module || st.PKCS11Token != "card 1" || st.ReenrollRevoked || s.unsaved.Visible() {
		t.Fatalf("status %q, settings %+v", s.status.Text, st)
	}
}

// TestSettingsKeyPlacesManaged: the organisation's module, token and
// re-enroll switch are read-only with "Set by your organisation", and
// saving keeps them.
func TestSettingsKeyPlacesManaged(t *testing.T) {
	s, core := newCoreSettings(t, `{"settings": {"pkcs11Module": "/usr/lib/softhsm/libsofthsm2.so", "pkcs11Token": "corp", "reenrollRevoked": false}}`)
	for name, w := range map[string]disabler{"pkcs11Module": s.module, "pkcs11Token": s.token, "reenrollRevoked": s.reenroll} {
		if !w.(interface{ Disabled() bool }).Disabled() || s.form.Items[s.items[name]].HintText != managedHint {
			t.Errorf("%s is not shown as the organisation's", name)
		}
	}
	if s.module.Text != "/usr/lib/softhsm/libsofthsm2.so" || s.token.Text != "corp" || s.reenroll.Checked {
		t.Errorf("shown: %q %q %v", s.module.Text, s.token.Text, s.reenroll.Checked)
	}
	s.submit()
	if st := core.Settings(); s.status.Text != "Saved." || st.PKCS11Token != "corp" || st.ReenrollRevoked {
		t.Fatalf("status %q, settings %+v", s.status.Text, st)
	}
}

// TestSettingsForgetPIN: with a PIN saved for the configured SoftHSM2
// token in the real keyring, the tab says so with Forget saved PIN, which
// removes it; with none saved, the line is hidden.
func TestSettingsForgetPIN(t *testing.T) {
	needKeyring(t)
	softhsmtest.NewToken(t, "gui-settings")
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", "gui-settings")
	s, core := newCoreSettings(t, "")
	ctx := context.Background()
	if s.pin.Visible() {
		t.Fatal("the PIN line shows with no PIN saved")
	}
	if err := core.SavePIN(ctx, store.User, "", softhsmtest.PIN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = core.ForgetPIN(ctx, store.User, "gui-settings") })
	s.reload()
	if !s.pin.Visible() || s.pinLabel.Text != "A PIN is saved for token “gui-settings”." {
		t.Fatalf("PIN line shown %v: %q", s.pin.Visible(), s.pinLabel.Text)
	}
	tapped := false
	for _, o := range s.pin.Objects {
		if b, ok := o.(*widget.Button); ok && b.Text == "Forget saved PIN" {
			test.Tap(b)
			tapped = true
		}
	}
	if !tapped {
		t.Fatal("no Forget saved PIN button")
	}
	if saved, err := core.HasPIN(ctx, store.User, ""); saved || err != nil {
		t.Fatalf("the PIN is still saved: %v", err)
	}
	if s.pin.Visible() || !strings.Contains(s.status.Text, "The saved PIN was forgotten") {
		t.Errorf("after Forget: line shown %v, status %q", s.pin.Visible(), s.status.Text)
	}
}
