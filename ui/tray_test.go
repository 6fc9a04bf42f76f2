package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/app"
)

func TestTrayStatus(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	// user/My: kiosk01 expires in 11 days, old.corp expired 3 days ago.
	if got := v.tray.status.Label; got != "2 certificates expire within 14 days" {
		t.Errorf("tray says %q", got)
	}
	if v.tray.keep {
		t.Error("stays in the tray without autoenrollment")
	}
	c.enroll.servers = []app.Server{{ID: "x", AutoEnroll: true}}
	v.tray.update()
	if !v.tray.keep {
		t.Error("does not stay in the tray with autoenrollment on")
	}
	test.AssertNotificationSent(t, fyne.NewNotification("certdesk is still running",
		"It renews your certificates in the background. Open it again from the tray."), v.tray.closed)
	tests := []struct {
		name string
		soon int
		err  error
		want string
	}{
		{"none", 0, nil, "No certificate expires within 14 days"},
		{"one", 1, nil, "1 certificate expires within 14 days"},
		{"error", 0, errors.New("x"), "The certificates could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trayStatus(tt.soon, tt.err); got != tt.want {
				t.Errorf("trayStatus = %q", got)
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
			fyne.NewNotification("Renewal failed", "“kiosk01” could not be renewed: the server is down")},
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
