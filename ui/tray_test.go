package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
)

// TestTrayStatus: the tray and the status bar summarise the core's health
// report (one rule, app.Core.Health), and follow it after an event.
func TestTrayStatus(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	if got := v.tray.status.Label; got != "No certificates" {
		t.Errorf("tray says %q", got)
	}
	if v.tray.keep {
		t.Error("stays in the tray without autoenrollment")
	}
	c.health = healthOf(12, 2, app.LevelWarning)
	c.enroll.servers = []app.Server{{ID: "x", AutoEnroll: true}}
	v.handle(app.Event{Kind: app.RenewalFailed})
	if got := v.tray.status.Label; got != "2 of 12 certificates need attention" {
		t.Errorf("after an event the tray says %q", got)
	}
	if got := v.health.Text; got != "User: 2 of 12 certificates need attention" || v.health.Importance != widget.WarningImportance {
		t.Errorf("status bar %q, importance %v", got, v.health.Importance)
	}
	if !v.tray.keep {
		t.Error("does not stay in the tray with autoenrollment on")
	}
	test.AssertNotificationSent(t, fyne.NewNotification("certdesk is still running",
		"It renews your certificates in the background. Open it again from the tray."), v.tray.closed)
	tests := []struct {
		name string
		rep  *app.HealthReport
		err  error
		want string
		imp  widget.Importance
	}{
		{"fine", healthOf(3, 0, app.LevelOK), nil, "All 3 certificates are fine", widget.SuccessImportance},
		{"critical", healthOf(3, 1, app.LevelCritical), nil, "1 of 3 certificates needs attention", widget.DangerImportance},
		{"error", nil, errors.New("x"), "The certificates could not be read", widget.DangerImportance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, imp := healthLine(tt.rep, tt.err); got != tt.want || imp != tt.imp {
				t.Errorf("healthLine = %q, %v", got, imp)
			}
		})
	}
}

func TestNotifications(t *testing.T) {
	v, _, _, _ := newTestMain(t)
	tests := []struct {
		name string
		e    app.Event
		want *fyne.Notification
	}{
		{"renewed", app.Event{Kind: app.RenewalSucceeded, Subject: "CN=kiosk01,O=Example", NotAfter: testNow.Add(90 * day)},
			fyne.NewNotification("Certificate renewed", "“kiosk01” was renewed and is valid until 2027-02-23 12:00.")},
		{"failed", app.Event{Kind: app.RenewalFailed, Subject: "CN=kiosk01", Err: errors.New("the server is down")},
			fyne.NewNotification("Renewal failed", "“kiosk01” could not be renewed. The server is down.")},
		{"window", app.Event{Kind: app.NotificationWindow, Subject: "CN=kiosk01", Days: 7, NotAfter: testNow.Add(7 * day)},
			fyne.NewNotification("Certificate expires soon", "“kiosk01” expires in 7 days, on 2026-12-02 12:00.")},
		{"store changed", app.Event{Kind: app.StoreChanged}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.AssertNotificationSent(t, tt.want, func() { v.handle(tt.e) })
		})
	}
}

// TestCheckNowStatus: Check now reports what it found in the status bar,
// without a modal dialog.
func TestCheckNowStatus(t *testing.T) {
	v, c, w, _ := newTestMain(t)
	c.pulse = &app.PulseReport{Checked: 3, Due: 1, Renewals: []app.RenewalOutcome{{Subject: "CN=kiosk01,O=Example", Outcome: app.OutcomeOK}}}
	test.Tap(v.checkButton)
	v.tasks.wait()
	if got := v.checked.Text; got != "User checked at 12:00: 3 certificates checked, 1 due; renewed “kiosk01”" {
		t.Errorf("status line %q", got)
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Errorf("Check now opened a dialog: %s", overlayText(t, w))
	}
	if got := pulseSummary(&app.PulseReport{Checked: 1}); got != "1 certificate checked, none due" {
		t.Errorf("nothing due: %q", got)
	}
	approved := &app.PulseReport{Checked: 1, Requests: []app.RequestOutcome{
		{RequestID: "42", Subject: "CN=Kiosk User", Outcome: app.OutcomeOK}, {RequestID: "43", Outcome: app.OutcomePending}}}
	if got := pulseSummary(approved); got != "1 certificate checked, none due; 2 pending requests asked; request 42 approved: “Kiosk User” installed" {
		t.Errorf("an approved request: %q", got)
	}
	n := notification(app.Event{Kind: app.RequestIssued, Subject: "CN=Kiosk User", RequestID: "42"})
	if n == nil || n.Title != "Request approved" || n.Content != "Request 42 was approved: “Kiosk User” is installed in Personal." {
		t.Errorf("notification %+v", n)
	}
}

// TestHealthFollowsChanges: the status bar's health line follows every
// change the browser shows (here an import), not only checks and events.
func TestHealthFollowsChanges(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	v.tasks.wait()
	c.mu.Lock()
	c.health = healthOf(4, 1, app.LevelWarning)
	c.mu.Unlock()
	v.importer.changed() // what an import, a delete or a renewal calls
	v.tasks.wait()
	if got := v.health.Text; got != "User: 1 of 4 certificates needs attention" {
		t.Errorf("health line %q after a change", got)
	}
}
