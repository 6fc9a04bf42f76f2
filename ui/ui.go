// Package ui holds certdesk's Fyne views. It talks to the core through the
// small interface in core.go and never holds state the core does not have.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// New builds the content of the main window.
func New(a fyne.App, w fyne.Window) fyne.CanvasObject {
	return widget.NewLabel("certdesk")
}
