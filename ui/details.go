package ui

import (
	"cmp"
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

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/pkcs11key"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
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
	// revocation words the revocation status; checkNow (calling onCheck)
	// asks the CA again.
	revocation *widget.Label
	checkNow   *widget.Button
	onCheck    func()
	// onOpen, unless nil, opens a chain element (path: it and its
	// issuers) in a window of its own (certwindow.go).
	onOpen func(path []store.ChainElement)

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
	d.revocation = valueLabel("")
	d.checkNow = widget.NewButtonWithIcon("Check now", theme.ViewRefreshIcon(), func() {
		if d.onCheck != nil {
			d.onCheck()
		}
	})
	d.checkNow.Importance = widget.LowImportance
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

// facts is what the details show of an entry beyond its certificate.
type facts struct {
	// published, unless empty, says where it is published; pending,
	// unless empty, is the status of a pending request's placeholder
	// (pendingText).
	published, pending string
	// revocation is its revocation status (nil: not one of My, whose
	// certificates alone are checked).
	revocation *app.RevocationResult
	// readOnly: the context may not be changed, so its answers cannot be
	// saved and Check now is not offered.
	readOnly bool
	// key, unless empty, says where its private key lives (keyText).
	key string
	// templates names template OIDs, as the entries of the store recorded
	// them (templateNames); the certificate's template extension carries
	// only the OID.
	templates map[string]string
}

// show fills the view with cert and its chain (leaf first) as of now, with
// the facts f.
func (d *details) show(cert *x509.Certificate, chain *store.Chain, now time.Time, f facts) {
	published, pending := f.published, f.pending
	s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	d.sha1, d.sha256 = formatHex(s1[:], 0), formatHex(s256[:], 0)
	revoked := ""
	if f.revocation != nil {
		revoked = f.revocation.Status
	}
	st := statusOf(cert.NotBefore, cert.NotAfter, revoked, false, now)

	status := valueLabel(st.String())
	status.Importance = st.importance()
	if pending != "" {
		status.SetText(pending)
		status.Importance = StatusPending.importance()
	}
	validUntil := formatDate(cert.NotAfter) + " (" + formatExpiry(cert.NotAfter, now) + ")"
	form := []fyne.CanvasObject{
		keyLabel("Issued to"), valueLabel(commonName(cert.Subject)),
		keyLabel("Issued by"), valueLabel(commonName(cert.Issuer)),
		keyLabel("Status"), status,
	}
	if f.revocation != nil {
		d.setRevocation(f.revocation)
		d.checkNow.Hidden = f.readOnly
		form = append(form, keyLabel("Revocation"), withButton(d.revocation, d.checkNow))
	}
	purposes := cmp.Or(strings.Join(purposesOf(cert, enroll.OIDName), ", "), "Unreadable (see Extensions)")
	form = append(form, keyLabel("Intended for"), valueLabel(purposes))
	if name := templateOf(cert, f.templates); name != "" {
		form = append(form, keyLabel("Template"), valueLabel(safetext.Escape(name)))
	}
	if published != "" {
		form = append(form, keyLabel("Published"), valueLabel(published))
	}
	d.general.Objects = []fyne.CanvasObject{container.New(layout.NewFormLayout(), append(form,
		keyLabel("Valid from"), valueLabel(formatDate(cert.NotBefore)),
		keyLabel("Valid until"), valueLabel(validUntil),
		keyLabel("Subject"), valueLabel(formatDN(cert.Subject)),
		keyLabel("Issuer"), valueLabel(formatDN(cert.Issuer)),
		keyLabel("Public key"), valueLabel(formatKey(cert.PublicKey)),
		keyLabel("Signature"), valueLabel(cert.SignatureAlgorithm.String()),
		keyLabel("Serial number"), valueLabel(formatHex(cert.SerialNumber.Bytes(), 1)),
		keyLabel("SHA-1"), withButton(valueLabel(formatHex(s1[:], 2)), d.copySHA1),
		keyLabel("SHA-256"), withButton(valueLabel(formatHex(s256[:], 2)), d.copySHA256),
	)...)}
	if f.key != "" {
		d.general.Objects = append([]fyne.CanvasObject{container.NewBorder(nil, nil, widget.NewIcon(keyIcon), nil,
			valueLabel(haveKeyText+", kept "+f.key+"."))}, d.general.Objects...)
	}

	d.extensions.Objects = nil
	for _, ext := range cert.Extensions {
		title, lines := describeExtension(cert, ext, f.templates)
		heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		for i := range lines {
			lines[i] = safetext.Escape(lines[i]) // names, URLs and policies come from the certificate
		}
		d.extensions.Add(tight(heading, valueLabel(strings.Join(lines, "\n"))))
		d.extensions.Add(widget.NewSeparator())
	}
	if len(cert.Extensions) == 0 {
		d.extensions.Add(widget.NewLabel("This certificate has no extensions."))
	}

	d.chain.Objects = nil
	switch {
	case chain == nil || len(chain.Elements) == 0:
		d.chain.Add(valueLabel("The chain of this certificate could not be built."))
	case chain.Valid:
		d.chain.Add(valueLabel("The chain is valid and ends in a trusted root."))
	default:
		l := valueLabel("The chain is not valid.")
		l.Importance = widget.DangerImportance
		d.chain.Add(l)
	}
	if chain != nil && chain.Error != "" {
		d.chain.Add(valueLabel(safetext.Escape(chain.Error)))
	}
	d.chain.Add(widget.NewSeparator())
	if chain != nil {
		// Root first, as certificate tools usually draw the path.
		for i := len(chain.Elements) - 1; i >= 0; i-- {
			d.chain.Add(d.openable(chainRow(chain.Elements[i], len(chain.Elements)-1-i, i == 0), chain.Elements[i:]))
		}
	}

	d.empty.Hide()
	d.tabs.Show()
	d.general.Refresh()
	d.extensions.Refresh()
	d.chain.Refresh()
}

// setRevocation shows the revocation status r.
func (d *details) setRevocation(r *app.RevocationResult) {
	d.revocation.Importance = widget.MediumImportance
	switch r.Status {
	case app.RevocationGood:
		d.revocation.Importance = widget.SuccessImportance
	case app.RevocationRevoked:
		d.revocation.Importance = widget.DangerImportance
	case app.RevocationUnknown:
		d.revocation.Importance = widget.WarningImportance
	}
	d.revocation.SetText(revocationText(r))
	d.checkNow.Enable()
}

// checking shows that the revocation status is being asked for.
func (d *details) checking() {
	d.revocation.Importance = widget.LowImportance
	d.revocation.SetText("Checking…")
	d.checkNow.Disable()
}

// revocationText words a revocation status: "Good (checked 2026-11-25
// 12:00)", "Revoked (keyCompromise, 2026-11-20 09:00)", "Unknown (why)"
// or "Not checked".
func revocationText(r *app.RevocationResult) string {
	var s string
	var in []string
	switch r.Status {
	case app.RevocationGood:
		s = "Good"
		if !r.CheckedAt.IsZero() {
			in = append(in, "checked "+formatDate(r.CheckedAt))
		}
	case app.RevocationRevoked:
		s = "Revoked"
		if r.Reason != "" {
			in = append(in, safetext.Escape(r.Reason))
		}
		if !r.RevokedAt.IsZero() {
			in = append(in, formatDate(r.RevokedAt))
		}
	case app.RevocationUnknown:
		s = "Unknown"
		if r.Reason != "" {
			in = append(in, safetext.Escape(r.Reason))
		}
	default:
		return "Not checked"
	}
	if len(in) > 0 {
		s += " (" + strings.Join(in, ", ") + ")"
	}
	return s
}

// haveKeyText starts the General line of an entry with its private key,
// in the words Windows' certificate dialog uses.
const haveKeyText = "You have a private key that corresponds to this certificate"

// templateOf names the template cert was issued from: the name it
// carries (1.3.6.1.4.1.311.20.2), else the name names gives its template
// OID (1.3.6.1.4.1.311.21.7), else that OID; "" when it carries neither.
func templateOf(cert *x509.Certificate, names map[string]string) string {
	name, oid := store.CertificateTemplate(cert)
	if name != "" {
		return name
	}
	if n := names[oid]; n != "" {
		return n
	}
	return oid
}

// templateNames maps the template OIDs of entries to the template names
// they were enrolled with (store.Meta's TemplateOID and TemplateName).
func templateNames(entries []row) map[string]string {
	names := map[string]string{}
	for _, r := range entries {
		if m := r.Meta; m.TemplateOID != "" && m.TemplateName != "" {
			names[m.TemplateOID] = m.TemplateName
		}
	}
	return names
}

// keyPlace says where a private key with meta m lives: "in this device's
// software store", "on token LABEL", "in the TPM".
func keyPlace(m store.Meta) string {
	switch m.KeyStorage {
	case store.KeyTPM:
		return "in the TPM"
	case store.KeyPKCS11:
		if r, err := pkcs11key.ParseRef(m.KeyRef); err == nil {
			return "on token " + safetext.Escape(r.Token)
		}
		return "on a token"
	case store.KeyCNG:
		return "in a Windows CNG provider"
	}
	return "in this device's software store"
}

// keyText is the Private key line of an entry with meta m: its place, and
// whether it may leave.
func keyText(m store.Meta) string {
	if !m.KeyExportable() {
		return keyPlace(m) + " (not exportable)"
	}
	return keyPlace(m)
}

// chainRow is one chain element, indented by its depth below the root.
func chainRow(el store.ChainElement, depth int, leaf bool) fyne.CanvasObject {
	var icon fyne.Resource = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	verdict := valueLabel(chainStatus(el.Status))
	if el.Status != "ok" {
		icon = theme.NewErrorThemedResource(theme.ErrorIcon())
		verdict.Importance = widget.DangerImportance
	}
	name := "(no subject)"
	if el.Certificate != nil {
		name = commonName(el.Certificate.Subject)
	}
	title := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	text := tight(title, verdict)
	if !leaf { // the leaf is the certificate shown, from the store shown
		source := valueLabel("From " + chainSource(el.Source))
		source.Importance = widget.LowImportance
		text.Add(source)
	}
	pad := container.NewGridWrap(fyne.NewSize(float32(depth)*theme.IconInlineSize()*1.5, 1), layout.NewSpacer())
	return container.NewBorder(nil, nil, container.NewHBox(pad, widget.NewIcon(icon)), nil, text)
}

// tight stacks labels closer than a VBox does, so a title and its value
// read as one item.
func tight(objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), objects...)
}

// chainStatus turns a store.ChainElement status into a sentence.
func chainStatus(s string) string {
	switch s {
	case "ok":
		return "Valid"
	case "expired":
		return "This certificate has expired."
	case "not yet valid":
		return "This certificate is not valid yet."
	case "issuer not found":
		return "Its issuer was not found in any store."
	case "untrusted root":
		return "This root is not trusted: it is not in Trusted Root."
	}
	return s
}

// chainSource names where a chain element was found.
func chainSource(src string) string {
	if src == "system" {
		return "the system's trusted roots"
	}
	return storeLabel(store.Name(src))
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

// publicationText says where an entry is published in the core's words
// (app.Publication.Summary, as "certdesk store show" says it), "" when
// nowhere.
func publicationText(p app.Publication, err error) string {
	if err != nil {
		return "unknown (" + safetext.Escape(err.Error()) + ")"
	}
	return safetext.Escape(p.Summary())
}

// publicationOf returns where entry thumbprint of store n of context c is
// published, as the core recorded it.
func publicationOf(p Publisher, c store.Context, n store.Name, thumbprint string) (app.Publication, error) {
	all, err := p.Published(c)
	if err != nil {
		return app.Publication{}, err
	}
	if pub, ok := all[thumbprint]; ok && pub.Store == n {
		return pub, nil
	}
	return app.Publication{}, nil
}
