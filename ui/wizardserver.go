package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/safetext"
)

// The wizard's first step: choose a registered policy server, or add and
// test a new one.

// serverURLValidator checks a server form's address with the core's rule
// (app.CheckServerURL) for the sign-in kind chosen in auth.
func serverURLValidator(auth **widget.Select) fyne.StringValidator {
	return func(s string) error {
		password := *auth == nil || authOf((*auth).Selected) == app.AuthPassword
		return app.CheckServerURL(strings.TrimSpace(s), password)
	}
}

// authOf is the sign-in kind a label of authLabels names.
func authOf(label string) app.Auth {
	for k, l := range authLabels {
		if l == label {
			return k
		}
	}
	return ""
}

// addServer is the server choice that registers a new one.
const addServer = "Add a policy server…"

var authLabels = map[app.Auth]string{
	app.AuthPassword:    "User name and password",
	app.AuthCertificate: "Certificate (key-based renewal)",
	app.AuthAnonymous:   "Anonymous",
}

func (z *wizard) showServers() {
	labels := []string{}
	for _, s := range z.servers {
		labels = append(labels, serverLabel(s.Server))
	}
	labels = append(labels, addServer)
	z.password = newDialogPasswordEntry()
	z.password.SetPlaceHolder("Password for this request")
	z.url = newDialogEntry()
	z.url.SetPlaceHolder("https://cep.corp.example.com/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP")
	z.url.Validator = serverURLValidator(&z.auth)
	z.friendlyName = newDialogEntry()
	z.username = newDialogEntry()
	z.newPassword = newDialogPasswordEntry()
	z.savePassword = widget.NewCheck("Save the password in the keyring (needed for automatic renewal)", nil)
	z.savePassword.SetChecked(true)
	z.auth = widget.NewSelect([]string{authLabels[app.AuthPassword], authLabels[app.AuthCertificate], authLabels[app.AuthAnonymous]}, nil)
	z.auth.SetSelected(authLabels[app.AuthPassword])
	z.auth.OnChanged = func(string) { z.url.Validate() }
	z.test = widget.NewButton("Test connection", z.testServer)
	addForm := widget.NewForm(
		widget.NewFormItem("Address", z.url),
		widget.NewFormItem("Name", z.friendlyName),
		widget.NewFormItem("Sign in with", z.auth),
		widget.NewFormItem("User name", z.username),
		widget.NewFormItem("Password", z.newPassword),
		widget.NewFormItem("", z.savePassword),
		widget.NewFormItem("", z.test))
	passwordForm := widget.NewForm(widget.NewFormItem("Password", z.password))
	z.serverPick = widget.NewRadioGroup(labels, func(choice string) {
		addForm.Hidden = choice != addServer
		s, ok := z.chosenServer()
		passwordForm.Hidden = !ok || s.Auth != app.AuthPassword || s.passwordSaved
		addForm.Refresh()
		passwordForm.Refresh()
	})
	z.serverPick.Required = true
	z.serverPick.SetSelected(labels[0])
	intro := valueLabel("Choose the enrollment policy server of your organisation, or add the one your administrator gave you.")
	z.step("Policy server", container.NewVBox(intro, z.serverPick, passwordForm, addForm), nil, z.serverChosen)
	// The first field to fill has the focus; Enter in it is Next.
	for _, e := range []*dialogEntry{z.password, z.url, z.newPassword} {
		e.OnSubmitted = func(string) { z.enter() }
	}
	switch {
	case !passwordForm.Hidden:
		z.win.Canvas().Focus(z.password)
	case !addForm.Hidden:
		z.win.Canvas().Focus(z.url)
	}
}

func serverLabel(s app.Server) string {
	name := s.FriendlyName
	if name == "" {
		name = s.URL
	}
	return name + " (" + authLabels[s.Auth] + ")"
}

func (z *wizard) chosenServer() (serverRow, bool) {
	for _, s := range z.servers {
		if serverLabel(s.Server) == z.serverPick.Selected {
			return s, true
		}
	}
	return serverRow{}, false
}

// serverOptions describe the server being added, with its password.
func (z *wizard) serverOptions() app.ServerOptions {
	return app.ServerOptions{URL: strings.TrimSpace(z.url.Text), FriendlyName: z.friendlyName.Text,
		Username: z.username.Text, Password: z.newPassword.Text, Auth: authOf(z.auth.Selected)}
}

// testServer connects to the server being added.
func (z *wizard) testServer() {
	if err := z.url.Validate(); err != nil {
		z.problem("The address is not valid: " + err.Error() + ".")
		return
	}
	o := z.serverOptions()
	z.test.Disable()
	z.say("Connecting to " + o.URL + "…")
	z.tasks.run(func() func() {
		pol, err := z.en.TestServer(z.ctx, z.ctxID, o)
		if z.ctx.Err() != nil {
			return nil // the wizard was closed
		}
		return func() {
			z.test.Enable()
			if err != nil {
				z.problem("The connection failed: " + explain(err))
				return
			}
			z.say(fmt.Sprintf("Connected: the server offers %s.", plural(len(app.UsableTemplates(pol)), "template")) + hostsLine(o, pol))
		}
	})
}

// serverChosen registers a new server if asked, then loads the templates.
func (z *wizard) serverChosen() {
	if s, ok := z.chosenServer(); ok {
		z.server = s
		z.loadTemplates(z.password.Text)
		return
	}
	if err := z.url.Validate(); err != nil {
		z.problem("The address is not valid: " + err.Error() + ".")
		return
	}
	o, save := z.serverOptions(), z.savePassword.Checked
	pw := o.Password // for this request only, unless saved
	if save {
		pw = ""
	} else {
		o.Password = ""
	}
	if o.Auth != app.AuthPassword {
		z.add(o, pw)
		return
	}
	// The password goes only to the hosts the person saw: fetch the
	// policy (the password goes to the CEP typed) and ask.
	var pol *enroll.Policies
	z.ask("Connecting to "+o.URL+"…", "The server did not answer as expected: ", func() (err error) {
		pol, err = z.en.TestServer(z.ctx, z.ctxID, o)
		return err
	}, func() {
		o.ConfirmedHosts = app.PasswordHosts(o.URL, pol)
		z.askHosts("Add "+safetext.Escape(o.URL)+"?", hostsLine(o, pol)[1:]+" Add the server only if these are your organisation's.",
			func() { z.add(o, pw) },
			func() { z.next.Enable(); z.say("The server was not added; nothing was sent.") })
	})
}

// askHosts asks before the password goes to hosts not confirmed before;
// yes or no runs on the UI thread with the answer. Enter does not answer
// a question about where a password goes: only the button does.
func (z *wizard) askHosts(title, text string, yes, no func()) {
	d := dialog.NewCustomConfirm(title, "Send my password", "Cancel", valueLabel(text), func(ok bool) {
		if ok {
			yes()
		} else {
			no()
		}
	}, z.win)
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	showKeyed(z.win, d, func() {}, d.Hide)
}

// add registers the server described by o; pw is the password for this
// request when it is not saved.
func (z *wizard) add(o app.ServerOptions, pw string) {
	var s serverRow
	z.ask("Adding "+o.URL+"…", "The server could not be added: ", func() error {
		added, err := z.en.AddServer(z.ctx, z.ctxID, o)
		if err == nil {
			s = serverRow{Server: added, passwordSaved: added.Auth == app.AuthPassword && z.en.HasPassword(z.ctx, z.ctxID, added)}
		}
		return err
	}, func() {
		z.servers = append(z.servers, s)
		z.server = s
		z.password.SetText(pw)
		z.loadTemplates(pw)
	})
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
