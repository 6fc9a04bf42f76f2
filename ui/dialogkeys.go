package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// keyedDialog is an open dialog with what Enter and Escape do to it.
type keyedDialog struct {
	d             dialog.Dialog
	enter, escape func()
}

// openDialogs are the keyed dialogs of each window, the top one last.
// Only the UI thread touches it.
var openDialogs = map[fyne.Window][]*keyedDialog{}

// show shows d with the keyboard of every dialog: Escape dismisses it (as
// its Cancel or Close button does); Enter confirms a ConfirmDialog,
// submits a FormDialog (which validates first) and closes any other.
func show(w fyne.Window, d dialog.Dialog) {
	enter := d.Hide
	switch x := d.(type) {
	case *dialog.ConfirmDialog:
		enter = x.Confirm
	case *dialog.FormDialog:
		enter = x.Submit
	}
	showKeyed(w, d, enter, d.Hide)
}

// showKeyed shows d with enter and escape as its keys.
func showKeyed(w fyne.Window, d dialog.Dialog, enter, escape func()) {
	k := &keyedDialog{d: d, enter: enter, escape: escape}
	openDialogs[w] = append(openDialogs[w], k)
	d.SetOnClosed(func() {
		openDialogs[w] = slices.DeleteFunc(openDialogs[w], func(o *keyedDialog) bool { return o == k })
		if len(openDialogs[w]) == 0 {
			delete(openDialogs, w)
		}
	})
	d.Show()
}

// dialogKey gives Enter and Escape to the top dialog of w, reporting
// whether one took it. The window's canvas gets keys when no field has the
// focus; a focused dialogEntry passes them on, and a focused single-line
// field of a form submits it itself (showForm).
func dialogKey(w fyne.Window, k *fyne.KeyEvent) bool {
	open := openDialogs[w]
	if len(open) == 0 {
		return false
	}
	top := open[len(open)-1]
	switch k.Name {
	case fyne.KeyEscape:
		top.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		top.enter()
	default:
		return false
	}
	return true
}

// info shows a message with an OK button and the dialog keys.
func info(w fyne.Window, title, message string) {
	show(w, dialog.NewInformation(title, message, w))
}

// confirm asks a yes/no question with the dialog keys.
func confirm(w fyne.Window, title, message string, answer func(bool)) {
	show(w, dialog.NewConfirm(title, message, answer, w))
}

// dialogEntry is a text field of a dialog or wizard step. widget.Entry
// keeps Escape to itself, and the window's keys (dialogKey) reach only a
// canvas with nothing focused, so in a plain Entry Escape did nothing;
// here Escape does what it does to the dialog, and Enter in a single-line
// field with no OnSubmitted of its own presses the default button.
type dialogEntry struct{ widget.Entry }

// newDialogField returns a text field for a dialog, wrapped as
// widget.NewEntry's are: a password hides its text (with a show button),
// a multi-line field takes Enter as a new line.
func newDialogField(password, multiLine bool) *dialogEntry {
	e := &dialogEntry{}
	e.Password, e.MultiLine = password, multiLine
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// newDialogEntry returns a single-line text field for a dialog.
func newDialogEntry() *dialogEntry { return newDialogField(false, false) }

// newDialogPasswordEntry returns a password field for a dialog.
func newDialogPasswordEntry() *dialogEntry { return newDialogField(true, false) }

// newDialogMultiLineEntry returns a multi-line text field for a dialog.
func newDialogMultiLineEntry() *dialogEntry { return newDialogField(false, true) }

// TypedKey gives Escape, and Enter where the field does not take it, to
// the top dialog of the window the field has the focus of.
func (e *dialogEntry) TypedKey(k *fyne.KeyEvent) {
	enter := k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter
	if k.Name == fyne.KeyEscape || enter && !e.MultiLine && e.OnSubmitted == nil {
		for w := range openDialogs {
			if w.Canvas().Focused() == e && dialogKey(w, k) {
				return
			}
		}
	}
	e.Entry.TypedKey(k)
}
