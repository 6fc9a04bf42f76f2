package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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

// showError says in one plain sentence what failed, with the error's own
// text expandable for the technically minded.
func showError(w fyne.Window, sentence string, err error) dialog.Dialog {
	msg := widget.NewLabel(sentence)
	msg.Wrapping = fyne.TextWrapWord
	detail := widget.NewLabel(err.Error())
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	content := container.NewVBox(msg, widget.NewAccordion(widget.NewAccordionItem("Technical details", detail)))
	d := dialog.NewCustom("Something went wrong", "Close", content, w)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
	return d
}
