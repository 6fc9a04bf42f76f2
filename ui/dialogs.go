package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// showBusy shows a modal progress dialog and returns the func that hides it.
func showBusy(w fyne.Window, text string) func() {
	bar := widget.NewProgressBarInfinite()
	d := dialog.NewCustomWithoutButtons(text, bar, w)
	d.Show()
	return func() {
		bar.Stop()
		d.Hide()
	}
}

// showError is every error dialog: what failed as its title ("The
// certificate could not be deleted"), then the readable cause with what to
// do, and the error's own chain under Details (errorBody).
func showError(w fyne.Window, failed string, err error) dialog.Dialog {
	d := dialog.NewCustom(errorTitle(failed), "Close", errorBody(err), w)
	d.Resize(fyne.NewSize(480, 0))
	show(w, d)
	return d
}

// showForm shows a form dialog with the keyboard a person expects: the
// first enabled entry has the focus, and Enter in any single-line entry
// submits the form (FormDialog.Submit, which validates first).
func showForm(w fyne.Window, d *dialog.FormDialog, items []*widget.FormItem) {
	show(w, d)
	focused := false
	for _, it := range items {
		var e *widget.Entry
		switch x := it.Widget.(type) {
		case *dialogEntry:
			e = &x.Entry
		case *widget.Entry:
			e = x
		}
		if e == nil || e.MultiLine {
			continue
		}
		e.OnSubmitted = func(string) { d.Submit() }
		if !focused && !e.Disabled() {
			w.Canvas().Focus(it.Widget.(fyne.Focusable)) // the field itself, which takes Escape
			focused = true
		}
	}
}

// unlessDialog returns action guarded so that it does nothing while a
// dialog is open: a shortcut (Ctrl+N over an error dialog) does not reach
// through it to the window behind.
func unlessDialog(w fyne.Window, action func()) func() {
	return func() {
		if w.Canvas().Overlays().Top() != nil {
			return
		}
		action()
	}
}
