package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// The key step's "where the key will live" (docs/keys.md): the place the
// template demands and why, and — for a software template — the stronger
// places the person may choose instead. The rule is app's
// (Core.KeyStorageOptions); a place that is not available here is shown
// disabled with app's sentence.

// keyStorer is the optional part of an Enroller that says where a
// template's key may be kept (app.Core.KeyStorageOptions).
type keyStorer interface {
	KeyStorageOptions(t *enroll.Template) []app.KeyStorageOption
}

// keyStorageChoice is the place chosen for the key of template.
type keyStorageChoice struct {
	template string
	options  []app.KeyStorageOption
	storage  string
}

// chosen returns the chosen option; ok is false before the options are
// known.
func (c keyStorageChoice) chosen() (app.KeyStorageOption, bool) {
	for _, o := range c.options {
		if o.Storage == c.storage {
			return o, true
		}
	}
	return app.KeyStorageOption{}, false
}

// keyStorageWhy says where the key of a template demanding required lives
// and why.
func keyStorageWhy(required string, choice bool) string {
	switch required {
	case store.KeyTPM:
		return "Your organisation requires this key to stay in this device's TPM."
	case store.KeyPKCS11:
		return "Your organisation requires this key to stay on a smart card or token."
	}
	if choice {
		return "Kept in software; you may choose a TPM or a token, where it cannot be copied."
	}
	return "Kept in software."
}

// storageLabel names a place as the key step and the summary show it.
func storageLabel(storage string) string {
	return capitalize(keyPlace(store.Meta{KeyStorage: storage}))
}

// addKeyStorage adds the place of the key to the key step's body once
// the core has said which places are allowed and available (a TPM is
// asked, so off the UI thread). Next stays disabled while the chosen place
// is not available.
func (z *wizard) addKeyStorage(body *fyne.Container) {
	ks, ok := z.en.(keyStorer)
	if !ok {
		return
	}
	if z.storage.template != z.template.CommonName {
		z.storage = keyStorageChoice{template: z.template.CommonName}
	}
	t := z.template
	z.busy("Checking where the key can be kept…")
	z.tasks.run(func() func() {
		opts := ks.KeyStorageOptions(&t)
		if z.ctx.Err() != nil {
			return nil
		}
		return func() {
			if z.title.Text != "Key" || z.template.CommonName != t.CommonName {
				return // the person left the step
			}
			z.say("")
			z.storage.options = opts
			if _, ok := z.storage.chosen(); !ok {
				z.storage.storage = app.RequiredKeyStorage(&t)
			}
			z.showKeyStorage(body)
		}
	})
}

// showKeyStorage shows the options of z.storage in body: one radio per
// place, a place that is not available disabled with its reason.
func (z *wizard) showKeyStorage(body *fyne.Container) {
	body.Add(valueLabel(keyStorageWhy(app.RequiredKeyStorage(&z.template), len(z.storage.options) > 1)))
	var radios []*widget.RadioGroup
	for _, o := range z.storage.options {
		label := storageLabel(o.Storage)
		r := widget.NewRadioGroup([]string{label}, nil)
		if o.Storage == z.storage.storage {
			r.SetSelected(label)
		}
		storage := o.Storage
		r.OnChanged = func(s string) {
			if s == "" { // a radio group lets its one option be unticked
				if z.storage.storage == storage {
					r.SetSelected(label)
				}
				return
			}
			z.storage.storage = storage
			for _, other := range radios {
				if other != r {
					other.SetSelected("")
				}
			}
			z.checkKeyStorage()
		}
		radios = append(radios, r)
		body.Add(r)
		if o.Problem != nil {
			r.Disable()
			why := valueLabel(safetext.Escape(sentence(o.Problem.Error())))
			why.Importance = widget.LowImportance
			body.Add(why)
		}
	}
	if len(radios) == 1 {
		radios[0].Disable() // the only place: shown, not a choice
	}
	body.Refresh()
	z.checkKeyStorage()
}

// checkKeyStorage enables Next when the chosen place is available, and
// says why not otherwise.
func (z *wizard) checkKeyStorage() {
	o, ok := z.storage.chosen()
	if ok && o.Problem != nil {
		z.next.Disable()
		z.problem("The key cannot be made: " + safetext.Escape(sentence(o.Problem.Error())))
		return
	}
	z.next.Enable()
	z.say("")
}

// keyStorage is the request's KeyStorage: the chosen place, or "" (the
// template's) when the core does not offer a choice.
func (z *wizard) keyStorage() string {
	o, _ := z.storage.chosen()
	return o.Storage
}
