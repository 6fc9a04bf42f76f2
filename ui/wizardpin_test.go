package ui

// This file runs a real core, like wizardcore_test.go, and so is named to
// run after every file that calls newFixtures.

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
	"github.com/certdesk/certdesk/store"
)

// typePIN types pin into the PIN dialog on top, ticks "Remember in the
// keyring" when remember, and presses Enter in the PIN field.
func typePIN(t *testing.T, w fyne.Window, pin string, remember bool) {
	t.Helper()
	var entry *widget.Entry
	for _, o := range overlayObjects(t, w) {
		switch x := o.(type) {
		case *widget.Entry:
			if x.Password {
				entry = x
			}
		case *widget.Check:
			if x.Text == "Remember in the keyring" && remember {
				x.SetChecked(true)
			}
		}
	}
	if entry == nil {
		t.Fatalf("no PIN field in the dialog: %s", overlayText(t, w))
	}
	if w.Canvas().Focused() != entry {
		t.Error("the PIN field does not have the focus")
	}
	entry.SetText(pin)
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// TestRealTokenPINDialog: the wizard's enrollment for UserSmartCard on a
// SoftHSM2 token asks for the PIN; a wrong one says so and asks again;
// the right one with "Remember" enrolls and keeps it in the real
// keyring. Renew now without a saved PIN asks too: Escape renews nothing,
// the PIN and Enter renew.
func TestRealTokenPINDialog(t *testing.T) {
	e := newRealEnv(t)
	softhsmtest.NewToken(t, "gui-card")
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", "gui-card")
	ctx := context.Background()
	t.Cleanup(func() { _ = e.core.ForgetPIN(ctx, store.User, "gui-card") })

	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplateUserSmartCard)
	test.Tap(z.next)
	if z.title.Text != "Key" {
		t.Fatalf("step %q: %s", z.title.Text, z.status.Text)
	}
	test.Tap(z.next) // the summary
	if z.title.Text != "Summary" {
		t.Fatalf("step %q", z.title.Text)
	}
	test.Tap(z.next)
	if got := overlayText(t, e.w); !strings.Contains(got, "Token PIN") {
		t.Fatalf("no PIN dialog: %s", got)
	}
	typePIN(t, e.w, "0000", true)
	if got := overlayText(t, e.w); !strings.Contains(got, "Token PIN") || !strings.Contains(got, "refused") {
		t.Fatalf("after a wrong PIN: %s", got)
	}
	if n := len(e.entries(t, store.My)); n != 0 {
		t.Fatalf("a wrong PIN enrolled %d", n)
	}
	if saved, _ := e.core.HasPIN(ctx, store.User, "gui-card"); saved {
		t.Fatal("a refused PIN was saved")
	}
	typePIN(t, e.w, softhsmtest.PIN, true)
	if z.title.Text != "Done" || !strings.Contains(z.result.Text, "was issued and installed in Personal") {
		t.Fatalf("step %q: %s", z.title.Text, overlayText(t, e.w))
	}
	my := e.entries(t, store.My)
	if len(my) != 1 || my[0].KeyStorage != store.KeyPKCS11 {
		t.Fatalf("My holds %+v", my)
	}
	if saved, err := e.core.HasPIN(ctx, store.User, "gui-card"); !saved || err != nil {
		t.Fatalf("the PIN was not remembered: %v", err)
	}
	softhsmtest.CheckKeyStaysOnToken(t, "gui-card")
	test.Tap(z.openDetails)
	for e.w.Canvas().Overlays().Top() != nil {
		e.w.Canvas().Overlays().Top().Hide()
	}

	// Renew now, with the PIN forgotten.
	if err := e.core.ForgetPIN(ctx, store.User, "gui-card"); err != nil {
		t.Fatal(err)
	}
	e.v.refresh()
	e.v.tasks.wait()
	r := selectRow(t, e.v, 0)
	if r.Thumbprint != my[0].Thumbprint {
		t.Fatalf("selected %s, want %s", r.Thumbprint, my[0].Thumbprint)
	}
	key := func(name fyne.KeyName) { e.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }
	e.v.renewSelected()
	if got := overlayText(t, e.w); !strings.Contains(got, "Token PIN") || !strings.Contains(got, "Enter its PIN to continue") {
		t.Fatalf("Renew now without a PIN: %s", got)
	}
	key(fyne.KeyEscape)
	if top := e.w.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("Escape left a dialog open: %s", overlayText(t, e.w))
	}
	if got := e.entries(t, store.My); len(got) != 1 || got[0].Thumbprint != my[0].Thumbprint {
		t.Fatalf("Escape renewed: %+v", got)
	}
	e.v.renewSelected()
	typePIN(t, e.w, softhsmtest.PIN, false)
	if got := overlayText(t, e.w); !strings.Contains(got, "was renewed") {
		t.Fatalf("after the PIN: %s", got)
	}
	if got := e.entries(t, store.My); len(got) != 1 || got[0].Thumbprint == my[0].Thumbprint || got[0].KeyStorage != store.KeyPKCS11 {
		t.Fatalf("My after Renew now: %+v", got)
	}
	if saved, _ := e.core.HasPIN(ctx, store.User, "gui-card"); saved {
		t.Error("the PIN was saved without Remember")
	}
}
