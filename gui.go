//go:build !nogui

package main

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/certdesk/certdesk/assets"
	"github.com/certdesk/certdesk/ui"
)

// appID is the Fyne application id; it must match FyneApp.toml.
const appID = "io.github.certdesk"

// runGUI opens the main window; with demo it first starts the embedded
// test CEP/CES (issue #5).
func runGUI(c *cli, demo bool) int {
	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("certdesk")
	w.SetContent(ui.New(a, w, nil))
	w.Resize(fyne.NewSize(1100, 700))
	w.ShowAndRun()
	return exitOK
}
