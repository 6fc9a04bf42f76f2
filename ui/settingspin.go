package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// The settings tab's saved token PIN (docs/keys.md, "The token PIN"):
// when a PIN is kept for the configured token, a line says so with a
// Forget saved PIN button (app.Core.HasPIN, ForgetPIN).

// pinKeeper is the optional part of a Configurer that keeps token PINs.
type pinKeeper interface {
	PINToken(label string) (string, error)
	HasPIN(ctx context.Context, cx store.Context, label string) (bool, error)
	ForgetPIN(ctx context.Context, cx store.Context, label string) error
}

func (s *settingsView) newPINLine() {
	s.pinLabel = widget.NewLabel("")
	forget := widget.NewButton("Forget saved PIN", s.forgetPIN)
	s.pin = container.NewHBox(s.pinLabel, layout.NewSpacer(), forget)
	s.pin.Hide()
}

// showPIN shows the PIN line when a PIN is saved for the configured token
// of the current context.
func (s *settingsView) showPIN() {
	k, ok := s.core.(pinKeeper)
	if !ok {
		return
	}
	c := s.context()
	s.tasks.run(func() func() {
		label, err := k.PINToken("")
		saved := false
		if err == nil {
			saved, _ = k.HasPIN(context.Background(), c, "")
		}
		return func() {
			s.pin.Hidden = !saved
			s.pinLabel.SetText("A PIN is saved for token “" + safetext.Escape(label) + "”.")
			s.pin.Refresh()
		}
	})
}

// forgetPIN removes the configured token's saved PIN.
func (s *settingsView) forgetPIN() {
	k := s.core.(pinKeeper)
	c := s.context()
	s.tasks.run(func() func() {
		err := k.ForgetPIN(context.Background(), c, "")
		return func() {
			switch {
			case err != nil && !errors.Is(err, app.ErrNoPIN):
				s.status.SetText(failedLine("The PIN could not be forgotten.", err))
			default:
				s.status.SetText("The saved PIN was forgotten; certdesk asks for it when the token is used.")
			}
			s.showPIN()
		}
	})
}
