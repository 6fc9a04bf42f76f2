package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// exportFormat is a choice of the Export dialog.
type exportFormat struct {
	label  string
	format store.Format
	ext    string
}

// exportFormats are the choices of the Export dialog, in order.
var exportFormats = []exportFormat{
	{"PFX / PKCS#12 (certificate, private key and chain)", store.FormatPFX, ".pfx"},
	{"PEM (text, for Linux and OpenSSL)", store.FormatPEM, ".pem"},
	{"DER (binary .cer)", store.FormatDER, ".cer"},
	{"PKCS#7 (.p7b, certificate and chain)", store.FormatP7B, ".p7b"},
}

// exportProfiles are the PFX profiles, named by who must read the file.
var exportProfiles = []struct {
	label   string
	profile store.Profile
}{
	{"Modern: Windows 10 1709+, macOS, OpenSSL 3 (recommended)", store.Modern},
	{"Compatible: older Windows, Java 8, OpenSSL 1.x", store.Compatible},
	{"PBMAC1: newest tools only (OpenSSL 3.4+)", store.PBMAC1},
}

// exporter is the form of the Export dialog for one entry.
type exporter struct {
	entry    row
	certOnly bool // the certificate alone (of the OS's own store)
	// noKey, unless empty, says why the private key cannot be exported:
	// PFX is not offered.
	noKey    string
	format   *widget.Select
	profile  *widget.RadioGroup
	password *dialogEntry
	confirm  *dialogEntry
	chain    *widget.Check
	items    []*widget.FormItem
}

// newExporter builds the form; certOnly (a certificate of the OS's own
// store, whose key stays there) offers PEM and DER only, and an entry
// whose key may not leave (store.Meta.KeyExportable) no PFX.
func newExporter(r row, certOnly bool) *exporter {
	ex := &exporter{entry: r, certOnly: certOnly}
	if r.HasKey && !certOnly {
		ex.noKey = notExportableReason(r.Meta)
	}
	var labels, profiles []string
	for _, f := range exportFormats {
		switch {
		case certOnly && f.format != store.FormatPEM && f.format != store.FormatDER:
		case ex.noKey != "" && f.format == store.FormatPFX:
		default:
			labels = append(labels, f.label)
		}
	}
	for _, p := range exportProfiles {
		profiles = append(profiles, p.label)
	}
	ex.profile = widget.NewRadioGroup(profiles, nil)
	ex.profile.Required = true
	ex.profile.SetSelected(profiles[0])
	ex.password = newDialogPasswordEntry()
	ex.password.Validator = func(s string) error {
		if ex.pfx() && ex.entry.HasKey && s == "" {
			return errors.New("enter a password to protect the private key")
		}
		return nil
	}
	ex.confirm = newDialogPasswordEntry()
	ex.confirm.Validator = func(s string) error {
		if ex.pfx() && s != ex.password.Text {
			return errors.New("the passwords do not match")
		}
		return nil
	}
	ex.password.OnChanged = func(string) { ex.confirm.Validate() }
	ex.chain = widget.NewCheck("Include the chain", nil)
	ex.chain.SetChecked(true)
	ex.format = widget.NewSelect(labels, func(string) { ex.update() })
	if r.HasKey && !certOnly && ex.noKey == "" {
		ex.format.SetSelected(exportFormats[0].label)
	} else {
		ex.format.SetSelected(exportFormats[2].label)
	}
	ex.items = []*widget.FormItem{
		widget.NewFormItem("Format", ex.format),
		widget.NewFormItem("PFX profile", ex.profile),
		widget.NewFormItem("Password", ex.password),
		widget.NewFormItem("Confirm", ex.confirm),
		widget.NewFormItem("", ex.chain),
	}
	ex.items[2].HintText = "Protects the private key in the file"
	if ex.noKey != "" {
		ex.items[0].HintText = ex.noKey
	}
	return ex
}

// notExportableReason says why the private key of an entry with meta m
// cannot be exported, "" when it can.
func notExportableReason(m store.Meta) string {
	switch {
	case m.KeyExportable():
		return ""
	case m.HeldElsewhere():
		return "The private key stays " + keyPlace(m) + ": only the certificate can be exported."
	}
	return "The certificate's template does not allow its private key to be exported: only the certificate can be."
}

// pfx reports whether the PFX format is chosen.
func (ex *exporter) pfx() bool { return ex.choice().format == store.FormatPFX }

// choice returns the chosen format.
func (ex *exporter) choice() exportFormat {
	for _, f := range exportFormats {
		if f.label == ex.format.Selected {
			return f
		}
	}
	return exportFormats[2]
}

// update enables what the chosen format uses.
func (ex *exporter) update() {
	for _, w := range []fyne.Disableable{ex.profile, ex.password, ex.confirm} {
		if ex.pfx() {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	if ex.choice().format == store.FormatDER || ex.certOnly {
		ex.chain.SetChecked(!ex.certOnly && ex.chain.Checked)
		ex.chain.Disable()
	} else {
		ex.chain.Enable()
	}
	ex.password.Validate()
	ex.confirm.Validate()
}

// options returns the store's export options for the form.
func (ex *exporter) options() store.ExportOptions {
	opt := store.ExportOptions{Format: ex.choice().format, Chain: ex.chain.Checked && ex.choice().format != store.FormatDER && !ex.certOnly}
	if ex.pfx() {
		opt.Password = ex.password.Text
		for _, p := range exportProfiles {
			if p.label == ex.profile.Selected {
				opt.Profile = p.profile
			}
		}
	}
	return opt
}

// fileName suggests a file name from the subject.
func (ex *exporter) fileName() string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>| `, r) {
			return '_'
		}
		return r
	}, ex.entry.subject)
	return name + ex.choice().ext
}

// showExport asks how to export the selected entry, then where to.
func (v *mainView) showExport() {
	r, ok := v.browser.current()
	if !ok || r.status == StatusPending {
		return // a pending request has no certificate yet
	}
	ex := newExporter(r, v.browser.native())
	v.exporter = ex
	d := dialog.NewForm("Export “"+r.subject+"”", "Save…", "Cancel", ex.items, func(ok bool) {
		if !ok {
			return
		}
		showSave(v.win, ex.fileName(), func(w fyne.URIWriteCloser) { v.export(ex, w) })
	}, v.win)
	d.Resize(fyne.NewSize(620, d.MinSize().Height))
	showForm(v.win, d, ex.items)
}

// export writes the entry to w as the form says.
func (v *mainView) export(ex *exporter, w fyne.URIWriteCloser) {
	ctxID, n, opt := v.browser.contextID, v.browser.store, ex.options()
	v.tasks.run(func() func() {
		data, err := v.core.Export(context.Background(), ctxID, n, ex.entry.Thumbprint, opt)
		err = finishSave(w, 0o600, data, err)
		return func() {
			if err != nil {
				showError(v.win, "“"+ex.entry.subject+"” could not be exported.", err)
				return
			}
			info(v.win, "Exported", "“"+ex.entry.subject+"” was saved as "+w.URI().Name()+".")
		}
	})
}
