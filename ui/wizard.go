package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// addServer is the server choice that registers a new one.
const addServer = "Add a policy server…"

var authLabels = map[app.Auth]string{
	app.AuthPassword:    "User name and password",
	app.AuthCertificate: "Certificate (key-based renewal)",
	app.AuthAnonymous:   "Anonymous",
}

// wizard is the Request certificate wizard: server, template, subject
// (when the template asks), key, progress, result.
type wizard struct {
	en     Enroller
	win    fyne.Window
	tasks  *tasks
	ctxID  store.Context
	issued func(thumbprint string) // shows a new certificate in the browser

	dialog  *dialog.CustomDialog
	title   *widget.Label
	body    *fyne.Container
	back    *widget.Button
	next    *widget.Button
	cancel  *widget.Button
	onBack  func()
	onNext  func()
	status  *widget.Label // errors and progress of the current step
	stopped context.CancelFunc
	// ctx ends when the wizard closes: Cancel also abandons a slow server's
	// answer to any step, not only the request.
	ctx     context.Context
	stopAll context.CancelFunc

	servers      []serverRow
	serverPick   *widget.RadioGroup
	password     *widget.Entry // for a server without a saved password
	url          *widget.Entry
	friendlyName *widget.Entry
	auth         *widget.Select
	username     *widget.Entry
	newPassword  *widget.Entry
	savePassword *widget.Check
	test         *widget.Button

	templates    []enroll.Template
	templatePick *widget.RadioGroup
	templateInfo *widget.Label

	commonName *widget.Entry
	dnsNames   *widget.Entry
	keyPick    *widget.Select

	result      *widget.Label
	openDetails *widget.Button

	server   serverRow
	template enroll.Template
}

// newWizard builds the wizard for context ctxID; call start to show it.
func newWizard(en Enroller, w fyne.Window, t *tasks, ctxID store.Context, issued func(string)) *wizard {
	z := &wizard{en: en, win: w, tasks: t, ctxID: ctxID, issued: issued}
	z.ctx, z.stopAll = context.WithCancel(context.Background())
	z.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	z.status = widget.NewLabel("")
	z.status.Wrapping = fyne.TextWrapWord
	z.body = container.NewStack()
	z.back = widget.NewButton("Back", func() { z.onBack() })
	z.next = widget.NewButton("Next", func() { z.onNext() })
	z.next.Importance = widget.HighImportance
	z.cancel = widget.NewButton("Cancel", z.close)
	buttons := container.NewHBox(z.cancel, layout.NewSpacer(), z.back, z.next)
	content := container.NewBorder(z.title, container.NewVBox(z.status, buttons), nil, nil, container.NewVScroll(z.body))
	z.dialog = dialog.NewCustomWithoutButtons("Request a certificate", content, w)
	z.dialog.Resize(fyne.NewSize(640, 520))
	return z
}

// start loads the servers and shows the first step.
func (z *wizard) start() {
	z.dialog.Show()
	z.busy("Loading the policy servers…")
	z.tasks.run(func() func() {
		servers, err := listServers(z.ctx, z.en, z.ctxID)
		if z.ctx.Err() != nil {
			return nil // the wizard was closed
		}
		return func() {
			if err != nil {
				z.fail("The policy servers could not be read.", err)
				return
			}
			z.servers = servers
			z.showServers()
		}
	})
}

func (z *wizard) close() {
	if z.stopped != nil {
		z.stopped()
	}
	z.stopAll()
	z.dialog.Hide()
}

// step shows a step: its title, body and what Back and Next do.
func (z *wizard) step(title string, body fyne.CanvasObject, back, next func()) {
	z.title.SetText(title)
	z.body.Objects = []fyne.CanvasObject{body}
	z.body.Refresh()
	z.onBack, z.onNext = back, next
	z.back.Hidden = back == nil
	z.back.Refresh()
	z.next.SetText("Next")
	z.next.Enable()
	z.next.Hidden = next == nil
	z.next.Refresh()
	z.cancel.Enable()
	z.say("")
}

// say shows a line under the step; problem lines are red.
func (z *wizard) say(text string) {
	z.status.Importance = widget.MediumImportance
	z.status.SetText(text)
}

func (z *wizard) problem(text string) {
	z.status.Importance = widget.DangerImportance
	z.status.SetText(text)
}

// busy disables Next while work runs.
func (z *wizard) busy(text string) {
	z.next.Disable()
	z.say(text)
}

// fail shows an error as the wizard's last step.
func (z *wizard) fail(sentence string, err error) {
	detail := valueLabel(err.Error())
	body := container.NewVBox(valueLabel(sentence),
		widget.NewAccordion(widget.NewAccordionItem("Technical details", detail)))
	z.step("Something went wrong", body, nil, nil)
	z.cancel.SetText("Close")
}

func (z *wizard) showServers() {
	labels := []string{}
	for _, s := range z.servers {
		labels = append(labels, serverLabel(s.Server))
	}
	labels = append(labels, addServer)
	z.password = widget.NewPasswordEntry()
	z.password.SetPlaceHolder("Password for this request")
	z.url = widget.NewEntry()
	z.url.SetPlaceHolder("https://cep.corp.example.com/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP")
	z.url.Validator = func(s string) error {
		if !strings.HasPrefix(s, "https://") {
			return errors.New("the address must start with https://")
		}
		return nil
	}
	z.friendlyName = widget.NewEntry()
	z.username = widget.NewEntry()
	z.newPassword = widget.NewPasswordEntry()
	z.savePassword = widget.NewCheck("Save the password in the keyring (needed for automatic renewal)", nil)
	z.savePassword.SetChecked(true)
	z.auth = widget.NewSelect([]string{authLabels[app.AuthPassword], authLabels[app.AuthCertificate], authLabels[app.AuthAnonymous]}, nil)
	z.auth.SetSelected(authLabels[app.AuthPassword])
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
	o := app.ServerOptions{URL: strings.TrimSpace(z.url.Text), FriendlyName: z.friendlyName.Text,
		Username: z.username.Text, Password: z.newPassword.Text}
	for k, l := range authLabels {
		if l == z.auth.Selected {
			o.Auth = k
		}
	}
	return o
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
				z.problem("The server did not answer as expected: " + err.Error())
				return
			}
			z.say(fmt.Sprintf("Connected: the server offers %s.", plural(len(app.UsableTemplates(pol)), "template")))
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
	z.busy("Adding " + o.URL + "…")
	z.tasks.run(func() func() {
		added, err := z.en.AddServer(z.ctx, z.ctxID, o)
		s := serverRow{Server: added}
		if err == nil {
			s.passwordSaved = added.Auth == app.AuthPassword && z.en.HasPassword(z.ctx, z.ctxID, added)
		}
		if z.ctx.Err() != nil {
			return nil // the wizard was closed
		}
		return func() {
			if err != nil {
				z.next.Enable()
				z.problem("The server could not be added: " + err.Error())
				return
			}
			z.servers = append(z.servers, s)
			z.server = s
			z.password.SetText(pw)
			z.loadTemplates(pw)
		}
	})
}

func (z *wizard) loadTemplates(password string) {
	z.busy("Asking " + serverLabel(z.server.Server) + " for its templates…")
	z.tasks.run(func() func() {
		pol, err := z.en.Policies(z.ctx, z.ctxID, z.server.ID, password, true)
		if z.ctx.Err() != nil {
			return nil // the wizard was closed
		}
		return func() {
			if err != nil {
				z.next.Enable()
				z.problem("The templates could not be read: " + err.Error())
				return
			}
			z.templates = app.UsableTemplates(pol)
			z.showTemplates()
		}
	})
}

func (z *wizard) showTemplates() {
	var labels []string
	for _, t := range z.templates {
		labels = append(labels, t.CommonName)
	}
	z.templateInfo = valueLabel("")
	z.templatePick = widget.NewRadioGroup(labels, func(string) {
		if t, ok := z.chosenTemplate(); ok {
			z.templateInfo.SetText(describeTemplate(t))
		}
	})
	z.templatePick.Required = true
	if len(labels) > 0 {
		z.templatePick.SetSelected(labels[0])
	}
	body := container.NewVBox(valueLabel("Choose the kind of certificate you need."), z.templatePick, widget.NewSeparator(), z.templateInfo)
	if len(labels) == 0 {
		body = container.NewVBox(valueLabel("This server offers you no template. Ask your administrator for enroll permission."))
	}
	z.step("Template", body, z.showServers, func() {
		z.template, _ = z.chosenTemplate()
		if suppliesNames(&z.template) {
			z.showSubject()
		} else {
			z.showKey()
		}
	})
	if len(labels) == 0 {
		z.next.Disable()
	}
}

func (z *wizard) chosenTemplate() (enroll.Template, bool) {
	for _, t := range z.templates {
		if t.CommonName == z.templatePick.Selected {
			return t, true
		}
	}
	return enroll.Template{}, false
}

// suppliesNames reports whether the person names the certificate (subject
// or DNS names) for template t.
func suppliesNames(t *enroll.Template) bool {
	return t.Flags.EnrolleeSuppliesSubject || t.Flags.EnrolleeSuppliesSubjectAltName
}

// describeTemplate says what a template issues, in plain words.
func describeTemplate(t enroll.Template) string {
	lines := []string{"Valid for " + formatSpan(time.Duration(t.ValiditySeconds)*time.Second)}
	if kt, err := t.KeyType(); err == nil {
		lines = append(lines, "Key: "+kt.String()+" or stronger")
	}
	if suppliesNames(&t) {
		lines = append(lines, "You enter the name and DNS names of the certificate.")
	} else {
		lines = append(lines, "The CA fills in the name from your account.")
	}
	return strings.Join(lines, "\n")
}

// validateDNSNames checks one DNS name per line with the rule the core
// applies (enroll.CheckDNSName).
func validateDNSNames(s string) error {
	for _, l := range splitLines(s) {
		if enroll.CheckDNSName(l) != nil {
			return fmt.Errorf("“%s” is not a DNS name", l)
		}
	}
	return nil
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' }) {
		out = append(out, strings.TrimSpace(l))
	}
	return out
}

func (z *wizard) showSubject() {
	z.commonName = widget.NewEntry()
	z.commonName.SetPlaceHolder("kiosk01.corp.example.com")
	z.commonName.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("enter the name of the certificate")
		}
		if strings.ContainsAny(s, ",=+;<>\"\\") {
			return errors.New("the name may not contain , = + ; < > \" or \\")
		}
		return nil
	}
	z.dnsNames = widget.NewMultiLineEntry()
	z.dnsNames.SetPlaceHolder("kiosk01.corp.example.com\nkiosk01")
	z.dnsNames.SetMinRowsVisible(3)
	z.dnsNames.Validator = validateDNSNames
	check := func(string) {
		if err := z.subjectProblem(); err != nil {
			z.next.Disable()
			z.problem(err.Error())
		} else {
			z.next.Enable()
			z.say("")
		}
	}
	z.commonName.OnChanged = check
	z.dnsNames.OnChanged = check
	form := widget.NewForm(widget.NewFormItem("Name (CN)", z.commonName), widget.NewFormItem("DNS names", z.dnsNames))
	form.Items[1].HintText = "One per line"
	z.step("Name of the certificate", container.NewVBox(valueLabel("The template "+z.template.CommonName+" asks you to name the certificate."), form),
		z.showTemplates, z.showKey)
	z.next.Disable()
}

// subjectProblem validates the subject form; the sentence starts upper-case.
func (z *wizard) subjectProblem() error {
	for _, e := range []*widget.Entry{z.commonName, z.dnsNames} {
		if err := e.Validator(e.Text); err != nil {
			msg := err.Error()
			r, n := utf8.DecodeRuneInString(msg)
			return errors.New(string(unicode.ToUpper(r)) + msg[n:] + ".")
		}
	}
	return nil
}

// keyLabels are the labels of keys (app.KeyChoices, app.AllKeys).
func keyLabels(keys []app.KeyChoice) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Type.String())
	}
	return out
}

// keyName is the -key spelling of the key of keys labelled label.
func keyName(keys []app.KeyChoice, label string) string {
	for _, k := range keys {
		if k.Type.String() == label {
			return k.Name
		}
	}
	return ""
}

func (z *wizard) showKey() {
	choices := keyLabels(app.KeyChoices(&z.template))
	z.keyPick = widget.NewSelect(choices, nil)
	if len(choices) > 0 {
		z.keyPick.SetSelected(choices[0])
	}
	back := z.showTemplates
	if suppliesNames(&z.template) {
		back = func() {
			cn, dns := z.commonName.Text, z.dnsNames.Text
			z.showSubject()
			z.commonName.SetText(cn)
			z.dnsNames.SetText(dns)
		}
	}
	body := container.NewVBox(valueLabel("A new private key is made on this device and never leaves it."),
		widget.NewForm(widget.NewFormItem("Key", z.keyPick)))
	z.step("Key", body, back, z.submit)
	z.next.SetText("Request")
}

// request builds the enrollment request from the steps.
func (z *wizard) request() app.EnrollRequest {
	r := app.EnrollRequest{Context: z.ctxID, Server: z.server.ID, Template: z.template.CommonName,
		Key: keyName(app.KeyChoices(&z.template), z.keyPick.Selected), Password: z.password.Text}
	if suppliesNames(&z.template) {
		r.Subject = "CN=" + strings.TrimSpace(z.commonName.Text)
		r.DNSNames = splitLines(z.dnsNames.Text)
	}
	return r
}

// submit sends the request, showing progress with a working Cancel.
func (z *wizard) submit() {
	r := z.request()
	ctx, cancel := context.WithCancel(z.ctx)
	z.stopped = cancel
	bar := widget.NewProgressBarInfinite()
	z.step("Requesting", container.NewVBox(valueLabel("Asking "+serverLabel(z.server.Server)+" for a "+z.template.CommonName+" certificate…"), bar), nil, nil)
	z.tasks.run(func() func() {
		res, err := z.en.Enroll(ctx, r)
		cancelled := ctx.Err() != nil
		cancel()
		return func() {
			bar.Stop()
			z.stopped = nil
			switch {
			case cancelled:
				return // the person cancelled and the dialog is gone
			case err != nil:
				z.fail("The CA did not issue the certificate.", err)
			default:
				z.showResult(res)
			}
		}
	})
}

func (z *wizard) showResult(res *app.EnrollResult) {
	z.openDetails = widget.NewButton("Show the certificate", func() {
		z.dialog.Hide()
		z.issued(res.Thumbprint)
	})
	var text string
	if res.Status == app.StatusPending {
		text = fmt.Sprintf("Your request %s is waiting for a CA administrator to approve it. certdesk checks it at every renewal check and installs the certificate when it is issued.", res.RequestID)
		z.openDetails.Hide()
	} else {
		text = fmt.Sprintf("Your certificate “%s” was issued and installed in Personal. It is valid until %s.", app.CommonName(res.Subject), formatDate(res.NotAfter))
	}
	z.result = valueLabel(text)
	z.step("Done", container.NewVBox(z.result, z.openDetails), nil, nil)
	z.cancel.SetText("Close")
}
