package ui

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/safetext"
)

// The wizard's steps after the server: template, the certificate's names
// (when the template lets the person supply them) and key.

func (z *wizard) loadTemplates(password string) {
	var pol *enroll.Policies
	z.ask("Asking "+serverLabel(z.server.Server)+" for its templates…", "The templates could not be read: ", func() (err error) {
		pol, err = z.en.Policies(z.ctx, z.ctxID, z.server.ID, password, true)
		return err
	}, func() {
		z.policy = pol
		z.templates = app.UsableTemplates(pol)
		z.showTemplates()
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
			z.templateInfo.SetText(describeTemplate(z.policy, t))
		}
	})
	z.templatePick.Required = true
	if len(labels) > 0 {
		z.templatePick.SetSelected(labels[0])
	}
	// The description stands beside the list, in view however long the list.
	body := container.NewVBox(valueLabel("Choose the kind of certificate you need."),
		container.NewGridWithColumns(2, z.templatePick, container.NewVBox(z.templateInfo)))
	if len(labels) == 0 {
		body = container.NewVBox(valueLabel("This server offers you no template. Ask your administrator for enroll permission."))
	}
	z.step("Template", body, z.showServers, func() {
		z.template, _ = z.chosenTemplate()
		if asksNames(&z.template) {
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

// suppliesNames reports whether the person names the certificate for
// template t: its subject (EnrolleeSuppliesSubject), its DNS names
// (EnrolleeSuppliesSubjectAltName), or both. The core sends a name only
// where its flag allows it (app's checkNames refuses the others).
func suppliesNames(t *enroll.Template) (subject, dns bool) {
	return t.Flags.EnrolleeSuppliesSubject, t.Flags.EnrolleeSuppliesSubjectAltName
}

// asksNames reports whether the wizard has a step for the names.
func asksNames(t *enroll.Template) bool {
	subject, dns := suppliesNames(t)
	return subject || dns
}

// describeTemplate says what a template of policy pol issues, in plain
// words: validity, purposes (pol.Purposes), key, who names the
// certificate, and whether a CA manager approves each request.
func describeTemplate(pol *enroll.Policies, t enroll.Template) string {
	lines := []string{"Valid for " + formatSpan(time.Duration(t.ValiditySeconds)*time.Second)}
	if purposes := pol.Purposes(&t); len(purposes) > 0 {
		lines = append(lines, "For: "+safetext.Escape(strings.Join(purposes, ", ")))
	}
	if kt, err := t.KeyType(); err == nil {
		lines = append(lines, "Key: "+kt.String()+" or stronger")
	}
	switch subject, dns := suppliesNames(&t); {
	case subject && dns:
		lines = append(lines, "You enter the name and DNS names of the certificate.")
	case subject:
		lines = append(lines, "You enter the name of the certificate.")
	case dns:
		lines = append(lines, "You enter the DNS names; the CA fills in the name from your account.")
	default:
		lines = append(lines, "The CA fills in the name from your account.")
	}
	if t.Flags.PendAllRequests {
		lines = append(lines, approvalNote)
	}
	return strings.Join(lines, "\n")
}

// approvalNote is what the wizard says of a template whose requests pend
// (enrollment flag CT_FLAG_PEND_ALL_REQUESTS).
const approvalNote = "Needs approval by a CA manager: the certificate is issued once one approves your request."

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
	z.commonName = newDialogEntry()
	z.commonName.SetPlaceHolder("kiosk01.corp.example.com")
	z.commonName.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("enter the name of the certificate")
		}
		return validateCommonName(s)
	}
	z.dnsNames = newDialogMultiLineEntry()
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
	form := widget.NewForm()
	subject, dns := suppliesNames(&z.template)
	intro := "The template " + z.template.CommonName + " asks you to name the certificate."
	if subject {
		form.Append("Name (CN)", z.commonName)
	}
	if dns {
		form.AppendItem(&widget.FormItem{Text: "DNS names", Widget: z.dnsNames, HintText: "One per line"})
	}
	if !subject {
		intro = "The template " + z.template.CommonName + " takes the certificate's DNS names from you; the CA fills in its name."
	}
	z.step("Name of the certificate", container.NewVBox(valueLabel(intro), form), z.showTemplates, z.showKey)
	z.commonName.OnSubmitted = func(string) { z.enter() }
	if subject {
		z.win.Canvas().Focus(z.commonName)
	} else {
		z.win.Canvas().Focus(z.dnsNames)
	}
	if z.subjectProblem() != nil {
		z.next.Disable()
	}
}

// validateCommonName keeps out of a common name the characters that would
// change the subject "CN=" + name the forms build.
func validateCommonName(s string) error {
	if strings.ContainsAny(s, ",=+;<>\"\\") {
		return errors.New("the name may not contain , = + ; < > \" or \\")
	}
	return nil
}

// subjectProblem validates the names the template takes; the sentence
// starts upper-case.
func (z *wizard) subjectProblem() error {
	subject, dns := suppliesNames(&z.template)
	for _, e := range []*dialogEntry{z.commonName, z.dnsNames} {
		if e == z.commonName && !subject || e == z.dnsNames && !dns {
			continue
		}
		if err := e.Validator(e.Text); err != nil {
			return errors.New(sentence(err.Error()))
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
	if asksNames(&z.template) {
		back = func() {
			cn, dns := z.commonName.Text, z.dnsNames.Text
			z.showSubject()
			z.commonName.SetText(cn)
			z.dnsNames.SetText(dns)
		}
	}
	form := widget.NewForm(widget.NewFormItem("Key", z.keyPick))
	if z.challenge == nil { // kept when the person comes back from the summary
		z.challenge = widget.NewPasswordEntry()
	}
	if z.server.Protocol == app.ProtocolSCEP {
		// Used for this request only, never saved (docs/protocols.md).
		form.AppendItem(&widget.FormItem{Text: "Challenge password", Widget: z.challenge, HintText: "From your administrator or the NDES page; used once"})
	}
	body := container.NewVBox(valueLabel("A new private key is made on this device and never leaves it."), form)
	z.step("Key", body, back, z.showSummary)
	z.addKeyStorage(body)
}

// showSummary shows what will be requested before anything is sent:
// server, template, names, key and where the key will live.
func (z *wizard) showSummary() {
	r := z.request()
	form := widget.NewForm(
		widget.NewFormItem("Server", valueLabel(serverLabel(z.server.Server))),
		widget.NewFormItem("Template", valueLabel(safetext.Escape(z.template.CommonName))))
	name := "Filled in by the CA from your account"
	if r.Subject != "" {
		name = safetext.Escape(r.Subject)
	}
	form.Append("Name", valueLabel(name))
	if _, dns := suppliesNames(&z.template); dns {
		names := "None"
		if len(r.DNSNames) > 0 {
			names = safetext.Escape(strings.Join(r.DNSNames, ", "))
		}
		form.Append("DNS names", valueLabel(names))
	}
	form.Append("Key", valueLabel(z.keyPick.Selected))
	form.Append("Key kept", valueLabel(storageLabel(cmp.Or(r.KeyStorage, app.RequiredKeyStorage(&z.template)))))
	body := container.NewVBox(valueLabel("Check your request. Nothing has been sent yet."), form)
	if z.template.Flags.PendAllRequests {
		body.Add(valueLabel(approvalNote))
	}
	key := z.keyPick.Selected
	z.step("Summary", body, func() {
		z.showKey()
		z.keyPick.SetSelected(key)
	}, z.submit)
	z.next.SetText("Request")
	if o, ok := z.storage.chosen(); ok && o.Problem != nil {
		z.checkKeyStorage()
	}
}
