package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
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
// focus; a focused single-line field submits its form itself (showForm).
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
