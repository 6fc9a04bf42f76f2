package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// requestsView lists the pending requests of the context: poll now,
// install a response file, create an offline request.
type requestsView struct {
	core    Core
	req     Requester
	win     fyne.Window
	tasks   *tasks
	context func() store.Context

	list                           *widget.List
	poll, install, offline, cancel *widget.Button
	selected                       int // in entries; -1 for none
	status                         *widget.Label
	content                        fyne.CanvasObject
	entries                        []store.Entry
	csr                            *csrForm // the open offline request dialog
}

func newRequestsView(core Core, req Requester, w fyne.Window, t *tasks, context func() store.Context) *requestsView {
	r := &requestsView{core: core, req: req, win: w, tasks: t, context: context, selected: -1}
	r.list = widget.NewList(func() int { return len(r.entries) },
		func() fyne.CanvasObject {
			return container.NewVBox(widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), widget.NewLabel(""))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			e := r.entries[id]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(newRow(&e, "", e.Meta.ImportedAt).subject)
			box.Objects[1].(*widget.Label).SetText(requestDetail(e))
		})
	r.poll = widget.NewButton("Check now", r.pollNow)
	r.install = widget.NewButton("Install response…", r.showInstall)
	r.offline = widget.NewButton("New offline request…", r.showOffline)
	r.cancel = widget.NewButton("Cancel request…", r.cancelSelected)
	r.cancel.Disable()
	r.list.OnSelected = func(id widget.ListItemID) { r.selected = id; r.cancel.Enable() }
	r.list.OnUnselected = func(widget.ListItemID) { r.selected = -1; r.cancel.Disable() }
	r.status = widget.NewLabel("")
	r.status.Wrapping = fyne.TextWrapWord
	r.content = container.NewBorder(container.NewHBox(r.poll, r.install, r.offline, r.cancel), r.status, nil, nil, r.list)
	return r
}

// requestDetail is the second line of a pending request.
func requestDetail(e store.Entry) string {
	var parts []string
	if e.Meta.RequestID != "" {
		parts = append(parts, "Request "+e.Meta.RequestID)
	} else {
		parts = append(parts, "Offline request")
	}
	if e.Meta.TemplateName != "" {
		parts = append(parts, e.Meta.TemplateName)
	}
	if !e.Meta.ImportedAt.IsZero() {
		parts = append(parts, "since "+formatDate(e.Meta.ImportedAt))
	}
	return strings.Join(parts, " · ")
}

// reload lists the Request store.
func (r *requestsView) reload() {
	c := r.context()
	r.tasks.run(func() func() {
		es, err := r.core.List(context.Background(), c, store.Request)
		return func() {
			r.entries = r.entries[:0]
			r.list.UnselectAll()
			for _, e := range es {
				if !e.Meta.Archived {
					r.entries = append(r.entries, e)
				}
			}
			r.list.Refresh()
			switch {
			case err != nil:
				r.status.SetText(failedLine("The pending requests could not be read.", err))
			case len(r.entries) == 0:
				r.status.SetText("No request is waiting for a CA.")
			default:
				r.status.SetText(plural(len(r.entries), "request") + " waiting.")
			}
		}
	})
}

// cancelSelected stops waiting for the selected request: after a yes its
// entry is archived (app.Core.Delete), so certdesk no longer asks the CA
// about it and its key is kept, not destroyed.
func (r *requestsView) cancelSelected() {
	if r.selected < 0 || r.selected >= len(r.entries) {
		return
	}
	e, c := r.entries[r.selected], r.context()
	confirm(r.win, "Cancel the request “"+newRow(&e, "", e.Meta.ImportedAt).subject+"”?",
		"certdesk stops asking the CA about it. Its private key is archived, not deleted; the request itself stays at the CA.", func(ok bool) {
			if !ok {
				return
			}
			r.tasks.run(func() func() {
				err := r.core.Delete(context.Background(), c, store.Request, e.Thumbprint)
				return func() {
					if err != nil {
						showError(r.win, "The request could not be cancelled.", err)
					}
					r.reload()
				}
			})
		})
}

// pollNow asks the CAs about every pending request.
func (r *requestsView) pollNow() {
	c := r.context()
	r.status.SetText("Asking the CAs…")
	r.tasks.run(func() func() {
		outs, err := r.req.RequestStatus(context.Background(), c)
		return func() {
			if err != nil {
				showError(r.win, "The pending requests could not be checked.", err)
			}
			r.reload()
			if err == nil {
				info(r.win, "Pending requests", describeOutcomes(outs))
			}
		}
	})
}

// describeOutcomes says what a poll found.
func describeOutcomes(outs []app.RequestOutcome) string {
	if len(outs) == 0 {
		return "No request was waiting."
	}
	var lines []string
	for _, o := range outs {
		what := fmt.Sprintf("Request %s (%s): ", o.RequestID, app.CommonName(o.Subject))
		switch o.Outcome {
		case app.OutcomeOK:
			what += "issued and installed in Personal."
		case app.OutcomePending:
			what += "still waiting for approval."
		case app.OutcomeDenied:
			what += "denied by the CA"
		default:
			what += "could not be checked"
		}
		settled := o.Outcome == app.OutcomeOK || o.Outcome == app.OutcomePending
		if o.Reason != "" && !settled {
			what += ": " + o.Reason + "."
		} else if !settled {
			what += "."
		}
		lines = append(lines, what)
	}
	return strings.Join(lines, "\n")
}

// showInstall asks for a CA's response file and installs it.
func (r *requestsView) showInstall() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		rc.Close()
		r.installFile(rc.URI())
	}, r.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".cer", ".crt", ".pem", ".p7b", ".der"}))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// installFile installs the response in u.
func (r *requestsView) installFile(u fyne.URI) {
	c := r.context()
	r.tasks.run(func() func() {
		data, err := readURI(u)
		var e store.Entry
		if err == nil {
			e, err = r.req.RequestAccept(context.Background(), c, u.Name(), data)
		}
		return func() {
			if err != nil {
				showError(r.win, "“"+u.Name()+"” could not be installed.", err)
				return
			}
			info(r.win, "Installed", "“"+newRow(&e, "", e.NotBefore).subject+"” was installed in Personal with its key.")
			r.reload()
		}
	})
}

// csrForm is the New offline request dialog.
type csrForm struct {
	commonName, dnsNames *dialogEntry
	key                  *widget.Select
}

func (f *csrForm) request() app.OfflineRequest {
	o := app.OfflineRequest{DNSNames: splitLines(f.dnsNames.Text), Key: keyName(app.AllKeys(), f.key.Selected)}
	if cn := strings.TrimSpace(f.commonName.Text); cn != "" {
		o.Subject = "CN=" + cn
	}
	return o
}

// showOffline asks for the subject and key of a CSR, then where to save it.
func (r *requestsView) showOffline() {
	f := &csrForm{commonName: newDialogEntry(), dnsNames: newDialogMultiLineEntry(),
		key: widget.NewSelect(keyLabels(app.AllKeys()), nil)}
	f.key.SetSelected(f.key.Options[0])
	f.commonName.Validator = validateCommonName
	f.dnsNames.Validator = validateDNSNames
	r.csr = f
	c := r.context()
	items := []*widget.FormItem{
		widget.NewFormItem("Name (CN)", f.commonName), widget.NewFormItem("DNS names", f.dnsNames), widget.NewFormItem("Key", f.key),
	}
	d := dialog.NewForm("New offline request", "Create…", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		showSave(r.win, "request.csr", func(w fyne.URIWriteCloser) { r.createCSR(c, f.request(), w) })
	}, r.win)
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	showForm(r.win, d, items)
}

// createCSR makes the request and writes its CSR to w.
func (r *requestsView) createCSR(c store.Context, o app.OfflineRequest, w fyne.URIWriteCloser) {
	r.tasks.run(func() func() {
		csr, _, err := r.req.RequestNew(context.Background(), c, o)
		err = finishSave(w, 0o644, csr, err) // a CSR is public, as the CLI writes it
		return func() {
			if err != nil {
				showError(r.win, "The request could not be created.", err)
				return
			}
			info(r.win, "Request created", "Take "+w.URI().Name()+" to your CA. When it answers, install the response here; the key waits in Pending Requests.")
			r.reload()
		}
	})
}
