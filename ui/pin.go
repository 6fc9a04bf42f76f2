package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/internal/safetext"
)

// The token PIN dialog (docs/keys.md, "The token PIN"): when enrollment or
// Renew now needs a token's PIN the core answers an *app.PINError; the
// dialog asks for the PIN, and the action runs again with it. A refused
// PIN comes back the same way, so the dialog asks again with the token's
// sentence on top. "Remember in the keyring" is app.TokenPIN.Save: the
// core keeps the PIN only once the token accepted it.

// errNoPIN is what a person who closed the PIN dialog is told.
var errNoPIN = errors.New("no PIN was given for the token, so nothing was sent")

// pinPrompt says why the dialog asks.
func pinPrompt(pe *app.PINError) string {
	token := "“" + safetext.Escape(pe.Token) + "”"
	switch {
	case pe.CNG && pe.Wrong:
		return "The smart card refused the PIN; nothing was changed. Try again."
	case pe.CNG:
		return "The key is kept on your smart card. Enter its PIN to continue."
	case pe.Wrong && pe.Saved:
		return "The token " + token + " refused the PIN saved for it; nothing was changed. Enter its PIN."
	case pe.Wrong:
		return "The token " + token + " refused the PIN; nothing was changed. Try again."
	}
	return "The key is kept on the token " + token + ". Enter its PIN to continue."
}

// askPIN asks for the PIN pe wants: ok gets it (and whether to remember
// it), cancel runs when the person closes the dialog. Enter unlocks,
// Escape cancels.
func askPIN(w fyne.Window, pe *app.PINError, ok func(app.TokenPIN), cancel func()) {
	pin := widget.NewPasswordEntry()
	pin.Validator = func(s string) error {
		if s == "" {
			return errors.New("enter the PIN")
		}
		return nil
	}
	remember := widget.NewCheck("Remember in the keyring", nil)
	remember.SetChecked(pe.Saved)
	prompt := widget.NewLabel(pinPrompt(pe))
	prompt.Wrapping = fyne.TextWrapWord
	items := []*widget.FormItem{
		widget.NewFormItem("", prompt),
		widget.NewFormItem("PIN", pin),
	}
	if !pe.CNG { // Windows' smart-card PINs are not kept
		items = append(items, widget.NewFormItem("", remember))
	}
	d := dialog.NewForm("Token PIN", "Unlock", "Cancel", items, func(yes bool) {
		if !yes {
			if cancel != nil {
				cancel()
			}
			return
		}
		ok(app.TokenPIN{PIN: pin.Text, Save: remember.Checked})
	}, w)
	d.Resize(fyne.NewSize(440, d.MinSize().Height))
	showForm(w, d, items)
}

// askTokenPIN asks for the PIN the wizard's enrollment needs and sends the
// request again with it; closing the dialog ends the wizard with nothing
// requested.
func (z *wizard) askTokenPIN(pe *app.PINError) {
	askPIN(z.win, pe, func(p app.TokenPIN) {
		z.ctx = app.WithTokenPIN(z.ctx, p)
		z.submit()
	}, func() { z.fail("No certificate was requested.", errNoPIN) })
}

// renewWithPIN asks for the PIN a Renew now needs and renews again with
// it; closing the dialog renews nothing.
func (v *mainView) renewWithPIN(ctx context.Context, pe *app.PINError, again func(context.Context)) {
	askPIN(v.win, pe, func(p app.TokenPIN) { again(app.WithTokenPIN(ctx, p)) }, nil)
}
