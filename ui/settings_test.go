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

// TestSettingsManaged: a setting the organisation sets shows read-only
// with "Set by your organisation"; saving the form keeps its value and
// saves the others.
func TestSettingsManaged(t *testing.T) {
	test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), app.ManagedFileName)
	if err := os.WriteFile(path, []byte(`{"settings": {"renewalRatio": 0.725}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := app.ReadManaged(path)
	if err != nil {
		t.Fatal(err)
	}
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Managed: m})
	if err != nil {
		t.Fatal(err)
	}
	s := newSettingsView(newAppCore(core, nil), &tasks{inline: true}, func() store.Context { return store.User })
	test.NewTempWindow(t, s.content)
	s.reload()
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
	test.NewTempApp(t)
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	s := newSettingsView(newAppCore(core, nil), &tasks{inline: true}, func() store.Context { return store.User })
	test.NewTempWindow(t, s.content)
	s.reload()
	if s.tpm.Text != "" || s.form.Items[s.tpmItem].Text != "TPM" {
		t.Fatalf("TPM %q, item %q", s.tpm.Text, s.form.Items[s.tpmItem].Text)
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
