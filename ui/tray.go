package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// tray is the system tray menu and the desktop notifications: a status
// line, Check now, Open and Quit; closing the window keeps certdesk in the
// tray while autoenrollment is on.
type tray struct {
	app   fyne.App
	win   fyne.Window
	core  Core
	tasks *tasks

	status *fyne.MenuItem
	menu   *fyne.Menu
	// keep is true when closing the window only hides it.
	keep bool
	told bool // the person was told that certdesk stays in the tray
}

// noSystemTray is set by Run where no system tray can exist (a Linux
// session without a D-Bus session bus): Fyne's tray would fail there, and a
// window hidden to a tray that does not exist could never come back.
var noSystemTray bool

func newTray(a fyne.App, w fyne.Window, core Core, t *tasks, checkNow func()) *tray {
	tr := &tray{app: a, win: w, core: core, tasks: t}
	tr.status = fyne.NewMenuItem("Checking certificates…", nil)
	tr.status.Disabled = true
	tr.menu = fyne.NewMenu("certdesk", tr.status, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Check now", checkNow),
		fyne.NewMenuItem("Open certdesk", func() { w.Show(); w.RequestFocus() }))
	if d, ok := a.(desktop.App); ok && !noSystemTray {
		d.SetSystemTrayMenu(tr.menu) // Fyne adds Quit
		if a.Icon() != nil {
			d.SetSystemTrayIcon(a.Icon())
		}
		w.SetCloseIntercept(tr.closed)
	}
	return tr
}

// closed hides the window while autoenrollment needs certdesk running.
func (tr *tray) closed() {
	if !tr.keep {
		tr.app.Quit()
		return
	}
	tr.win.Hide()
	if !tr.told {
		tr.told = true
		tr.app.SendNotification(fyne.NewNotification("certdesk is still running",
			"It renews your certificates in the background. Open it again from the tray."))
	}
}

// update summarises the health of the user's certificates (the core's
// rule, app.Core.Health) and decides whether to stay in the tray.
func (tr *tray) update() {
	tr.tasks.run(func() func() {
		rep, err := tr.core.Health(context.Background(), store.User, app.DefaultHealthOptions())
		keep := false
		if en, ok := tr.core.(Enroller); ok {
			servers, _ := en.Servers(store.User)
			for _, s := range servers {
				keep = keep || s.AutoEnroll
			}
		}
		return func() {
			tr.keep = keep
			tr.status.Label, _ = healthLine(rep, err)
			tr.menu.Refresh()
		}
	})
}

// notification is what the desktop is told about an event, or nil.
func notification(e app.Event) *fyne.Notification {
	subject := app.CommonName(e.Subject)
	switch e.Kind {
	case app.RenewalSucceeded:
		return fyne.NewNotification("Certificate renewed",
			fmt.Sprintf("“%s” was renewed and is valid until %s.", subject, formatDate(e.NotAfter)))
	case app.RenewalFailed:
		msg := fmt.Sprintf("“%s” could not be renewed.", subject)
		if e.Err != nil {
			msg = failedLine(msg, e.Err)
		}
		return fyne.NewNotification("Renewal failed", msg)
	case app.RequestIssued:
		return fyne.NewNotification("Request approved", requestIssuedText(e))
	case app.NotificationWindow:
		return fyne.NewNotification("Certificate expires soon",
			fmt.Sprintf("“%s” expires in %s, on %s.", subject, plural(e.Days, "day"), formatDate(e.NotAfter)))
	}
	return nil
}
