package ui

import (
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
)

// The wizard's first step: choose a registered policy server, or add one
// through the same form as the Policy servers tab (serverForm).

// authOf is the sign-in kind a label of authLabels names.
func authOf(label string) app.Auth {
	for k, l := range authLabels {
		if l == label {
			return k
		}
	}
	return ""
}

var authLabels = map[app.Auth]string{
	app.AuthPassword:    "User name and password",
	app.AuthCertificate: "Certificate (key-based renewal)",
	app.AuthAnonymous:   "Anonymous",
}

// showServers shows the servers to choose from, the first one chosen.
func (z *wizard) showServers() {
	labels := []string{}
	for _, s := range z.servers {
		labels = append(labels, serverLabel(s.Server))
	}
	z.password = newDialogPasswordEntry()
	z.password.SetPlaceHolder("Password for this request")
	z.password.OnSubmitted = func(string) { z.enter() }
	passwordForm := widget.NewForm(widget.NewFormItem("Password", z.password))
	z.serverPick = widget.NewRadioGroup(labels, func(string) {
		s, ok := z.chosenServer()
		passwordForm.Hidden = !ok || s.Auth != app.AuthPassword || s.passwordSaved
		passwordForm.Refresh()
	})
	z.serverPick.Required = true
	passwordForm.Hidden = true
	if len(labels) > 0 {
		z.serverPick.SetSelected(labels[0])
	}
	z.addServer = widget.NewButton("Add a policy server…", z.showServerForm)
	intro := "Choose the enrollment policy server of your organisation, or add the one your administrator gave you."
	if len(labels) == 0 {
		intro = "No policy server yet: add the one your administrator gave you (CEP/CES, NDES/SCEP or EST)."
	}
	z.step("Policy server", container.NewVBox(valueLabel(intro), z.serverPick, passwordForm, container.NewHBox(z.addServer)), nil, z.serverChosen)
	// The first field to fill has the focus; Enter in it is Next.
	if !passwordForm.Hidden {
		z.win.Canvas().Focus(z.password)
	}
}

// showServerForm opens the server form; once a server is saved the
// wizard lists it and goes on with it, with the password typed when it
// is not kept in the keyring.
func (z *wizard) showServerForm() {
	z.form = showServerForm(z.en, z.win, z.tasks, z.ctxID, serverRow{}, func(added app.Server, pw string) {
		z.loadServers(func() {
			z.serverPick.SetSelected(serverLabel(added))
			z.password.SetText(pw)
			z.serverChosen()
		})
	})
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

// serverChosen loads the templates of the chosen server; with none
// chosen (no server yet) it opens the server form.
func (z *wizard) serverChosen() {
	s, ok := z.chosenServer()
	if !ok {
		z.showServerForm()
		return
	}
	z.server = s
	z.loadTemplates(z.password.Text)
}
