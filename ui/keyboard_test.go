package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
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
	v.browser.table.Select(widget.TableCellID{Row: 1, Col: 0})
	v.tasks.wait()
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
