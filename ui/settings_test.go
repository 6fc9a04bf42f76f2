package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// newCoreSettings is the settings tab, loaded, over a real core with the
// managed file managed ("" for none).
func newCoreSettings(t *testing.T, managed string) (*settingsView, *app.Core) {
	t.Helper()
	test.NewTempApp(t)
	var m *app.Managed
	if managed != "" {
		path := filepath.Join(t.TempDir(), app.ManagedFileName)
		if err := os.WriteFile(path, []byte(managed), 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if m, err = app.ReadManaged(path); err != nil {
			t.Fatal(err)
		}
	}
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Managed: m})
	if err != nil {
		t.Fatal(err)
	}
	s := newSettingsView(newAppCore(core, nil), &tasks{inline: true}, func() store.Context { return store.User })
	test.NewTempWindow(t, s.content)
	s.reload()
	return s, core
}

// TestSettingsManaged: a setting the organisation sets shows read-only
// with "Set by your organisation"; saving the form keeps its value and
// saves the others.
func TestSettingsManaged(t *testing.T) {
	s, core := newCoreSettings(t, `{"settings": {"renewalRatio": 0.725}}`)
	if !s.ratio.Disabled() || s.form.Items[1].HintText != managedHint || s.notifyDays.Disabled() || s.form.Items[2].HintText == managedHint {
		t.Fatalf("ratio disabled %v, hints %q %q", s.ratio.Disabled(), s.form.Items[1].HintText, s.form.Items[2].HintText)
	}
	s.notifyDays.SetText("9")
	s.submit()
	if st := core.Settings(); s.status.Text != "Saved." || st.RenewalRatio != 0.725 || len(st.NotifyDays) != 1 || st.NotifyDays[0] != 9 {
		t.Fatalf("status %q, settings %+v", s.status.Text, st)
	}
}

// TestSettingsTPM: the TPM's TCTI string is shown and saved; one that is
// not a TCTI string is refused in a sentence and not saved.
func TestSettingsTPM(t *testing.T) {
	s, core := newCoreSettings(t, "")
	if s.tpm.Text != "" || s.form.Items[s.items["tpm"]].Text != "TPM" {
		t.Fatalf("TPM %q, item %q", s.tpm.Text, s.form.Items[s.items["tpm"]].Text)
	}
	s.tpm.SetText(" swtpm:host=127.0.0.1,port=2321 ")
	s.submit()
	if st := core.Settings(); s.status.Text != "Saved." || st.TPM != "swtpm:host=127.0.0.1,port=2321" {
		t.Fatalf("status %q, tpm %q", s.status.Text, st.TPM)
	}
	s.tpm.SetText("tabrmd")
	if s.tpm.Validate() == nil {
		t.Error("the form takes tabrmd")
	}
	s.submit()
	if st := core.Settings(); st.TPM != "swtpm:host=127.0.0.1,port=2321" || !strings.Contains(s.status.Text, "is not a TCTI string") {
		t.Errorf("status %q, tpm %q", s.status.Text, st.TPM)
	}
}

// TestSettingsEditsKeptAcrossTabs: edits not saved yet stay in the form
// when the person looks at another tab and comes back, with a line saying
// they are unsaved; Revert puts the saved settings back, Save keeps the
// edits (issue #15).
func TestSettingsEditsKeptAcrossTabs(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	settingsTab := -1
	for i, it := range v.tabs.Items {
		if it.Text == "Settings" {
			settingsTab = i
		}
	}
	s := v.settings
	away := func() {
		t.Helper()
		v.tabs.SelectIndex(0)
		v.tabs.SelectIndex(settingsTab)
	}
	v.tabs.SelectIndex(settingsTab)
	saved := s.ratio.Text
	if s.unsaved.Visible() {
		t.Fatal("a form just loaded says it is unsaved")
	}
	s.ratio.SetText("70%")
	test.Tap(s.startInTray)
	s.tpm.SetText("swtpm:host=127.0.0.1,port=2321")
	if !s.unsaved.Visible() {
		t.Fatal("an edit does not say it is unsaved")
	}
	away()
	if s.ratio.Text != "70%" || !s.startInTray.Checked || s.tpm.Text == "" || !s.unsaved.Visible() {
		t.Fatalf("after a tab switch: ratio %q, tray %v, TPM %q, unsaved shown %v", s.ratio.Text, s.startInTray.Checked, s.tpm.Text, s.unsaved.Visible())
	}
	if st := c.Settings(); st.RenewalRatio == 0.7 || st.StartInTray {
		t.Fatalf("the edits were saved without Save: %+v", st)
	}
	s.form.OnCancel()
	if s.ratio.Text != saved || s.startInTray.Checked || s.tpm.Text != "" || s.unsaved.Visible() {
		t.Fatalf("after Revert: ratio %q, tray %v, unsaved shown %v", s.ratio.Text, s.startInTray.Checked, s.unsaved.Visible())
	}
	s.ratio.SetText("70%")
	s.form.OnSubmit()
	if st := c.Settings(); st.RenewalRatio != 0.7 || s.unsaved.Visible() || s.status.Text != "Saved." {
		t.Fatalf("after Save: %+v, unsaved shown %v, status %q", st, s.unsaved.Visible(), s.status.Text)
	}
	away()
	if s.ratio.Text != "70%" || s.unsaved.Visible() {
		t.Errorf("after Save and a tab switch: ratio %q, unsaved shown %v", s.ratio.Text, s.unsaved.Visible())
	}
}
