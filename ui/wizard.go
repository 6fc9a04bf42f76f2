package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// wizard is the Request certificate wizard: server, template, subject
// (when the template asks), key, progress, result.
type wizard struct {
	en     Enroller
	win    fyne.Window
	tasks  *tasks
	ctxID  store.Context
	issued func(thumbprint string) // shows a new certificate in the browser
	// ended is called on the UI thread when a request got its answer
	// (issued or pending), so the views that list them reload; may be nil.
	ended func()

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

	servers    []serverRow
	serverPick *widget.RadioGroup
	password   *dialogEntry   // for a server without a saved password
	addServer  *widget.Button // opens form
	form       *serverForm    // the last server form opened

	policy       *enroll.Policies // the chosen server's, which names the templates' purposes
	templates    []enroll.Template
	templatePick *widget.RadioGroup
	templateInfo *widget.Label

	commonName *dialogEntry
	dnsNames   *dialogEntry
	keyPick    *widget.Select
	challenge  *widget.Entry // SCEP's one-time challenge (wizardsteps.go)

	result      *widget.Label
	openDetails *widget.Button

	server   serverRow
	template enroll.Template
	storage  keyStorageChoice // where the key will live (wizardkey.go)
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
	showKeyed(z.win, z.dialog, z.enter, func() {
		if !z.cancel.Disabled() {
			z.cancel.OnTapped()
		}
	})
	z.loadServers(func() {})
}

// loadServers reads the servers and shows the first step, then runs then
// on the UI thread.
func (z *wizard) loadServers(then func()) {
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
			then()
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

// enter is the wizard's Enter: Next where the step has one and allows
// it, Close on the last step.
func (z *wizard) enter() {
	switch {
	case !z.next.Hidden && !z.next.Disabled():
		z.next.OnTapped()
	case z.next.Hidden && !z.cancel.Disabled():
		z.cancel.OnTapped()
	}
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

// ask runs work off the UI thread with Next disabled and busy said; unless
// the wizard was closed meanwhile, it then shows failed followed by the
// error, Next enabled again, or runs done on the UI thread.
func (z *wizard) ask(busy, failed string, work func() error, done func()) {
	z.busy(busy)
	z.tasks.run(func() func() {
		err := work()
		if z.ctx.Err() != nil {
			return nil // the wizard was closed
		}
		return func() {
			if err != nil {
				z.next.Enable()
				z.problem(failed + explain(err))
				return
			}
			done()
		}
	})
}

// fail shows an error as the wizard's last step, as the error dialogs
// show one: what failed as the title, then errorBody.
func (z *wizard) fail(failed string, err error) {
	z.step(errorTitle(failed), errorBody(err), nil, nil)
	z.cancel.SetText("Close")
}

// request builds the enrollment request from the steps.
func (z *wizard) request() app.EnrollRequest {
	r := app.EnrollRequest{Context: z.ctxID, Server: z.server.ID, Template: z.template.CommonName,
		Key: keyName(app.KeyChoices(&z.template), z.keyPick.Selected), Password: z.password.Text}
	if z.challenge != nil {
		r.Challenge = z.challenge.Text
	}
	subject, dns := suppliesNames(&z.template)
	if subject {
		r.Subject = "CN=" + strings.TrimSpace(z.commonName.Text)
	}
	if dns {
		r.DNSNames = splitLines(z.dnsNames.Text)
	}
	r.KeyStorage = z.keyStorage()
	return r
}

// submit sends the request, showing progress with a working Cancel.
func (z *wizard) submit() {
	r := z.request()
	ctx, cancel := context.WithCancel(z.ctx)
	z.stopped = cancel
	bar := widget.NewProgressBarInfinite()
	z.step("Requesting", container.NewVBox(valueLabel("Asking "+serverLabel(z.server.Server)+" for a "+z.template.CommonName+" certificate…"), bar), nil, nil)
	var unconfirmed *app.UnconfirmedHostsError
	var needPIN *app.PINError
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
			case errors.As(err, &needPIN):
				z.askTokenPIN(needPIN) // ui/pin.go
			case errors.As(err, &unconfirmed):
				askHosts(z.win, "Send your password to a new host?",
					"The policy of "+serverLabel(z.server.Server)+" now names "+safetext.Escape(strings.Join(unconfirmed.Hosts, ", "))+
						" for enrollment, which you have not confirmed for this server. Nothing was sent there. Continue only if it is your organisation's.",
					func() { z.confirmAndRetry(unconfirmed.Hosts) },
					func() { z.fail("Nothing was sent to the new host, and no certificate was requested.", err) })
			case err != nil:
				z.fail("The CA did not issue the certificate.", err)
			default:
				z.showResult(res)
			}
		}
	})
}

// confirmAndRetry confirms hosts for the wizard's server and sends the
// request again.
func (z *wizard) confirmAndRetry(hosts []string) {
	z.ask("Confirming "+safetext.Escape(strings.Join(hosts, ", "))+"…", "The hosts could not be confirmed: ", func() error {
		_, err := z.en.ConfirmHosts(z.ctx, z.ctxID, z.server.ID, hosts)
		return err
	}, z.submit)
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
	title := "Done"
	if res.Status == app.StatusPending {
		title = "Request pending"
	}
	z.step(title, container.NewVBox(z.result, z.openDetails), nil, nil)
	z.cancel.SetText("Close")
	if z.ended != nil {
		z.ended()
	}
}
