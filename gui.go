//go:build !nogui

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/assets"
	"github.com/certdesk/certdesk/store"
	"github.com/certdesk/certdesk/ui"
)

// appID is the Fyne application id; it must match FyneApp.toml.
const appID = "io.github.certdesk"

// runGUI opens the main window over the core of CERTDESK_ROOT or the
// platform's locations; with demo, over the embedded test CA's throwaway
// root instead (ui.StartDemo).
func runGUI(c *cli, demo bool) int {
	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon)
	var core *app.Core
	schedule := &app.Scheduler{}
	if demo {
		d, err := ui.StartDemo(context.Background())
		if err != nil {
			return c.fail(err)
		}
		defer d.Close()
		fmt.Fprint(c.stdout, d.Describe())
		core, schedule = d.Core, nil
	} else {
		if root := os.Getenv("CERTDESK_ROOT"); root != "" {
			abs, err := filepath.Abs(root) // the OS job must look where the GUI looks
			if err != nil {
				return c.fail(err)
			}
			schedule.Env = []string{"CERTDESK_ROOT=" + abs}
		}
		// The settings live in settings.json, where the command line and
		// the scheduled pulse read them too.
		var err error
		if core, _, err = openCore(string(store.User)); err != nil {
			return c.fail(err)
		}
	}
	if err := ui.Run(a, core, schedule); err != nil {
		return c.fail(err)
	}
	return exitOK
}
