package ui

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// CAFetcher is the optional part of a ServerManager that fetches the CA
// of a SCEP or EST server for the person to confirm its fingerprint
// (app.Core.ServerCA), and trusts it once confirmed
// (app.Core.TrustServerCA).
type CAFetcher interface {
	ServerCA(ctx context.Context, c store.Context, o app.ServerOptions) (*x509.Certificate, error)
	TrustServerCA(ctx context.Context, c store.Context, ref string) (app.Server, error)
}

// protocolLabels name the protocols in the Add dialog, in its order.
var protocolLabels = []struct {
	p     app.Protocol
	label string
}{
	{app.ProtocolCEP, "CEP/CES (Active Directory)"},
	{app.ProtocolSCEP, "NDES/SCEP"},
	{app.ProtocolEST, "EST (RFC 7030)"},
}

func protocolLabel(p app.Protocol) string {
	for _, l := range protocolLabels {
		if l.p == p {
			return l.label
		}
	}
	return protocolLabels[0].label
}

func protocolOf(label string) app.Protocol {
	for _, l := range protocolLabels {
		if l.label == label {
			return l.p
		}
	}
	return app.ProtocolCEP
}

// serverForm is the Add or Edit dialog of a server: protocol (preselected
// from the address by app.ProtocolForURL until the person chooses), the
// CA fingerprint of a SCEP or EST server fetched and confirmed, and
// Test connection. A new server is tested before it is saved; one that
// fails is saved only after the person read why and chose to. Before a
// new password server is saved, the person confirms the hosts the
// password goes to (app.PasswordHosts). The Policy servers tab and the
// enrollment wizard's first step both add servers through it.
type serverForm struct {
	core                          Enroller
	win                           fyne.Window
	tasks                         *tasks
	saved                         func(srv app.Server, password string) // after a save, on the UI thread
	c                             store.Context
	edit                          bool
	protocol, auth                *widget.Select
	url, name, username, password *dialogEntry
	save, autoEnroll, confirmPin  *widget.Check
	fingerprint, status           *widget.Label
	fetch, test                   *widget.Button
	pin                           string // the fetched CA's fingerprint, confirmed by confirmPin
	chosen, quiet                 bool   // the person chose the protocol; a change made by the form
	items                         []*widget.FormItem
	d                             *dialog.FormDialog
}

// options are the server the form describes; the password goes to the
// keyring only when Save is ticked, the pin only when confirmed.
func (f *serverForm) options() app.ServerOptions {
	o := app.ServerOptions{URL: strings.TrimSpace(f.url.Text), Protocol: protocolOf(f.protocol.Selected), FriendlyName: f.name.Text,
		Username: f.username.Text, AutoEnroll: f.autoEnroll.Checked, Auth: authOf(f.auth.Selected)}
	if f.save.Checked {
		o.Password = f.password.Text
	}
	if f.confirmPin.Checked {
		o.CAFingerprint = f.pin
	}
	return o
}

// testOptions are options with the password typed, saved or not: a test
// signs in as the server will be used.
func (f *serverForm) testOptions() app.ServerOptions {
	o := f.options()
	o.Password = f.password.Text
	return o
}

// showServerForm asks for a new server of context c, or new settings of
// sv; once saved it calls saved with the server and the password typed
// when it is not kept in the keyring (for this request only).
func showServerForm(core Enroller, w fyne.Window, t *tasks, c store.Context, sv serverRow, saved func(srv app.Server, password string)) *serverForm {
	f := &serverForm{core: core, win: w, tasks: t, saved: saved, c: c, edit: sv.URL != "", url: newDialogEntry(), name: newDialogEntry(), username: newDialogEntry(),
		password: newDialogPasswordEntry(), save: widget.NewCheck("Save in the keyring", nil),
		autoEnroll: widget.NewCheck("Renew and enroll automatically", nil), fingerprint: widget.NewLabel(""), status: widget.NewLabel("")}
	f.status.Wrapping = fyne.TextWrapWord
	labels := make([]string, len(protocolLabels))
	for i, l := range protocolLabels {
		labels[i] = l.label
	}
	f.protocol = widget.NewSelect(labels, f.protocolChanged)
	f.auth = widget.NewSelect([]string{authLabels[app.AuthPassword], authLabels[app.AuthCertificate], authLabels[app.AuthAnonymous]}, func(string) { f.url.Validate() })
	f.url.Validator = f.validateURL
	f.url.SetPlaceHolder("https://… (CEP, /certsrv/mscep/mscep.dll or /.well-known/est)")
	f.url.OnChanged = f.urlChanged
	f.confirmPin = widget.NewCheck("It is my administrator's: pin and trust this CA", nil)
	f.fetch = widget.NewButton("Fetch the CA", f.fetchCA)
	f.test = widget.NewButton("Test connection", f.testConnection)
	f.quiet = true
	f.protocol.SetSelected(protocolLabel(app.ProtocolCEP))
	f.auth.SetSelected(authLabels[app.AuthPassword])
	f.quiet = false
	f.save.SetChecked(true)
	title := "Add a server"
	if f.edit {
		title = "Edit " + serverLabel(sv.Server)
		f.chosen, f.quiet = true, true
		f.protocol.SetSelected(protocolLabel(sv.Protocol))
		f.quiet = false
		f.protocol.Disable()
		f.url.SetText(sv.URL)
		f.url.Disable()
		f.name.SetText(sv.FriendlyName)
		f.username.SetText(sv.Username)
		f.auth.SetSelected(authLabels[sv.Auth])
		f.save.SetChecked(sv.passwordSaved)
		f.autoEnroll.SetChecked(sv.AutoEnroll)
		f.password.SetPlaceHolder("Unchanged")
		f.pin = sv.CAPin
		f.confirmPin.SetChecked(sv.CAPin != "")
	}
	f.showPin()
	f.items = []*widget.FormItem{
		widget.NewFormItem("Address", f.url), widget.NewFormItem("Protocol", f.protocol), widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Sign in with", f.auth), widget.NewFormItem("User name", f.username),
		widget.NewFormItem("Password", f.password), widget.NewFormItem("", container.NewHBox(f.save, f.autoEnroll)),
		widget.NewFormItem("CA", container.NewVBox(f.fingerprint, container.NewHBox(f.fetch, f.confirmPin))),
		widget.NewFormItem("", container.NewBorder(nil, nil, container.NewVBox(f.test), nil, statusScroll(f.status))),
	}
	f.d = dialog.NewForm(title, "Save", "Cancel", f.items, f.submitted, w)
	f.d.Resize(fyne.NewSize(720, f.d.MinSize().Height))
	showForm(w, f.d, f.items)
	return f
}

// reopen shows the form again with what the person typed ("Go back").
func (f *serverForm) reopen() { showForm(f.win, f.d, f.items) }

// urlChanged preselects the protocol the address suggests
// (app.ProtocolForURL) until the person chooses one.
func (f *serverForm) urlChanged(u string) {
	if f.chosen {
		return
	}
	if p := protocolLabel(app.ProtocolForURL(u)); p != f.protocol.Selected {
		f.quiet = true
		f.protocol.SetSelected(p)
		f.quiet = false
	}
}

func (f *serverForm) protocolChanged(string) {
	if !f.quiet {
		f.chosen = true
	}
	if f.confirmPin == nil {
		return // still being built
	}
	f.pin = ""
	f.confirmPin.SetChecked(false)
	f.showPin()
	f.url.Validate()
}

// validateURL is the core's check of the address for the protocol and
// sign-in chosen (app.CheckProtocolURL).
func (f *serverForm) validateURL(s string) error {
	password := f.auth == nil || authOf(f.auth.Selected) == app.AuthPassword
	p := app.ProtocolCEP
	if f.protocol != nil {
		p = protocolOf(f.protocol.Selected)
	}
	// A SCEP address over http is checked with its pin at Save, once
	// the person fetched and confirmed it.
	return app.CheckProtocolURL(p, strings.TrimSpace(s), password, p == app.ProtocolSCEP)
}

// showPin shows the CA row for the protocol: a SCEP or EST server's CA
// fingerprint to fetch and confirm; nothing to confirm for CEP.
func (f *serverForm) showPin() {
	_, canFetch := f.core.(CAFetcher)
	switch p := protocolOf(f.protocol.Selected); {
	case p == app.ProtocolCEP:
		f.fingerprint.SetText("A CEP server is trusted through its TLS certificate:\nnothing to confirm here.")
		f.fetch.Disable()
		f.confirmPin.Disable()
	case f.pin != "":
		f.fingerprint.SetText(fingerprintLines("", f.pin))
		f.fetch.Enable()
		f.confirmPin.Enable()
	default:
		f.fingerprint.SetText("Fetch the CA certificate and compare its SHA-256\nfingerprint with the one your administrator gave you.")
		if canFetch && !f.edit {
			f.fetch.Enable()
		} else {
			f.fetch.Disable()
		}
		f.confirmPin.Disable()
	}
}

// fingerprintLines shows a CA: its subject (cut to a line) and its
// SHA-256 in two lines of 16 pairs, which fit the dialog.
func fingerprintLines(subject, pin string) string {
	h := colonHex(pin)
	out := "SHA-256 " + h
	if len(h) == 95 {
		out = "SHA-256 " + h[:48] + "\n        " + h[48:]
	}
	if subject != "" {
		if r := []rune(safetext.Escape(subject)); len(r) > 70 {
			subject = string(r[:70]) + "…"
		} else {
			subject = string(r)
		}
		out = subject + "\n" + out
	}
	return out
}

// statusScroll keeps a test's outcome to two lines' height, scrolled
// when longer, so the dialog keeps fitting an 800×600 window.
func statusScroll(l *widget.Label) fyne.CanvasObject {
	sc := container.NewVScroll(l)
	sc.SetMinSize(fyne.NewSize(0, 2*fyne.MeasureText("M", theme.TextSize(), fyne.TextStyle{}).Height+2*theme.InnerPadding()))
	return sc
}

// fit makes the dialog as tall as its content after a text changed.
func (f *serverForm) fit() {
	if f.d != nil {
		f.d.Resize(fyne.NewSize(720, f.d.MinSize().Height))
	}
}

// colonHex writes a hex fingerprint in upper-case pairs with colons, as
// certificate viewers and administrators show it.
func colonHex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		return h
	}
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}

// fetchCA fetches the server's CA and shows its subject and fingerprint.
func (f *serverForm) fetchCA() {
	cf, ok := f.core.(CAFetcher)
	if !ok {
		return
	}
	o := f.options()
	if !f.start(f.fetch, f.fingerprint, "Fetching the CA of "+safetext.Escape(o.URL)+"…") {
		return
	}
	f.tasks.run(func() func() {
		ca, err := cf.ServerCA(context.Background(), f.c, o)
		return func() {
			f.fetch.Enable()
			if err != nil {
				f.pin = ""
				f.confirmPin.SetChecked(false)
				f.confirmPin.Disable()
				f.fingerprint.SetText(failedLine("The CA could not be fetched.", err))
				f.fit()
				return
			}
			f.pin = app.Fingerprint(ca)
			f.confirmPin.SetChecked(false)
			f.confirmPin.Enable()
			f.fingerprint.SetText(fingerprintLines(ca.Subject.String(), f.pin))
			f.fit()
		}
	})
}

// start begins an exchange with the server typed: false (and why, in
// line) when its address is not valid, else button b disabled and line
// saying what happens.
func (f *serverForm) start(b *widget.Button, line *widget.Label, doing string) bool {
	if err := f.url.Validate(); err != nil {
		line.SetText("The address is not valid: " + explain(err))
		return false
	}
	b.Disable()
	line.SetText(doing)
	return true
}

// testConnection fetches what the server offers, as it will be used.
func (f *serverForm) testConnection() {
	o := f.testOptions()
	if !f.start(f.test, f.status, "Connecting to "+safetext.Escape(o.URL)+"…") {
		return
	}
	f.tasks.run(func() func() {
		pol, err := f.core.TestServer(context.Background(), f.c, o)
		return func() {
			f.test.Enable()
			line := connectionLine(pol, err)
			if err == nil {
				line += hostsLine(o, pol)
			}
			f.status.SetText(line)
			f.fit()
		}
	})
}

// connectionLine is what a test of a server says.
func connectionLine(pol *enroll.Policies, err error) string {
	if err != nil {
		return failedLine("The connection failed.", err)
	}
	return "Connected: the server offers " + plural(len(app.UsableTemplates(pol)), "template") + "."
}

// add saves the server of o; a new server whose CA fingerprint the person
// confirmed gets that CA trusted too (its chains must build to a root the
// context trusts for renewal).
func (f *serverForm) add(o app.ServerOptions) {
	trust := !f.edit && o.CAFingerprint != ""
	pw := ""
	if !f.save.Checked {
		pw = f.password.Text
	}
	f.tasks.run(func() func() {
		ctx := context.Background()
		srv, err := f.core.AddServer(ctx, f.c, o)
		added := err == nil
		if cf, ok := f.core.(CAFetcher); ok && added && trust {
			_, err = cf.TrustServerCA(ctx, f.c, srv.ID)
		}
		return func() {
			if err != nil {
				showError(f.win, "The server could not be saved.", err)
			}
			if added && f.saved != nil {
				f.saved(srv, pw)
			}
		}
	})
}

// confirmHosts saves a new password server once the person confirmed the
// hosts its policy sends the password to (pol, fetched by the test).
func (f *serverForm) confirmHosts(o app.ServerOptions, pol *enroll.Policies) {
	if o.Auth != app.AuthPassword || f.edit {
		f.add(o)
		return
	}
	o.ConfirmedHosts = app.PasswordHosts(o.URL, pol)
	askHosts(f.win, "Add "+safetext.Escape(o.URL)+"?", hostsLine(o, pol)[1:]+" Add the server only if these are your organisation's.",
		func() { f.add(o) },
		func() {
			f.status.SetText("The server was not added.")
			f.reopen()
		})
}

// askHosts asks before the password goes to hosts not confirmed before;
// yes or no runs on the UI thread with the answer. Enter does not answer
// a question about where a password goes: only the button does.
func askHosts(w fyne.Window, title, text string, yes, no func()) {
	d := dialog.NewCustomConfirm(title, "Send my password", "Cancel", valueLabel(text), func(ok bool) {
		if ok {
			yes()
		} else {
			no()
		}
	}, w)
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	showKeyed(w, d, func() {}, d.Hide)
}

// hostsLine is the sentence that lists where a password server sends the
// password (app.PasswordHosts), after a leading space; "" for other
// servers.
func hostsLine(o app.ServerOptions, pol *enroll.Policies) string {
	if o.Auth != app.AuthPassword {
		return ""
	}
	return " Your password will be sent to: " + safetext.Escape(strings.Join(app.PasswordHosts(o.URL, pol), ", ")) + "."
}

// submitted saves an edited server; a new one is tested first.
func (f *serverForm) submitted(ok bool) {
	if !ok {
		return
	}
	o := f.options()
	if f.pin != "" && !f.confirmPin.Checked && !f.edit {
		f.status.SetText("Confirm the CA fingerprint, or fetch it again, before saving.")
		f.reopen()
		return
	}
	if f.edit {
		f.add(o)
		return
	}
	to := f.testOptions()
	f.status.SetText("Testing " + safetext.Escape(o.URL) + "…")
	f.tasks.run(func() func() {
		pol, err := f.core.TestServer(context.Background(), f.c, to)
		return func() {
			if err == nil {
				f.confirmHosts(o, pol)
				return
			}
			f.status.SetText(failedLine("The connection failed.", err))
			d := dialog.NewCustomConfirm("The server did not answer as expected", "Save anyway", "Go back",
				valueLabel(failedLine("The connection failed.", err)+" It is not saved unless you choose to."), func(save bool) {
					if !save {
						f.reopen()
						return
					}
					f.add(o)
				}, f.win)
			d.Resize(fyne.NewSize(520, d.MinSize().Height))
			show(f.win, d)
		}
	})
}
