package ui

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// details shows one certificate: general facts, every extension decoded,
// and its chain.
type details struct {
	general    *fyne.Container
	extensions *fyne.Container
	chain      *fyne.Container
	tabs       *container.AppTabs
	empty      *widget.Label
	content    *fyne.Container
	copySHA1   *widget.Button
	copySHA256 *widget.Button

	// sha1 and sha256 are the thumbprints the copy buttons put on the
	// clipboard, without spaces.
	sha1, sha256 string
}

// newDetails builds an empty details view; the copy buttons use clipboard.
func newDetails(clipboard fyne.Clipboard) *details {
	d := &details{
		general:    container.NewVBox(),
		extensions: container.NewVBox(),
		chain:      container.NewVBox(),
		empty:      widget.NewLabel("Select a certificate to see its details."),
	}
	d.empty.Alignment = fyne.TextAlignCenter
	d.copySHA1 = copyButton(func() { clipboard.SetContent(d.sha1) })
	d.copySHA256 = copyButton(func() { clipboard.SetContent(d.sha256) })
	d.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("General", theme.InfoIcon(), container.NewVScroll(d.general)),
		container.NewTabItemWithIcon("Extensions", theme.ListIcon(), container.NewVScroll(d.extensions)),
		container.NewTabItemWithIcon("Chain", theme.StorageIcon(), container.NewVScroll(d.chain)),
	)
	d.tabs.Hide()
	d.content = container.NewStack(container.NewCenter(d.empty), d.tabs)
	return d
}

// clear shows the "select a certificate" hint.
func (d *details) clear() {
	d.tabs.Hide()
	d.empty.Show()
	d.sha1, d.sha256 = "", ""
}

// show fills the view with cert and its chain (leaf first) as of now.
func (d *details) show(cert *x509.Certificate, chain []ChainElement, now time.Time) {
	s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	d.sha1, d.sha256 = formatHex(s1[:], 0), formatHex(s256[:], 0)
	st := statusOf(cert.NotBefore, cert.NotAfter, false, now)

	status := valueLabel(st.String())
	status.Importance = st.importance()
	validUntil := formatDate(cert.NotAfter) + " (" + formatExpiry(cert.NotAfter, now) + ")"
	d.general.Objects = []fyne.CanvasObject{container.New(layout.NewFormLayout(),
		keyLabel("Issued to"), valueLabel(commonName(cert.Subject)),
		keyLabel("Issued by"), valueLabel(commonName(cert.Issuer)),
		keyLabel("Status"), status,
		keyLabel("Valid from"), valueLabel(formatDate(cert.NotBefore)),
		keyLabel("Valid until"), valueLabel(validUntil),
		keyLabel("Subject"), valueLabel(formatDN(cert.Subject)),
		keyLabel("Issuer"), valueLabel(formatDN(cert.Issuer)),
		keyLabel("Public key"), valueLabel(formatKey(cert.PublicKey)),
		keyLabel("Signature"), valueLabel(cert.SignatureAlgorithm.String()),
		keyLabel("Serial number"), valueLabel(formatHex(cert.SerialNumber.Bytes(), 1)),
		keyLabel("SHA-1"), withButton(valueLabel(formatHex(s1[:], 2)), d.copySHA1),
		keyLabel("SHA-256"), withButton(valueLabel(formatHex(s256[:], 2)), d.copySHA256),
	)}

	d.extensions.Objects = nil
	for _, ext := range cert.Extensions {
		title, lines := describeExtension(cert, ext)
		heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		d.extensions.Add(heading)
		d.extensions.Add(valueLabel(strings.Join(lines, "\n")))
		d.extensions.Add(widget.NewSeparator())
	}
	if len(cert.Extensions) == 0 {
		d.extensions.Add(widget.NewLabel("This certificate has no extensions."))
	}

	d.chain.Objects = nil
	if len(chain) == 0 {
		d.chain.Add(widget.NewLabel("The chain of this certificate could not be built."))
	}
	// Root first, as certificate tools usually draw the path.
	for i := len(chain) - 1; i >= 0; i-- {
		el := chain[i]
		icon, verdict := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), valueLabel("Valid")
		if el.Problem != "" {
			icon, verdict = widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon())), valueLabel(el.Problem)
			verdict.Importance = widget.DangerImportance
		}
		indent := layout.NewSpacer()
		pad := container.NewGridWrap(fyne.NewSize(float32(len(chain)-1-i)*theme.IconInlineSize(), 1), indent)
		name := widget.NewLabelWithStyle(commonName(el.Cert.Subject), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		d.chain.Add(container.NewBorder(nil, nil, container.NewHBox(pad, icon), nil,
			container.NewVBox(name, verdict)))
	}

	d.empty.Hide()
	d.tabs.Show()
	d.general.Refresh()
	d.extensions.Refresh()
	d.chain.Refresh()
}

func copyButton(tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), tapped)
	b.Importance = widget.LowImportance
	return b
}

func withButton(o fyne.CanvasObject, b *widget.Button) fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, b, o)
}

func keyLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
}

func valueLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	return l
}
