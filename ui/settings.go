package ui

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

var checkIntervals = []time.Duration{time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// settingsView edits the core's settings and the OS schedule.
type settingsView struct {
	core    Configurer
	tasks   *tasks
	context func() store.Context

	interval    *widget.Select
	intervals   []time.Duration // the interval choices, checkIntervals and perhaps the current one
	ratio       *widget.Entry
	notifyDays  *widget.Entry
	metricsDir  *widget.Entry
	tpm         *widget.Entry   // the TPM's TCTI string (app.Settings.TPM)
	module      *widget.Entry   // the PKCS#11 module (app.Settings.PKCS11Module)
	token       *widget.Entry   // the token's label (app.Settings.PKCS11Token)
	reenroll    *widget.Check   // app.Settings.ReenrollRevoked
	items       map[string]int  // form items appended after the fixed ones, by setting
	pin         *fyne.Container // the saved PIN's line and Forget button, shown when one is saved (settingspin.go)
	pinLabel    *widget.Label
	startInTray *widget.Check
	publish     *widget.Check // nil where the OS has no store of its own
	schedule    *widget.Check
	status      *widget.Label
	// unsaved says that the form holds edits not saved yet; they stay
	// when the person leaves the tab and comes back (reload keeps them)
	// until Save or Revert.
	unsaved *widget.Label
	saved   formValues // what the form showed when it was last filled or saved
	filling bool       // set while fill puts the core's settings in the form
	form    *widget.Form
	content fyne.CanvasObject
	loading bool // set while the schedule check box shows the core's state
	// managed holds the settings the administrator's managed file sets
	// (app.SourceManaged), shown read-only; hints are the form's own hints,
	// which "Set by your organisation" replaces for those.
	managed map[string]bool
	hints   map[string]string
}

// settingsLister is the optional part of a Configurer that tells each
// setting's source (app.Core.ListSettings).
type settingsLister interface {
	ListSettings(cx store.Context) []app.SettingInfo
}

// managedHint replaces the hint of a setting the organisation sets.
const managedHint = "Set by your organisation"

func newSettingsView(core Configurer, t *tasks, context func() store.Context) *settingsView {
	s := &settingsView{core: core, tasks: t, context: context}
	s.intervals = checkIntervals
	var intervals []string
	for _, d := range checkIntervals {
		intervals = append(intervals, intervalLabel(d))
	}
	s.interval = widget.NewSelect(intervals, nil)
	// The core's parsers are the settings' one validation (app/settingslist.go).
	s.ratio = widget.NewEntry()
	s.ratio.Validator = func(v string) error { _, err := app.ParseRenewalRatio(v); return err }
	s.notifyDays = widget.NewEntry()
	s.notifyDays.Validator = func(v string) error { _, err := app.ParseNotifyDays(v); return err }
	s.metricsDir = widget.NewEntry()
	s.metricsDir.Validator = func(v string) error { _, err := app.ParseMetricsDir(strings.TrimSpace(v)); return err }
	s.startInTray = widget.NewCheck("Start hidden in the system tray", nil)
	s.schedule = widget.NewCheck("Check for renewals even when certdesk is not running", s.setSchedule)
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.form = widget.NewForm(
		widget.NewFormItem("Check for renewals", s.interval),
		widget.NewFormItem("Renew after", s.ratio),
		widget.NewFormItem("Tell me", s.notifyDays),
		widget.NewFormItem("Metrics directory", s.metricsDir),
		widget.NewFormItem("", s.startInTray),
		widget.NewFormItem("", s.schedule))
	if p, ok := core.(Publisher); ok && p.NativeStores() {
		s.publish = widget.NewCheck("Add new certificates to the system store", nil)
		s.form.AppendItem(widget.NewFormItem("", s.publish))
		s.form.Items[len(s.form.Items)-1].HintText = "Where browsers, mail and VPN clients look (certmgr.msc, Keychain Access)"
	}
	s.items = map[string]int{}
	s.tpm = widget.NewEntry()
	s.tpm.SetPlaceHolder("Default: device:/dev/tpmrm0")
	s.tpm.Validator = func(v string) error { return app.CheckTPMSetting(strings.TrimSpace(v)) }
	s.appendItem("tpm", "TPM", s.tpm, "Where keys that must stay in a TPM are made: a TCTI string such as swtpm:host=127.0.0.1,port=2321 (docs/keys.md)")
	s.module = widget.NewEntry()
	s.module.SetPlaceHolder("None, for example /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")
	s.module.Validator = settingCheck("pkcs11Module")
	s.appendItem("pkcs11Module", "PKCS#11 module", s.module, "The library through which keys are kept on smart cards and tokens: an absolute path")
	s.token = widget.NewEntry()
	s.token.Validator = settingCheck("pkcs11Token")
	s.appendItem("pkcs11Token", "Token", s.token, "The label of the token new keys are made on")
	s.reenroll = widget.NewCheck("Enroll a replacement for a revoked certificate", nil)
	s.appendItem("reenrollRevoked", "", s.reenroll, "Of templates autoenrollment keeps: a new key, and the revoked certificate archived")
	s.form.Items[1].HintText = "Of a certificate's lifetime, when its template sets no renewal period"
	s.form.Items[2].HintText = "Days before expiry, for example 30, 14, 7, 1, or none"
	s.form.Items[3].HintText = "Where every check writes its Prometheus textfile: a directory, off, or empty for the default"
	s.hints = map[string]string{}
	for name, i := range s.formItems() {
		s.hints[name] = s.form.Items[i].HintText
	}
	s.form.SubmitText = "Save"
	s.form.OnSubmit = s.submit
	s.form.CancelText = "Revert"
	s.form.OnCancel = s.revert
	s.unsaved = widget.NewLabel("You have unsaved changes: Save them, or Revert to the saved settings.")
	s.unsaved.Importance = widget.WarningImportance
	s.unsaved.Wrapping = fyne.TextWrapWord
	s.unsaved.Hide()
	s.interval.OnChanged = func(string) { s.edited() }
	for _, e := range []*widget.Entry{s.ratio, s.notifyDays, s.metricsDir, s.tpm, s.module, s.token} {
		e.OnChanged = func(string) { s.edited() }
	}
	s.startInTray.OnChanged = func(bool) { s.edited() }
	s.reenroll.OnChanged = func(bool) { s.edited() }
	if s.publish != nil {
		s.publish.OnChanged = func(bool) { s.edited() }
	}
	s.newPINLine()
	s.content = container.NewVBox(s.form, s.unsaved, s.pin, s.status)
	return s
}

// appendItem adds the form item of setting name.
func (s *settingsView) appendItem(name, label string, w fyne.CanvasObject, hint string) {
	s.form.AppendItem(&widget.FormItem{Text: label, Widget: w, HintText: hint})
	s.items[name] = len(s.form.Items) - 1
}

// parseSetting is the default settings with setting name set to v by the
// core's one check of it (app.ParseSetting), which the other settings in
// force (the demo's interval) cannot fail.
func parseSetting(name, v string) (app.Settings, error) {
	return app.ParseSetting(app.DefaultSettings(), name, v)
}

// settingCheck is parseSetting as a form validator.
func settingCheck(name string) func(string) error {
	return func(v string) error {
		_, err := parseSetting(name, v)
		return err
	}
}

// formValues is what the form shows, to tell edits from saved settings.
type formValues struct {
	interval, ratio, notifyDays, metricsDir, tpm, module, token string
	startInTray, publish, reenroll                              bool
}

func (s *settingsView) values() formValues {
	v := formValues{interval: s.interval.Selected, ratio: s.ratio.Text, notifyDays: s.notifyDays.Text,
		metricsDir: s.metricsDir.Text, tpm: s.tpm.Text, module: s.module.Text, token: s.token.Text,
		startInTray: s.startInTray.Checked, reenroll: s.reenroll.Checked}
	if s.publish != nil {
		v.publish = s.publish.Checked
	}
	return v
}

// dirty reports whether the form holds edits not saved yet.
func (s *settingsView) dirty() bool { return s.values() != s.saved }

// edited shows or hides the unsaved-changes line after a change in the
// form.
func (s *settingsView) edited() {
	if s.filling {
		return
	}
	s.unsaved.Hidden = !s.dirty()
	s.unsaved.Refresh()
	if !s.unsaved.Hidden {
		s.status.SetText("")
	}
}

// revert puts the saved settings back in the form.
func (s *settingsView) revert() {
	s.fill()
	s.status.SetText("")
}

// formItems maps each setting the form edits to its form item.
func (s *settingsView) formItems() map[string]int {
	items := map[string]int{"checkInterval": 0, "renewalRatio": 1, "notifyDays": 2, "metricsDir": 3, "startInTray": 4}
	if s.publish != nil {
		items["publishIssued"] = 6
	}
	for name, i := range s.items {
		items[name] = i
	}
	return items
}

// disabler is a form widget that can be made read-only.
type disabler interface {
	Enable()
	Disable()
}

// showManaged makes the settings the organisation sets read-only, with
// managedHint, and the others editable with their own hints.
func (s *settingsView) showManaged() {
	s.managed = map[string]bool{}
	if l, ok := s.core.(settingsLister); ok {
		for _, info := range l.ListSettings(s.context()) {
			s.managed[info.Name] = info.Source == app.SourceManaged
		}
	}
	for name, i := range s.formItems() {
		item := s.form.Items[i]
		w := item.Widget.(disabler)
		if s.managed[name] {
			w.Disable()
			item.HintText = managedHint
		} else {
			w.Enable()
			item.HintText = s.hints[name]
		}
	}
	s.form.Refresh()
}

// intervalLabel names a check interval: "Every 8 hours", "Every 30 seconds".
func intervalLabel(d time.Duration) string {
	if d < time.Minute {
		return "Every " + plural(int(d/time.Second), "second")
	}
	return "Every " + formatSpan(d)
}

// reload shows the core's settings and schedule; edits not saved yet stay
// in the form, with the unsaved-changes line.
func (s *settingsView) reload() {
	if !s.dirty() {
		s.fill()
	}
	s.metricsDir.SetPlaceHolder("Default: " + metricsDefault(s.context()))
	s.showManaged()
	s.edited()
	s.showPIN()
	c := s.context()
	s.tasks.run(func() func() {
		on, err := s.core.ScheduleInstalled(context.Background(), c)
		return func() {
			s.loading = true
			s.schedule.SetChecked(on)
			s.loading = false
			if err != nil {
				s.schedule.Disable()
				s.status.SetText(failedLine("The OS schedule is not available here.", err))
			}
		}
	})
}

// fill puts the core's settings in the form.
func (s *settingsView) fill() {
	s.filling = true
	defer func() {
		s.filling = false
		s.saved = s.values()
		s.edited()
	}()
	st := s.core.Settings()
	// An interval set elsewhere (the demo's 30 seconds) stays a choice.
	s.intervals = slices.Clone(checkIntervals)
	if !slices.Contains(s.intervals, st.CheckInterval) && st.CheckInterval > 0 {
		s.intervals = append(s.intervals, st.CheckInterval)
	}
	var labels []string
	for _, d := range s.intervals {
		labels = append(labels, intervalLabel(d))
	}
	s.interval.SetOptions(labels)
	s.interval.SetSelectedIndex(max(0, slices.Index(s.intervals, st.CheckInterval)))
	s.ratio.SetText(strconv.Itoa(int(st.RenewalRatio*100+0.5)) + "%")
	var days []string
	for _, d := range st.NotifyDays {
		days = append(days, strconv.Itoa(d))
	}
	if len(days) == 0 {
		days = []string{"none"}
	}
	s.notifyDays.SetText(strings.Join(days, ", "))
	s.metricsDir.SetText(st.MetricsDir)
	s.tpm.SetText(st.TPM)
	s.module.SetText(st.PKCS11Module)
	s.token.SetText(st.PKCS11Token)
	s.reenroll.SetChecked(st.ReenrollRevoked)
	s.startInTray.SetChecked(st.StartInTray)
	if s.publish != nil {
		s.publish.SetChecked(st.PublishIssued)
	}
}

// submit saves the form (it is valid: the form checks first). Settings
// the organisation sets keep the value in force, not the form's rounding
// of it.
func (s *settingsView) submit() {
	st := s.core.Settings()
	var errs [6]error
	if !s.managed["renewalRatio"] {
		st.RenewalRatio, errs[0] = app.ParseRenewalRatio(s.ratio.Text)
	}
	if !s.managed["notifyDays"] {
		st.NotifyDays, errs[1] = app.ParseNotifyDays(s.notifyDays.Text)
	}
	if !s.managed["metricsDir"] {
		st.MetricsDir, errs[2] = app.ParseMetricsDir(strings.TrimSpace(s.metricsDir.Text))
	}
	if !s.managed["tpm"] {
		st.TPM = strings.TrimSpace(s.tpm.Text)
		errs[3] = app.CheckTPMSetting(st.TPM)
	}
	if !s.managed["pkcs11Module"] {
		var v app.Settings
		v, errs[4] = parseSetting("pkcs11Module", s.module.Text)
		st.PKCS11Module = v.PKCS11Module
	}
	if !s.managed["pkcs11Token"] {
		var v app.Settings
		v, errs[5] = parseSetting("pkcs11Token", s.token.Text)
		st.PKCS11Token = v.PKCS11Token
	}
	if err := errors.Join(errs[:]...); err != nil {
		s.status.SetText("The settings could not be saved: " + err.Error())
		return
	}
	if !s.managed["checkInterval"] {
		st.CheckInterval = s.intervals[max(0, s.interval.SelectedIndex())]
	}
	if !s.managed["startInTray"] {
		st.StartInTray = s.startInTray.Checked
	}
	if !s.managed["reenrollRevoked"] {
		st.ReenrollRevoked = s.reenroll.Checked
	}
	if s.publish != nil && !s.managed["publishIssued"] {
		st.PublishIssued = s.publish.Checked
	}
	if err := s.core.SetSettings(st); err != nil {
		s.status.SetText(failedLine("The settings could not be saved.", err))
		return
	}
	s.saved = s.values()
	s.edited()
	s.status.SetText("Saved.")
	s.showPIN()
}

// metricsDefault names where the checks of c write their metrics when the
// setting is left empty: the core's default (app.Settings.MetricsDirFor).
func metricsDefault(c store.Context) string {
	if d := (app.Settings{}).MetricsDirFor(c); d != "" {
		return d
	}
	return app.MetricsOff
}

// setSchedule installs or removes the OS job when the box is toggled.
func (s *settingsView) setSchedule(on bool) {
	if s.loading {
		return
	}
	c := s.context()
	s.schedule.Disable()
	s.tasks.run(func() func() {
		err := s.core.SetSchedule(context.Background(), c, on)
		return func() {
			s.schedule.Enable()
			switch {
			case err != nil:
				s.loading = true
				s.schedule.SetChecked(!on)
				s.loading = false
				s.status.SetText(failedLine("The OS schedule could not be changed.", err))
			case on:
				s.status.SetText("The OS now checks for renewals on schedule.")
			default:
				s.status.SetText("The OS schedule was removed.")
			}
		}
	})
}
