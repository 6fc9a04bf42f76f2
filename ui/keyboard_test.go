package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
)

// TestShortcutsStopAtDialogs: Ctrl+N over an error dialog does not open
// the wizard behind it (issue #15).
func TestShortcutsStopAtDialogs(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	showError(w, "The certificate could not be deleted.", errors.New("no"))
	v.requestItem.Action()
	if v.wizard != nil {
		t.Fatal("Ctrl+N reached through the error dialog")
	}
}

// TestFormKeyboard: a form dialog opens with its first field focused, and
// Enter in a field submits it (issue #15).
func TestFormKeyboard(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	selectRow(t, v, 1)
	v.showExport()
	ex := v.exporter
	if w.Canvas().Focused() != ex.password {
		t.Fatalf("focused %T, want the password", w.Canvas().Focused())
	}
	ex.password.SetText("pw")
	ex.confirm.SetText("pw")
	form := w.Canvas().Overlays().Top()
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if top := w.Canvas().Overlays().Top(); top == nil || top == form {
		t.Fatal("Enter did not submit the export form (no Save dialog)")
	}
}

// TestDialogKeys: Escape dismisses the top dialog, Enter presses its
// default button, in dialogs and in the wizard (issue #15).
func TestDialogKeys(t *testing.T) {
	v, c, w, _ := newTestMain(t)
	key := func(name fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }
	showError(w, "The certificate could not be deleted.", errors.New("no"))
	key(fyne.KeyEscape)
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("Escape left the error dialog open: %s", overlayText(t, w))
	}
	selectRow(t, v, 1)
	test.Tap(v.deleteButton)
	key(fyne.KeyReturn)
	v.tasks.wait()
	if !strings.HasPrefix(c.recorded(), "Delete user/My") {
		t.Fatalf("Enter on the confirmation: calls %q", c.recorded())
	}

	c.enroll = fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{userTmpl}, unsaved: map[string]bool{corpServer.ID: true}}
	test.Tap(v.requestButton)
	z := v.wizard
	if w.Canvas().Focused() != z.password {
		t.Errorf("the server step focuses %T, want the password", w.Canvas().Focused())
	}
	w.Canvas().Unfocus()
	key(fyne.KeyReturn)
	if z.title.Text != "Template" {
		t.Fatalf("Enter in the wizard: step %q", z.title.Text)
	}
	key(fyne.KeyEscape)
	if top := w.Canvas().Overlays().Top(); top != nil || z.ctx.Err() == nil {
		t.Fatal("Escape did not cancel the wizard")
	}
}

// TestEscapeInFocusedField: Escape typed into a focused text field
// cancels its dialog or the wizard, as it does with nothing focused (an
// Entry kept it to itself); Enter in a field still presses the default
// button, and in a multi-line field starts a new line (issue #15).
func TestEscapeInFocusedField(t *testing.T) {
	v, c, w, _ := newTestMain(t)
	typeKey := func(name fyne.KeyName) {
		t.Helper()
		f := w.Canvas().Focused()
		if _, ok := f.(*dialogEntry); !ok {
			t.Fatalf("focused %T, want a text field", f)
		}
		f.TypedKey(&fyne.KeyEvent{Name: name})
	}
	closed := func(what string) {
		t.Helper()
		if top := w.Canvas().Overlays().Top(); top != nil {
			t.Fatalf("Escape in a field left %s open: %s", what, overlayText(t, w))
		}
	}

	selectRow(t, v, 1)
	v.showExport()
	test.Type(v.exporter.password, "pw")
	typeKey(fyne.KeyEscape)
	closed("the export form")

	test.Tap(v.requests.offline)
	w.Canvas().Focus(v.requests.csr.dnsNames)
	test.Type(v.requests.csr.dnsNames, "kiosk02")
	typeKey(fyne.KeyReturn)
	if got := v.requests.csr.dnsNames.Text; got != "kiosk02\n" || w.Canvas().Overlays().Top() == nil {
		t.Fatalf("Enter in the DNS names: %q", got)
	}
	typeKey(fyne.KeyEscape)
	closed("the offline request form")

	c.enroll = fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{webTmpl}, unsaved: map[string]bool{corpServer.ID: true}}
	test.Tap(v.requestButton)
	z := v.wizard
	test.Type(z.password, "pw")
	typeKey(fyne.KeyReturn)
	if z.title.Text != "Template" {
		t.Fatalf("Enter in the password: step %q", z.title.Text)
	}
	test.Tap(z.next)
	typeKey(fyne.KeyEscape)
	closed("the wizard")
	if z.ctx.Err() == nil || len(c.enroll.requests) != 0 {
		t.Errorf("Escape did not cancel the wizard")
	}
}
