//go:build !nogui

package main

import (
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/certdesk/certdesk/assets"
	"github.com/certdesk/certdesk/store"
	"github.com/certdesk/certdesk/ui"
)

// appID is the Fyne application id; it must match FyneApp.toml.
const appID = "io.github.certdesk"

// runGUI opens the main window; with demo it first starts the embedded
// test CEP/CES (issue #5).
func runGUI(c *cli, demo bool) int {
	loc, err := store.LocationFromEnv(os.Getenv)
	if err != nil {
		return c.fail(err)
	}
	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("certdesk")
	w.SetContent(ui.New(a, w, ui.NewStoreCore(loc)))
	w.Resize(fyne.NewSize(1200, 760))
	w.ShowAndRun()
	return exitOK
}
