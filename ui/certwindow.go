package ui

import (
	"crypto/x509"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// A certificate opened in a window of its own: the details view (General,
// Extensions, Chain) of the selected row (double-click, or Open in the
// context menu) or of a chain element (its Open button).

// openSelected opens the selected certificate in a window of its own.
func (b *browser) openSelected() {
	r, ok := b.current()
	if !ok {
		return
	}
	b.openCertificate(b.contextID, b.store, r.Thumbprint, b.rowFacts(r), nil)
}

// openChainElement opens path[0], a chain element found from context
// ctxID, whose issuers follow in path. One found in a store is read from
// there with its own chain; a system root is shown as the chain has it.
func (b *browser) openChainElement(ctxID store.Context, path []store.ChainElement) {
	if len(path) == 0 {
		return
	}
	el := path[0]
	if el.Source == "system" || el.Thumbprint == "" {
		b.showCertificate(el.Certificate, chainOf(path), facts{})
		return
	}
	b.openCertificate(ctxID, store.Name(el.Source), el.Thumbprint, facts{}, path)
}

// openCertificate reads the certificate thumbprint of store n of context
// ctxID with its chain and shows it with the facts f in a window; when it
// cannot be read, path (if any) stands in for it.
func (b *browser) openCertificate(ctxID store.Context, n store.Name, thumbprint string, f facts, path []store.ChainElement) {
	b.tasks.run(func() func() {
		e, chain, err := readWithChain(b.core, ctxID, n, thumbprint)
		return func() {
			switch {
			case err == nil:
				b.showCertificate(e.Certificate, chain, f)
			case len(path) > 0 && path[0].Certificate != nil:
				b.showCertificate(path[0].Certificate, chainOf(path), f)
			default:
				b.summary.SetText(failedLine("The certificate could not be opened.", err))
			}
		}
	})
}

// showCertificate opens a window with the details of cert; its chain
// elements open the same way.
func (b *browser) showCertificate(cert *x509.Certificate, chain *store.Chain, f facts) {
	if cert == nil || b.newWindow == nil {
		return
	}
	ctxID := b.contextID
	w := b.newWindow("Certificate: " + commonName(cert.Subject))
	d := newDetails(b.clipboard)
	d.onOpen = func(path []store.ChainElement) { b.openChainElement(ctxID, path) }
	f.readOnly = true // no Check now: the main window's details offer it
	d.show(cert, chain, b.now(), f)
	w.SetContent(d.content)
	w.Resize(fyne.NewSize(720, 600))
	w.Show()
}

// chainOf is the chain a chain element and its issuers (path) make.
func chainOf(path []store.ChainElement) *store.Chain {
	c := &store.Chain{Valid: true, Elements: path}
	for _, el := range path {
		c.Valid = c.Valid && el.Status == "ok"
	}
	return c
}

// openable gives a chain row an Open button when the view can open chain
// elements (onOpen).
func (d *details) openable(o fyne.CanvasObject, path []store.ChainElement) fyne.CanvasObject {
	if d.onOpen == nil {
		return o
	}
	open := widget.NewButtonWithIcon("Open", theme.VisibilityIcon(), func() { d.onOpen(path) })
	open.Importance = widget.LowImportance
	return withButton(o, open)
}
