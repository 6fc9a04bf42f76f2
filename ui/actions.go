package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// showContextMenu opens the context menu of the selected certificate at
// pos: Open, Export…, Renew now, Delete, Copy thumbprint and the
// publishing items, enabled as the toolbar and main menu are
// (updateActions), since most are the main menu's own items.
func (v *mainView) showContextMenu(pos fyne.Position) {
	if _, ok := v.browser.current(); !ok {
		return
	}
	v.contextMenu = widget.NewPopUpMenu(fyne.NewMenu("", v.contextItems()...), v.win.Canvas())
	v.contextMenu.ShowAtPosition(pos)
}

// contextItems are the items of the context menu.
func (v *mainView) contextItems() []*fyne.MenuItem {
	return append([]*fyne.MenuItem{v.openItem, fyne.NewMenuItemSeparator(),
		v.exportItem, v.renewItem, v.deleteItem, v.copyItem, fyne.NewMenuItemSeparator()}, v.publishItems...)
}

// copyThumbprint puts the SHA-1 thumbprint of the selected certificate on
// the clipboard, without spaces, as the details' copy button does.
func (v *mainView) copyThumbprint() {
	if r, ok := v.browser.current(); ok {
		v.app.Clipboard().SetContent(r.Thumbprint)
	}
}

// deleteSelected asks, then deletes the selected entry.
func (v *mainView) deleteSelected() {
	r, ok := v.browser.current()
	if !ok || v.browser.readOnly() {
		return
	}
	ctxID, store := v.browser.contextID, v.browser.store
	what := "It leaves " + storeLabel(store) + " of " + contextLabel(ctxID) + " and is no longer used or renewed. " +
		"certdesk keeps it in the archive: tick “Show archived” to see it."
	if p, ok := v.browser.publication(r); ok && !p.Empty() {
		what += " It is also taken out of where it is published (" + publicationText(p, nil) + ")."
	}
	confirm(v.win, "Delete “"+r.subject+"”?", what, func(yes bool) {
		if !yes {
			return
		}
		v.tasks.run(func() func() {
			err := v.core.Delete(context.Background(), ctxID, store, r.Thumbprint)
			return func() {
				if err != nil {
					showError(v.win, "The certificate could not be deleted.", err)
				}
				v.refresh()
			}
		})
	})
}

// renewSelected renews the selected entry now; a key on a token whose PIN
// is not saved asks for it (ui/pin.go).
func (v *mainView) renewSelected() {
	r, ok := v.browser.current()
	if !ok || !app.CanRenew(*r.Entry) {
		return
	}
	v.renew(context.Background(), v.browser.contextID, r)
}

// renew renews r of context ctxID now, and again with the PIN a token asks
// for.
func (v *mainView) renew(ctx context.Context, ctxID store.Context, r row) {
	done := showBusy(v.win, "Renewing “"+r.subject+"”…")
	v.tasks.run(func() func() {
		o, err := v.core.Renew(ctx, ctxID, r.Thumbprint)
		if err == nil {
			err = renewalProblem(o)
		}
		return func() {
			done()
			if pe := (*app.PINError)(nil); errors.As(err, &pe) {
				v.renewWithPIN(ctx, pe, func(ctx context.Context) { v.renew(ctx, ctxID, r) })
				return
			}
			if err != nil {
				showError(v.win, "“"+r.subject+"” could not be renewed.", err)
				return
			}
			info(v.win, "Renewed", "“"+r.subject+"” was renewed; the old certificate is archived.")
			v.refresh()
		}
	})
}

// checkNow runs a renewal check of the current context and says in the
// status bar what was due and what it renewed; a failure also opens the
// error dialog.
func (v *mainView) checkNow() {
	ctxID := v.browser.workContext()
	v.checked.SetText("Checking the certificates of " + contextLabel(ctxID) + "…")
	v.checkButton.Disable()
	v.tasks.run(func() func() {
		// An explicit check fetches the policies in full, as
		// "templates -refresh" does.
		err := v.core.FullPolicyFetch(ctxID)
		var rep *app.PulseReport
		if err == nil {
			rep, err = v.core.Pulse(context.Background(), ctxID)
		}
		if err == nil {
			err = pulseProblem(rep)
		}
		return func() {
			v.updateActions()
			if rep != nil {
				v.checked.SetText(contextLabel(ctxID) + " checked at " + v.now().Format("15:04") + ": " + pulseSummary(rep))
			} else {
				v.checked.SetText("The check of " + contextLabel(ctxID) + " did not run.")
			}
			if err != nil {
				showError(v.win, "The check of "+contextLabel(ctxID)+" found a problem.", err)
			}
			v.refresh()
			v.tray.update()
		}
	})
}

// showImport asks for a certificate file and imports it.
func (v *mainView) showImport() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		v.importer.add([]fyne.URI{r.URI()})
	}, v.win)
	d.SetFilter(storage.NewExtensionFileFilter(importExtensions))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// showRequest opens the Request certificate wizard.
func (v *mainView) showRequest() {
	en, ok := v.core.(Enroller)
	if !ok {
		return
	}
	ctxID := v.browser.workContext()
	v.wizard = newWizard(en, v.win, v.tasks, ctxID, func(thumbprint string) {
		v.browser.reveal(ctxID, store.My, thumbprint)
	})
	if v.requests != nil {
		v.wizard.ended = v.requests.reload // a pending answer adds a request
	}
	v.wizard.start()
}

// onDropped imports the files dropped anywhere on the window.
func (v *mainView) onDropped(_ fyne.Position, uris []fyne.URI) {
	v.importer.add(uris)
}
