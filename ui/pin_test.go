package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
)

// TestPINDialogKeys: Enter with an empty PIN does not submit, Enter with
// one does and hands over Remember; a Windows smart card's dialog offers
// no Remember (its PIN is not kept); Escape cancels.
func TestPINDialogKeys(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(800, 600))
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) { dialogKey(w, k) }) // as the main window does
	var got []app.TokenPIN
	cancelled := 0
	askPIN(w, &app.PINError{Token: "card\x1b[31m", What: "renewal of AB"}, func(p app.TokenPIN) { got = append(got, p) }, func() { cancelled++ })
	if txt := overlayText(t, w); !strings.Contains(txt, "Enter its PIN") || strings.Contains(txt, "\x1b") {
		t.Fatalf("dialog: %q", txt)
	}
	entry, remember := pinWidgets(t, w)
	if remember == nil {
		t.Fatal("no Remember in the keyring")
	}
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(got) != 0 || w.Canvas().Overlays().Top() == nil {
		t.Fatal("an empty PIN was submitted")
	}
	entry.SetText("1234")
	remember.SetChecked(true)
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(got) != 1 || got[0] != (app.TokenPIN{PIN: "1234", Save: true}) || w.Canvas().Overlays().Top() != nil {
		t.Fatalf("after Enter: %+v", got)
	}

	askPIN(w, &app.PINError{Token: "smart card", CNG: true, Wrong: true}, func(p app.TokenPIN) { got = append(got, p) }, func() { cancelled++ })
	if txt := overlayText(t, w); !strings.Contains(txt, "refused the PIN") {
		t.Fatalf("CNG dialog: %q", txt)
	}
	if _, remember := pinWidgets(t, w); remember != nil {
		t.Error("a Windows smart card's PIN dialog offers Remember")
	}
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if cancelled != 1 || len(got) != 1 || w.Canvas().Overlays().Top() != nil {
		t.Fatalf("Escape: cancelled %d, got %+v", cancelled, got)
	}
}

// pinWidgets finds the PIN field and the Remember check of the dialog on top.
func pinWidgets(t *testing.T, w fyne.Window) (entry *widget.Entry, remember *widget.Check) {
	t.Helper()
	for _, o := range overlayObjects(t, w) {
		switch x := o.(type) {
		case *widget.Entry:
			if x.Password {
				entry = x
			}
		case *widget.Check:
			if x.Text == "Remember in the keyring" {
				remember = x
			}
		}
	}
	if entry == nil {
		t.Fatal("no PIN field")
	}
	return entry, remember
}
