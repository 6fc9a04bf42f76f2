package ui

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// importExtensions are the file types the Import dialog offers.
var importExtensions = []string{".pfx", ".p12", ".cer", ".crt", ".pem", ".der", ".p7b", ".p7c"}

// automatic is the store choice that lets the store place each certificate.
const automatic = "Automatic (recommended)"

// importer imports files one after another: it asks a PFX's password,
// shows what the file holds and where it will go, asks before trusting a
// root, and reports what happened.
type importer struct {
	core  Core
	win   fyne.Window
	tasks *tasks
	// where returns the context shown in the browser and all contexts.
	where func() (store.Context, []ContextInfo)
	// changed is called after an import changed a store.
	changed func()

	queue []fyne.URI
	busy  bool

	// The widgets of the dialog on screen, kept for tests.
	dialog       dialog.Dialog
	password     *dialogEntry
	showPassword *widget.Check
	problem      *widget.Label
	contextPick  *widget.Select
	storePick    *widget.Select
}

// add queues files and starts on the first unless an import is under way.
func (im *importer) add(uris []fyne.URI) {
	im.queue = append(im.queue, uris...)
	if !im.busy {
		im.next()
	}
}

// next starts on the next queued file.
func (im *importer) next() {
	im.dialog = nil
	if len(im.queue) == 0 {
		im.busy = false
		return
	}
	im.busy = true
	u := im.queue[0]
	im.queue = im.queue[1:]
	im.tasks.run(func() func() {
		data, err := readURI(u)
		return func() {
			if err != nil {
				im.fail(u.Name(), err)
				return
			}
			if store.Sniff(data) == store.FormatPFX {
				im.askPassword(u.Name(), data, "")
			} else {
				im.parse(u.Name(), data, "")
			}
		}
	})
}

// readURI reads a file for import within the store's size limit.
func readURI(u fyne.URI) ([]byte, error) {
	if u.Scheme() == "file" {
		return store.ReadImportFile(u.Path())
	}
	r, err := storage.Reader(u)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, store.MaxImportSize+1))
	if err == nil && len(data) > store.MaxImportSize {
		err = store.ErrTooLarge
	}
	return data, err
}

// fail reports a file that cannot be imported, then moves on.
func (im *importer) fail(name string, err error) {
	d := showError(im.win, "“"+name+"” was not imported", err)
	d.SetOnClosed(im.next)
}

// askPassword asks for the password of a PFX; problem, if set, says why
// it is asked again.
func (im *importer) askPassword(name string, data []byte, problem string) {
	im.password = newDialogPasswordEntry()
	im.password.SetPlaceHolder("Password")
	im.showPassword = widget.NewCheck("Show password", func(on bool) {
		im.password.Password = !on
		im.password.Refresh()
	})
	im.problem = widget.NewLabel(problem)
	im.problem.Importance = widget.DangerImportance
	im.problem.Hidden = problem == ""
	intro := widget.NewLabel("“" + name + "” is protected by a password. Enter the password you were given with the file.")
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(intro, im.problem, im.password, im.showPassword)
	d := dialog.NewCustomConfirm("Password for "+name, "Continue", "Cancel", content, func(ok bool) {
		if !ok {
			im.next()
			return
		}
		im.parse(name, data, im.password.Text)
	}, im.win)
	im.password.OnSubmitted = func(string) { d.Confirm() }
	im.show(d, 440)
	im.win.Canvas().Focus(im.password)
}

// parse decodes the file; a wrong password asks again.
func (im *importer) parse(name string, data []byte, password string) {
	im.tasks.run(func() func() {
		b, err := store.Parse(data, password)
		return func() {
			switch {
			case errors.Is(err, store.ErrWrongPassword):
				im.askPassword(name, data, "The password is wrong. Try again.")
			case err != nil:
				im.fail(name, err)
			default:
				im.confirm(name, data, password, b)
			}
		}
	})
}

// confirm shows what the file holds and where it goes.
func (im *importer) confirm(name string, data []byte, password string, b *store.Bundle) {
	current, contexts := im.where()
	var ctxNames []string
	byLabel := map[string]store.Context{}
	for _, c := range contexts {
		if !c.ReadOnly {
			ctxNames = append(ctxNames, contextLabel(c.ID))
			byLabel[contextLabel(c.ID)] = c.ID
		}
	}
	if len(ctxNames) == 0 {
		im.fail(name, errors.New("no store can be changed by this user"))
		return
	}
	im.contextPick = widget.NewSelect(ctxNames, nil)
	im.contextPick.SetSelected(ctxNames[0])
	if _, ok := byLabel[contextLabel(current)]; ok {
		im.contextPick.SetSelected(contextLabel(current))
	}
	stores := []string{automatic}
	for _, n := range store.StandardNames {
		if n != store.Request {
			stores = append(stores, storeLabel(n))
		}
	}
	im.storePick = widget.NewSelect(stores, nil)
	im.storePick.SetSelected(automatic)

	summary := widget.NewLabel(strings.Join(describeBundle(b), "\n"))
	summary.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem("Import into", im.contextPick), widget.NewFormItem("Store", im.storePick))
	content := container.NewVBox(summary, widget.NewSeparator(), form)
	d := dialog.NewCustomConfirm("Import "+name, "Import", "Cancel", content, func(ok bool) {
		if !ok {
			im.next()
			return
		}
		opt := store.ImportOptions{Password: password}
		for _, n := range store.StandardNames {
			if storeLabel(n) == im.storePick.Selected {
				opt.Store = n
			}
		}
		ctxID := byLabel[im.contextPick.Selected]
		roots := selfSignedCAs(b.Certs)
		if len(roots) == 0 || (opt.Store != "" && opt.Store != store.Root) {
			im.run(name, data, ctxID, opt)
			return
		}
		im.askTrust(roots[0], func(trust bool) {
			if !trust && opt.Store == store.Root {
				im.next() // nothing else to import
				return
			}
			opt.TrustRoots = trust
			im.run(name, data, ctxID, opt)
		})
	}, im.win)
	im.show(d, 520)
}

// describeBundle lists, in plain words, what a parsed file holds.
func describeBundle(b *store.Bundle) []string {
	var lines []string
	if len(b.Certs) > 0 {
		first := "Certificate: " + commonName(b.Certs[0].Subject)
		if len(b.Keys) > 0 {
			first += ", with its private key"
		}
		lines = append(lines, first)
	}
	if len(b.Certs) > 1 {
		var names []string
		for _, c := range b.Certs[1:] {
			names = append(names, commonName(c.Subject))
		}
		lines = append(lines, fmt.Sprintf("Chain: %s (%s)", plural(len(names), "more certificate"), strings.Join(names, ", ")))
	}
	format := strings.ToUpper(string(b.Format))
	if b.PFXAlgorithms != "" {
		format += ", encrypted with " + b.PFXAlgorithms
	}
	return append(lines, "Format: "+format)
}

// selfSignedCAs returns the roots among certs.
func selfSignedCAs(certs []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		if c.IsCA && c.CheckSignatureFrom(c) == nil {
			out = append(out, c)
		}
	}
	return out
}

// askTrust asks whether to add root to Trusted Root, showing its
// thumbprints so they can be compared with a trusted source.
func (im *importer) askTrust(root *x509.Certificate, answer func(bool)) {
	s1, s256 := sha1.Sum(root.Raw), sha256.Sum256(root.Raw)
	text := widget.NewLabel("The file holds the root certificate “" + commonName(root.Subject) + "”. " +
		"A trusted root can vouch for any certificate, so trust it only if you know where it comes from: " +
		"compare its thumbprint with the one your administrator gave you.")
	text.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem("SHA-1", valueLabel(formatHex(s1[:], 2))),
		widget.NewFormItem("SHA-256", valueLabel(formatHex(s256[:], 2))))
	d := dialog.NewCustomConfirm("Do you trust “"+commonName(root.Subject)+"”?", "Trust", "Don't trust",
		container.NewVBox(text, form), answer, im.win)
	im.show(d, 560)
}

// run imports the file and reports the result.
func (im *importer) run(name string, data []byte, ctxID store.Context, opt store.ImportOptions) {
	done := showBusy(im.win, "Importing "+name+"…")
	im.tasks.run(func() func() {
		res, err := im.core.Import(context.Background(), ctxID, name, data, opt)
		return func() {
			done()
			if err != nil {
				im.fail(name, err)
				return
			}
			im.changed()
			text := widget.NewLabel(strings.Join(describeResult(res), "\n"))
			text.Wrapping = fyne.TextWrapWord
			d := dialog.NewCustom("Imported "+name, "Close", text, im.win)
			d.SetOnClosed(im.next)
			im.show(d, 480)
		}
	})
}

// describeResult lists what an import did with each certificate.
func describeResult(r *store.ImportResult) []string {
	var lines []string
	for _, it := range r.Items {
		cn := it.Subject
		if i := strings.Index(cn, "CN="); i >= 0 {
			cn = strings.SplitN(cn[i+3:], ",", 2)[0]
		}
		switch it.Result {
		case "added":
			lines = append(lines, "Added “"+cn+"” to "+storeLabel(it.Store)+".")
		case "attached":
			lines = append(lines, "Added the private key of “"+cn+"” in "+storeLabel(it.Store)+".")
		case "unchanged":
			lines = append(lines, "“"+cn+"” was already in "+storeLabel(it.Store)+".")
		default:
			reason := it.Reason
			if reason == "" {
				reason = "not needed"
			}
			lines = append(lines, "Skipped “"+cn+"”: "+reason+".")
		}
	}
	if len(lines) == 0 {
		lines = []string{"Nothing was imported."}
	}
	return lines
}

// show sizes and shows d, remembering it for tests.
func (im *importer) show(d dialog.Dialog, width float32) {
	im.dialog = d
	d.Resize(fyne.NewSize(width, d.MinSize().Height))
	show(im.win, d)
}
