package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// healthLine words a health report (app.Core.Health) for the status bar
// and the tray, "2 of 12 certificates need attention", with the colour of
// its level.
func healthLine(rep *app.HealthReport, err error) (string, widget.Importance) {
	if err != nil || rep == nil {
		return "The certificates could not be read", widget.DangerImportance
	}
	switch rep.Level {
	case app.LevelOK:
		return rep.Headline(), widget.SuccessImportance
	case app.LevelWarning:
		return rep.Headline(), widget.WarningImportance
	}
	return rep.Headline(), widget.DangerImportance
}

// updateHealth shows the health of the shown context in the status bar.
func (v *mainView) updateHealth() {
	cx := v.browser.workContext()
	v.healthCx = cx
	v.tasks.run(func() func() {
		rep, err := v.core.Health(context.Background(), cx, app.DefaultHealthOptions())
		return func() {
			if cx != v.healthCx {
				return // the person moved on; that context's report follows
			}
			text, imp := healthLine(rep, err)
			v.health.Importance = imp
			v.health.SetText(contextLabel(cx) + ": " + text)
		}
	})
}

// requestIssuedText says that a pending request was approved and its
// certificate installed (app.RequestIssued): "Request 42 was approved:
// “kiosk01” is installed in Personal."
func requestIssuedText(e app.Event) string {
	installed := "“" + safetext.Escape(app.CommonName(e.Subject)) + "” is installed in " + storeLabel(store.My) + "."
	if e.RequestID == "" {
		return "A request was approved: " + installed
	}
	return "Request " + safetext.Escape(e.RequestID) + " was approved: " + installed
}

// requestIssuedLine is the status bar's line for app.RequestIssued at
// now, which a background check installs without asking anyone: "User,
// 14:02: Request 42 was approved: “kiosk01” is installed in Personal."
func requestIssuedLine(e app.Event, now time.Time) string {
	return contextLabel(store.Context(e.Context)) + ", " + now.Format("15:04") + ": " + requestIssuedText(e)
}
