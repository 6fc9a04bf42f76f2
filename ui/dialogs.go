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
	d.Show()
	return d
}
