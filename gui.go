//go:build !nogui

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/assets"
	"github.com/certdesk/certdesk/internal/demo"
	"github.com/certdesk/certdesk/store"
	"github.com/certdesk/certdesk/ui"
)

// appID is the Fyne application id; it must match FyneApp.toml.
const appID = "io.github.certdesk"

// startGUI opens the main window over the core of CERTDESK_ROOT or the
// platform's locations; with isDemo, over the embedded test CA's throwaway
// root instead (demo.Start).
func startGUI(isDemo bool, stdout io.Writer) error {
	useSystemLocale()
	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon)
	var core *app.Core
	schedule := &app.Scheduler{}
	if isDemo {
		d, err := demo.Start(context.Background())
		if err != nil {
			return err
		}
		defer d.Close()
		fmt.Fprint(stdout, d.Describe())
		core, schedule = d.Core, nil
	} else {
		if root := os.Getenv("CERTDESK_ROOT"); root != "" {
			abs, err := filepath.Abs(root) // the OS job must look where the GUI looks
			if err != nil {
				return err
			}
			schedule.Env = []string{"CERTDESK_ROOT=" + abs}
		}
		var err error
		if core, err = app.Open(store.Location{}); err != nil {
			return err
		}
	}
	return ui.Run(a, core, schedule)
}
