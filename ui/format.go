package ui

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// Status is the state of a certificate shown in the browser.
type Status int

// The statuses, in the order the browser sorts them.
const (
	StatusValid Status = iota
	StatusExpiringSoon
	StatusNotYetValid
	StatusExpired
	// StatusRevoked: the last revocation check found it revoked
	// (app.CertStatus), whatever its dates.
	StatusRevoked
	StatusArchived
	// StatusPending: the placeholder of a request the CA has not answered
	// (an entry of Request); pendingText words it.
	StatusPending
)

// String returns the status as shown to the user.
func (s Status) String() string {
	switch s {
	case StatusValid:
		return "Valid"
	case StatusExpiringSoon:
		return "Expiring soon"
	case StatusNotYetValid:
		return "Not yet valid"
	case StatusExpired:
		return "Expired"
	case StatusRevoked:
		return "Revoked"
	case StatusArchived:
		return "Archived"
	case StatusPending:
		return "Pending"
	}
	return "Unknown"
}

// ColorName is the theme colour the status is drawn in.
func (s Status) ColorName() fyne.ThemeColorName {
	switch s {
	case StatusValid:
		return theme.ColorNameSuccess
	case StatusExpiringSoon:
		return theme.ColorNameWarning
	case StatusExpired, StatusRevoked:
		return theme.ColorNameError
	case StatusNotYetValid:
		return theme.ColorNamePrimary
	}
	return theme.ColorNameDisabled
}

// importance maps the status to the label importance with its colour.
func (s Status) importance() widget.Importance {
	switch s {
	case StatusValid:
		return widget.SuccessImportance
	case StatusExpiringSoon:
		return widget.WarningImportance
	case StatusExpired, StatusRevoked:
		return widget.DangerImportance
	case StatusNotYetValid:
		return widget.HighImportance
	case StatusPending:
		return widget.WarningImportance
	}
	return widget.LowImportance
}

// pendingText words a pending request's placeholder: "Pending — request
// 42 at cep.corp.example.com", where the CES it was sent to is polled.
func pendingText(e *store.Entry) string {
	if e.Meta.RequestID == "" {
		return "Pending — offline request"
	}
	s := "Pending — request " + safetext.Escape(e.Meta.RequestID)
	if u, err := url.Parse(e.Meta.PollURL); err == nil && u.Host != "" {
		s += " at " + safetext.Escape(u.Host)
	}
	return s
}

// statusOf returns the status of a certificate valid from notBefore to
// notAfter whose cached revocation status is revocation ("" when never
// checked) at now: archived, else the core's status (app.CertStatus).
func statusOf(notBefore, notAfter time.Time, revocation string, archived bool, now time.Time) Status {
	if archived {
		return StatusArchived
	}
	switch app.CertStatus(notBefore, notAfter, revocation, now) {
	case app.StatusRevoked:
		return StatusRevoked
	case string(store.Expired):
		return StatusExpired
	case string(store.NotYetValid):
		return StatusNotYetValid
	case string(store.Expiring):
		return StatusExpiringSoon
	}
	return StatusValid
}

// commonName returns the name a person recognises a certificate by: the CN,
// else the organisation or unit, else the whole DN; escaped for display
// (safetext.Escape), as everything taken from a certificate is.
func commonName(n pkix.Name) string {
	switch {
	case n.CommonName != "":
		return safetext.Escape(n.CommonName)
	case len(n.Organization) > 0:
		return safetext.Escape(n.Organization[0])
	case len(n.OrganizationalUnit) > 0:
		return safetext.Escape(n.OrganizationalUnit[0])
	}
	return formatDN(n)
}

// formatDN returns a distinguished name in RFC 4514 order with spaces
// after the separators, or "(empty)", escaped for display.
func formatDN(n pkix.Name) string {
	s := n.String()
	if s == "" {
		return "(empty)"
	}
	// Split only on unescaped commas so "O=A\, Inc." stays whole.
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
		} else if s[i] == ',' {
			b.WriteByte(' ')
		}
	}
	return safetext.Escape(b.String())
}

// formatDate formats t in local time to the minute.
func formatDate(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04")
}

// formatExpiry says when notAfter is relative to now: "in 12 days",
// "in 5 hours", "expired 3 days ago".
func formatExpiry(notAfter, now time.Time) string {
	d := notAfter.Sub(now)
	if d >= 0 {
		return "in " + formatSpan(d)
	}
	return "expired " + formatSpan(-d) + " ago"
}

// formatSpan formats a positive duration in whole days, hours or minutes.
func formatSpan(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return "under a minute"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// formatHex returns b as upper-case hex in groups of group bytes separated
// by spaces; group 0 means no grouping.
func formatHex(b []byte, group int) string {
	h := fmt.Sprintf("%X", b)
	if group <= 0 {
		return h
	}
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 * group {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(h[i:min(i+2*group, len(h))])
	}
	return sb.String()
}

// formatKey describes a public key: "RSA 2048", "ECDSA P-256", "Ed25519".
func formatKey(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return "Unknown"
}

// contextLabel is the tree label of a context id: "Machine", "User",
// "App: <id>".
func contextLabel(id store.Context) string {
	if base, ok := nativeBase(id); ok {
		return "System store: " + contextLabel(base)
	}
	switch {
	case id == store.Machine:
		return "Machine"
	case id == store.User:
		return "User"
	case id.AppID() != "":
		return "App: " + id.AppID()
	}
	return string(id)
}

// storeLabel is the display name of a store name.
func storeLabel(name store.Name) string {
	switch name {
	case store.My:
		return "Personal"
	case store.Root:
		return "Trusted Root"
	case store.CA:
		return "Intermediate"
	case store.Request:
		return "Pending Requests"
	}
	return string(name)
}

// formatOID returns "Name (oid)" when the OID has a known name
// (enroll.OIDName), else the OID.
func formatOID(oid string) string {
	if n := enroll.OIDName(oid); n != "" {
		return n + " (" + oid + ")"
	}
	return oid
}

// keyUsageNames is in bit order (x509.KeyUsageDigitalSignature is bit 0).
var keyUsageNames = []string{
	"Digital Signature", "Non-Repudiation", "Key Encipherment", "Data Encipherment",
	"Key Agreement", "Certificate Signing", "CRL Signing", "Encipher Only", "Decipher Only",
}

// formatKeyUsage lists the bits set in ku.
func formatKeyUsage(ku x509.KeyUsage) []string {
	var out []string
	for i, n := range keyUsageNames {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// renewalProblem is what a renewal that did not install a new certificate
// says, or nil when it did.
func renewalProblem(o app.RenewalOutcome) error {
	switch o.Outcome {
	case app.OutcomeOK:
		return nil
	case app.OutcomePending:
		return errors.New("the CA took the renewal request but has not issued the new certificate yet; certdesk installs it when it does")
	}
	if o.Reason == "" {
		return errors.New("the renewal failed")
	}
	return errors.New(o.Reason)
}

// pulseProblem names the first renewal or poll of a check that failed, or
// is nil when none did.
func pulseProblem(r *app.PulseReport) error {
	if r == nil || r.Failed == 0 {
		return nil
	}
	for _, o := range r.Renewals {
		if o.Outcome == app.OutcomeFailed {
			return fmt.Errorf("%d renewals or polls failed; “%s”: %s", r.Failed, app.CommonName(o.Subject), o.Reason)
		}
	}
	for _, o := range r.Requests {
		if o.Outcome == app.OutcomeFailed {
			return fmt.Errorf("%d renewals or polls failed; request %s: %s", r.Failed, o.RequestID, o.Reason)
		}
	}
	return fmt.Errorf("%d renewals or polls failed", r.Failed)
}

// pulseSummary says what a check found and did: "3 certificates checked,
// 1 due; renewed “kiosk01”".
func pulseSummary(r *app.PulseReport) string {
	s := plural(r.Checked, "certificate") + " checked"
	if r.Due == 0 {
		s += ", none due"
	} else {
		s += fmt.Sprintf(", %d due", r.Due)
	}
	var renewed []string
	for _, o := range r.Renewals {
		if o.Outcome == app.OutcomeOK {
			renewed = append(renewed, "“"+safetext.Escape(app.CommonName(o.Subject))+"”")
		}
	}
	if len(renewed) > 0 {
		s += "; renewed " + strings.Join(renewed, ", ")
	}
	if r.Waiting > 0 {
		s += fmt.Sprintf("; %d waiting", r.Waiting)
	}
	if n := len(r.Requests); n > 0 {
		s += "; " + plural(n, "pending request") + " asked"
	}
	for _, o := range r.Requests {
		if o.Outcome == app.OutcomeOK {
			s += "; request " + safetext.Escape(o.RequestID) + " approved: “" + safetext.Escape(app.CommonName(o.Subject)) + "” installed"
		}
	}
	enrolled := 0
	for _, e := range r.Enrollments {
		if e.Outcome == app.OutcomeOK {
			enrolled++
		}
	}
	if enrolled > 0 {
		s += "; " + plural(enrolled, "new certificate") + " enrolled"
	}
	if r.Failed > 0 {
		s += fmt.Sprintf("; %d failed", r.Failed)
	}
	return s
}
