package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/certdesk/certdesk/store"
)

// Level is how much a certificate, or a whole context, needs attention.
// Its numbers are the monitoring-plugin exit codes (Nagios, Icinga,
// Checkmk), so a check can exit with int(level).
type Level int

// The levels, from best to worst.
const (
	LevelOK       Level = 0
	LevelWarning  Level = 1
	LevelCritical Level = 2
	LevelUnknown  Level = 3 // the state could not be read
)

// String returns the plugin word for l: OK, WARNING, CRITICAL or UNKNOWN.
func (l Level) String() string {
	switch l {
	case LevelOK:
		return "OK"
	case LevelWarning:
		return "WARNING"
	case LevelCritical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// MarshalText writes l as its plugin word, the form "status -json" shows.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// DefaultCritDays is how close to expiry a certificate is critical unless
// the caller says otherwise; store.ExpiringWithin is the warning window.
const DefaultCritDays = 7

// RevocationNotChecked is the revocation status of a certificate no check
// has answered for yet, or whose chain names no OCSP responder or CRL:
// nothing is claimed either way (app/revocation.go).
const RevocationNotChecked = "not checked"

// HealthOptions are the thresholds of the health rule.
type HealthOptions struct {
	// Warn and Crit are the windows before NotAfter in which a certificate
	// is WARNING and CRITICAL; a Crit of 0 makes only expired certificates
	// critical.
	Warn, Crit time.Duration
}

// DefaultHealthOptions returns the thresholds the GUI and the metrics
// use, and status unless told otherwise: WARNING within
// store.ExpiringWithin (the "expiring soon" of every view), CRITICAL within
// DefaultCritDays.
func DefaultHealthOptions() HealthOptions {
	return HealthOptions{Warn: store.ExpiringWithin, Crit: DefaultCritDays * 24 * time.Hour}
}

// CertHealth is one certificate of My as the health rule sees it.
type CertHealth struct {
	Store      string    `json:"store"`
	Thumbprint string    `json:"thumbprint"`
	Name       string    `json:"name"` // the subject's CN, else the friendly name, else the subject
	Subject    string    `json:"subject"`
	Template   string    `json:"template,omitempty"`
	NotAfter   time.Time `json:"notAfter"`
	Level      Level     `json:"level"`
	// Reasons say why Level is not OK, worst first; empty when OK.
	Reasons []string `json:"reasons"`
	// KeyStorage is where the private key lives (software, tpm, pkcs11,
	// cng), or "none" for a certificate without one.
	KeyStorage string `json:"keyStorage"`
	// Revocation is the cached revocation status: good, revoked, unknown
	// or RevocationNotChecked.
	Revocation string `json:"revocation"`
	// RenewalFailures counts consecutive failed renewals; Permanent says
	// the last one will not be retried automatically.
	RenewalFailures  int    `json:"renewalFailures"`
	RenewalPermanent bool   `json:"renewalPermanent,omitempty"`
	RenewalError     string `json:"renewalError,omitempty"`
}

// HealthReport is the health of one context. Its JSON form is the stable
// shape of "certdesk status -json" (docs/monitoring.md).
type HealthReport struct {
	Context      string    `json:"context"`
	Time         time.Time `json:"time"`
	Level        Level     `json:"level"`
	WarnDays     float64   `json:"warnDays"`
	CritDays     float64   `json:"critDays"`
	Certificates int       `json:"certificates"`
	Warning      int       `json:"warning"`
	Critical     int       `json:"critical"`
	// Attention lists the certificates that are not OK, worst and soonest
	// first: the ones a summary names.
	Attention []CertHealth `json:"attention"`
	// Entries are every certificate checked, by thumbprint.
	Entries []CertHealth `json:"entries"`
}

// Health applies the health rule to the certificates of My in cx at the
// core's now: CRITICAL when a certificate has expired, ends within o.Crit,
// its renewal failed permanently, or it is revoked; WARNING when one ends
// within o.Warn, its renewal is failing transiently (retried with backoff)
// or its revocation status is unknown; else OK. The
// context's level is its worst certificate's. An error means the store or
// the renewal state could not be read: the caller's UNKNOWN.
// Revocation comes from the answers cached by the last check (pulse,
// "revocation check"): Health makes no network call.
func (c *Core) Health(ctx context.Context, cx store.Context, o HealthOptions) (*HealthReport, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	es, err := s.List(ctx, store.My, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	retry, err := readRetry(s)
	if err != nil {
		return nil, err
	}
	revoc := readRevocation(s)
	now := c.clock.Now()
	rep := &HealthReport{Context: string(cx), Time: now.UTC(), WarnDays: o.Warn.Hours() / 24, CritDays: o.Crit.Hours() / 24,
		Certificates: len(es), Attention: []CertHealth{}, Entries: make([]CertHealth, 0, len(es))}
	for _, e := range es {
		h := certHealth(e, retry[e.Thumbprint], revoc[e.Thumbprint], now, o)
		switch h.Level {
		case LevelWarning:
			rep.Warning++
		case LevelCritical:
			rep.Critical++
		}
		rep.Level = max(rep.Level, h.Level)
		rep.Entries = append(rep.Entries, h)
		if h.Level != LevelOK {
			rep.Attention = append(rep.Attention, h)
		}
	}
	sort.SliceStable(rep.Attention, func(i, j int) bool {
		a, b := rep.Attention[i], rep.Attention[j]
		if a.Level != b.Level {
			return a.Level > b.Level
		}
		return a.NotAfter.Before(b.NotAfter)
	})
	return rep, nil
}

// certHealth is the health rule for one entry.
func certHealth(e store.Entry, r RetryState, rv RevocationResult, now time.Time, o HealthOptions) CertHealth {
	h := CertHealth{Store: string(e.Store), Thumbprint: e.Thumbprint, Name: displayName(e), Subject: e.Subject,
		Template: e.Meta.TemplateName, NotAfter: e.NotAfter, Reasons: []string{}, KeyStorage: "none",
		Revocation: RevocationNotChecked, RenewalFailures: r.Failures, RenewalPermanent: r.Failures > 0 && r.Permanent}
	if e.HasKey {
		h.KeyStorage = e.KeyStorage // software, tpm, pkcs11 or cng
	}
	if r.Failures > 0 {
		h.RenewalError = r.LastError
	}
	if rv.Status != "" {
		rv = rv.current(now)
		h.Revocation = rv.Status
	}
	add := func(l Level, reason string) {
		if l > h.Level {
			h.Reasons = append([]string{reason}, h.Reasons...)
			h.Level = l
		} else {
			h.Reasons = append(h.Reasons, reason)
		}
	}
	left := e.NotAfter.Sub(now)
	switch {
	case left < 0:
		add(LevelCritical, "expired "+span(-left)+" ago")
	case left <= o.Crit:
		add(LevelCritical, "expires in "+span(left))
	case left <= o.Warn:
		add(LevelWarning, "expires in "+span(left))
	}
	switch h.Revocation {
	case RevocationRevoked:
		add(LevelCritical, revokedText(rv))
	case RevocationUnknown:
		add(LevelWarning, "revocation status unknown: "+rv.Reason)
	}
	switch {
	case h.RenewalPermanent:
		add(LevelCritical, "renewal failed and will not be retried: "+r.LastError)
	case r.Failures > 0:
		add(LevelWarning, fmt.Sprintf("renewal failing (%d %s): %s", r.Failures, plural(r.Failures, "attempt"), r.LastError))
	}
	return h
}

// displayName is the name a person knows a certificate by.
func displayName(e store.Entry) string {
	switch {
	case e.SubjectCN != "":
		return e.SubjectCN
	case e.Meta.FriendlyName != "":
		return e.Meta.FriendlyName
	case e.Subject != "":
		return e.Subject
	}
	return e.Thumbprint
}

// span words a duration in whole days, or hours under two days:
// "9 days", "30 hours", "less than an hour".
func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d %s", n, plural(n, "day"))
	case d >= time.Hour:
		n := int(d / time.Hour)
		return fmt.Sprintf("%d %s", n, plural(n, "hour"))
	}
	return "less than an hour"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Headline words the report in a few words, for a status bar or a tray
// tooltip: "No certificates", "All 12 certificates are fine", "2 of 12
// certificates need attention".
func (r *HealthReport) Headline() string {
	n := len(r.Attention)
	switch {
	case r.Certificates == 0:
		return "No certificates"
	case n == 0 && r.Certificates == 1:
		return "The certificate is fine"
	case n == 0:
		return fmt.Sprintf("All %d certificates are fine", r.Certificates)
	}
	verb := "need"
	if n == 1 {
		verb = "needs"
	}
	return fmt.Sprintf("%d of %d %s %s attention", n, r.Certificates, plural(r.Certificates, "certificate"), verb)
}

// Summary is the Headline followed by the first three certificates that
// need attention, quoted, with their worst reason: `1 of 12 certificates
// needs attention: "web01" expires in 9 days`. Names are quoted with Go
// escapes, so a newline or a quote in a subject cannot forge a line.
func (r *HealthReport) Summary() string {
	const named = 3
	s := r.Headline()
	for i, h := range r.Attention[:min(len(r.Attention), named)] {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		s += sep + fmt.Sprintf("%q %s", h.Name, h.Reasons[0])
	}
	if n := len(r.Attention); n > named {
		s += fmt.Sprintf("; and %d more", n-named)
	}
	return s
}
