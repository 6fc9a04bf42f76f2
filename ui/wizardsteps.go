package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
)

// The wizard's steps after the server: template, the certificate's names
// (when the template lets the person supply them) and key.

func (z *wizard) loadTemplates(password string) {
	var pol *enroll.Policies
	z.ask("Asking "+serverLabel(z.server.Server)+" for its templates…", "The templates could not be read: ", func() (err error) {
		pol, err = z.en.Policies(z.ctx, z.ctxID, z.server.ID, password, true)
		return err
	}, func() {
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

// describeTemplate says what a template issues, in plain words.
func describeTemplate(t enroll.Template) string {
	lines := []string{"Valid for " + formatSpan(time.Duration(t.ValiditySeconds)*time.Second)}
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
		return validateCommonName(s)
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
	for _, e := range []*widget.Entry{z.commonName, z.dnsNames} {
		if e == z.commonName && !subject || e == z.dnsNames && !dns {
			continue
		}
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
	if asksNames(&z.template) {
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
