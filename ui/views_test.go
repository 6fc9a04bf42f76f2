package ui

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

func TestHistoryView(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	c.more.history = app.NewHistory(t.TempDir(), 0)
	for _, r := range []app.Record{
		{Time: testNow.Add(-2 * time.Hour), Subject: "CN=kiosk01", Action: app.ActionCheck, Outcome: app.OutcomeNothingDue},
		{Time: testNow.Add(-time.Hour), Subject: "CN=vpn,O=Example", Action: app.ActionRenew, Outcome: app.OutcomeFailed, Reason: "the server is down"},
		{Time: testNow, Subject: "CN=kiosk01", Action: app.ActionRenew, Outcome: app.OutcomeOK},
	} {
		if err := c.more.history.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	v.history.reload()
	if len(v.history.records) != 3 {
		t.Errorf("%d records at first", len(v.history.records))
	}
	tests := []struct {
		filter string
		want   int
	}{{"Failed", 1}, {"Succeeded", 1}, {"Denied", 0}, {"All outcomes", 3}}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			v.history.filter.SetSelected(tt.filter)
			if len(v.history.records) != tt.want || v.history.summary.Text != plural(tt.want, "record") {
				t.Errorf("%d records, summary %q", len(v.history.records), v.history.summary.Text)
			}
		})
	}
	v.history.filter.SetSelected("Failed")
	cell := widget.NewLabel("")
	v.history.update(widget.TableCellID{Row: 0, Col: 3}, cell)
	if cell.Text != "Failed" || cell.Importance != widget.DangerImportance {
		t.Errorf("outcome cell %q %v", cell.Text, cell.Importance)
	}
	v.history.update(widget.TableCellID{Row: 0, Col: 1}, cell)
	if cell.Text != "vpn" {
		t.Errorf("subject cell %q", cell.Text)
	}
	v.history.filter.SetSelected("All outcomes")
	if r := v.history.records[0]; r.Outcome != app.OutcomeOK {
		t.Errorf("newest first: %+v", r)
	}
}

func TestSettingsView(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	c.more.settings = app.Settings{CheckInterval: 8 * time.Hour, RenewalRatio: 0.8, NotifyDays: []int{30, 14, 7, 1}}
	s := v.settings
	s.reload()
	if s.interval.Selected != "Every 8 hours" || s.ratio.Text != "80%" || s.notifyDays.Text != "30, 14, 7, 1" || s.schedule.Checked {
		t.Fatalf("form shows %q %q %q %v", s.interval.Selected, s.ratio.Text, s.notifyDays.Text, s.schedule.Checked)
	}
	tests := []struct {
		name, ratio, days string
		valid             bool
	}{
		{"valid", "75%", "7, 30, 1", true},
		{"ratio too high", "99", "30", false},
		{"bad day", "80%", "30, soon", false},
		{"no days", "0.8", "none", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ratio.SetText(tt.ratio)
			s.notifyDays.SetText(tt.days)
			if valid := s.form.Validate() == nil; valid != tt.valid {
				t.Errorf("valid = %v", valid)
			}
		})
	}
	for dir, valid := range map[string]bool{"metrics": false, "/var/lib/metrics": true, "off": true, "": true} {
		s.metricsDir.SetText(dir)
		if got := s.metricsDir.Validate() == nil; got != valid {
			t.Errorf("metrics directory %q valid = %v", dir, got)
		}
	}
	s.metricsDir.SetText("/var/lib/metrics")
	s.ratio.SetText("75%")
	s.notifyDays.SetText("7, 30, 1")
	s.interval.SetSelected("Every 4 hours")
	s.startInTray.SetChecked(true)
	s.submit()
	want := app.Settings{CheckInterval: 4 * time.Hour, RenewalRatio: 0.75, NotifyDays: []int{30, 7, 1}, StartInTray: true, MetricsDir: "/var/lib/metrics"}
	if !reflect.DeepEqual(c.more.settings, want) || s.status.Text != "Saved." {
		t.Errorf("saved %+v, status %q", c.more.settings, s.status.Text)
	}
	if s.publish != nil {
		t.Error("a system store choice without a system store")
	}
	test.Tap(s.schedule)
	if !c.more.scheduled || !strings.Contains(s.status.Text, "on schedule") {
		t.Errorf("schedule %v, status %q", c.more.scheduled, s.status.Text)
	}
	c.err = errors.New("systemd is not running")
	test.Tap(s.schedule)
	if !s.schedule.Checked || !strings.Contains(s.status.Text, "The OS schedule could not be changed. Systemd is not running.") {
		t.Errorf("failed removal: checked %v, status %q", s.schedule.Checked, s.status.Text)
	}
}

func TestServersView(t *testing.T) {
	v, c, w, _ := newTestMain(t)
	c.enroll.servers = []app.Server{corpServer}
	s := v.servers
	s.reload()
	if len(s.servers) != 1 || !s.edit.Disabled() {
		t.Fatalf("%d servers, edit enabled %v", len(s.servers), !s.edit.Disabled())
	}
	if got := serverDetail(serverRow{corpServer, true}); got != "https://cep.corp.example.com/CEP · as kiosk · password saved in the keyring" {
		t.Errorf("detail %q", got)
	}
	s.list.Select(0)
	test.Tap(s.autoEnroll)
	if !c.enroll.servers[0].AutoEnroll {
		t.Error("autoenrollment not switched on")
	}
	s.list.Select(0)
	test.Tap(s.test)
	if !strings.Contains(s.status.Text, "offers 0 templates") {
		t.Errorf("test says %q", s.status.Text)
	}
	test.Tap(s.add)
	s.form.url.SetText("https://cep2.example.com/CEP")
	s.form.username.SetText("u")
	tapOverlayButton(t, w, "Save")
	// The password goes only to hosts the person confirmed.
	if got := overlayText(t, w); !strings.Contains(got, "Your password will be sent to: cep2.example.com.") {
		t.Fatalf("the confirmation says %q", got)
	}
	tapOverlayButton(t, w, "Send my password")
	if len(c.enroll.servers) != 2 {
		t.Fatalf("add: %s", c.recorded())
	}
	s.list.Select(0)
	test.Tap(s.remove)
	tapOverlayButton(t, w, "Yes")
	if len(s.servers) != 1 || s.servers[0].URL != "https://cep2.example.com/CEP" {
		t.Errorf("after remove: %+v", s.servers)
	}
}

func TestRequestsView(t *testing.T) {
	v, c, w, f := newTestMain(t)
	pending := entryOf(f.ecLeaf, true)
	pending.Meta.RequestID = "42"
	pending.Meta.TemplateName = "User"
	c.put("user", "Request", false, pending)
	r := v.requests
	r.reload()
	if len(r.entries) != 1 || requestDetail(r.entries[0]) != "Request 42 · User" {
		t.Fatalf("entries %d, detail %q", len(r.entries), requestDetail(r.entries[0]))
	}
	// Cancel request: disabled until one is selected; No keeps it, Yes
	// archives it through the core.
	if !r.cancel.Disabled() {
		t.Error("Cancel request enabled with nothing selected")
	}
	r.list.Select(0)
	test.Tap(r.cancel)
	tapOverlayButton(t, w, "No")
	if strings.Contains(c.recorded(), "Delete") {
		t.Fatalf("No cancelled the request: %q", c.recorded())
	}
	r.list.Select(0)
	test.Tap(r.cancel)
	tapOverlayButton(t, w, "Yes")
	if !strings.Contains(c.recorded(), "Delete user/Request "+pending.Thumbprint) || len(r.entries) != 0 || !r.cancel.Disabled() {
		t.Fatalf("Yes: calls %q, %d entries listed", c.recorded(), len(r.entries))
	}
	c.put("user", "Request", false, pending)
	r.reload()

	c.more.outcomes = []app.RequestOutcome{{RequestID: "42", Subject: "CN=Kiosk User,O=Example Corp", Outcome: app.OutcomeDenied, Reason: "no permission"}}
	test.Tap(r.poll)
	wantDialog(t, w, "Request 42 (Kiosk User): denied by the CA: no permission.")
	tapOverlayButton(t, w, "OK")

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "answer.cer"), f.rsaLeaf.Raw, 0o600)
	c.more.accepted = entryOf(f.rsaLeaf, true)
	r.installFile(storage.NewFileURI(filepath.Join(dir, "answer.cer")))
	wantDialog(t, w, "“kiosk01.corp.example.com” was installed in Personal")
	tapOverlayButton(t, w, "OK")

	c.more.csr = []byte("-----BEGIN CERTIFICATE REQUEST-----\n")
	test.Tap(r.offline)
	r.csr.commonName.SetText("kiosk02")
	r.csr.dnsNames.SetText("kiosk02.corp.example.com")
	r.csr.key.SetSelected("ECDSA P-256")
	out := storage.NewFileURI(filepath.Join(dir, "kiosk02.csr"))
	wr, _ := storage.Writer(out)
	r.createCSR("user", r.csr.request(), wr)
	if got, _ := os.ReadFile(filepath.Join(dir, "kiosk02.csr")); string(got) != string(c.more.csr) {
		t.Errorf("CSR file holds %q", got)
	}
	if !strings.Contains(c.recorded(), "RequestNew CN=kiosk02 [kiosk02.corp.example.com] p256") {
		t.Errorf("calls %q", c.recorded())
	}
}

// TestSettingsDemoInterval: the demo's core checks every 30 seconds, out
// of the person's range; its settings still save (issue #15).
func TestSettingsDemoInterval(t *testing.T) {
	test.NewTempApp(t)
	st := app.DefaultSettings()
	st.CheckInterval = 30 * time.Second
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Settings: st})
	if err != nil {
		t.Fatal(err)
	}
	s := newSettingsView(newAppCore(core, nil), &tasks{inline: true}, func() store.Context { return store.User })
	test.NewTempWindow(t, s.content)
	s.reload()
	if s.interval.Selected != "Every 30 seconds" {
		t.Fatalf("interval shows %q", s.interval.Selected)
	}
	s.ratio.SetText("70%")
	s.submit()
	if s.status.Text != "Saved." || core.Settings().RenewalRatio != 0.7 {
		t.Fatalf("status %q, settings %+v", s.status.Text, core.Settings())
	}
}

// TestSettingsPublishIssued: where the OS has its own store the settings
// offer to add new certificates to it, and save the choice.
func TestSettingsPublishIssued(t *testing.T) {
	_, c, w, _ := newTestMain(t)
	c.more.native = true
	c.more.settings = app.Settings{CheckInterval: 8 * time.Hour, RenewalRatio: 0.8, NotifyDays: []int{30}, PublishIssued: true}
	s := newSettingsView(c, &tasks{inline: true}, func() store.Context { return store.User })
	w.SetContent(s.content)
	s.reload()
	if s.publish == nil || !s.publish.Checked {
		t.Fatal("the system store choice is missing or does not show the setting")
	}
	s.publish.SetChecked(false)
	s.submit()
	if c.more.settings.PublishIssued || s.status.Text != "Saved." {
		t.Fatalf("saved %+v, status %q", c.more.settings, s.status.Text)
	}
}

// TestHistoryKeepsSelectedRecord: a new record moves the rows down; the
// selection stays on the record the person chose (issue #15).
func TestHistoryKeepsSelectedRecord(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	c.more.history = app.NewHistory(t.TempDir(), 0)
	add := func(r app.Record) {
		if err := c.more.history.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	add(app.Record{Time: testNow.Add(-time.Hour), Subject: "CN=vpn", Action: app.ActionRenew, Outcome: app.OutcomeFailed, Reason: "down"})
	add(app.Record{Time: testNow, Subject: "CN=kiosk01", Action: app.ActionRenew, Outcome: app.OutcomeOK})
	h := v.history
	h.reload()
	h.table.Select(widget.TableCellID{Row: 1, Col: 1}) // vpn, the older
	add(app.Record{Time: testNow.Add(time.Minute), Subject: "CN=web", Action: app.ActionCheck, Outcome: app.OutcomeNothingDue})
	var row = -1
	h.table.OnSelected = func(id widget.TableCellID) { row = id.Row }
	h.reload()
	if row != 2 || h.records[row].Subject != "CN=vpn" {
		t.Fatalf("selection at row %d after a new record; want the vpn record at row 2", row)
	}
}
