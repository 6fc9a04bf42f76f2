package app

import (
	"hash/fnv"
	"sort"
	"time"

	"github.com/certdesk/certdesk/store"
)

// DefaultRenewalRatio is the fraction of a certificate's lifetime after which
// it is due when its template sets no renewal period (Windows
// autoenrollment's 80%).
const DefaultRenewalRatio = 0.8

// DefaultRenewalJitter is the widest spread of renewal times across a fleet:
// each certificate renews up to this much earlier than its due time, by an
// amount fixed by its thumbprint.
const DefaultRenewalJitter = 6 * time.Hour

// maxJitterShare caps the jitter at this share of the lifetime, so a
// one-hour certificate is not renewed hours early (or at once).
const maxJitterShare = 20

// DefaultNotifyDays returns the days before expiry at which the person is
// told, as absolute days rather than percentages (people read "7 days
// left"). It is a function so no caller can change the default for others.
func DefaultNotifyDays() []int { return []int{30, 14, 7, 1} }

// RenewalWindow is the configurable part of the renewal decision.
type RenewalWindow struct {
	// Ratio of the lifetime after which a certificate without a template
	// renewal period is due; 0 or out of (0,1) means DefaultRenewalRatio.
	Ratio float64
	// Jitter is the widest amount a certificate renews early, spread per
	// thumbprint; 0 disables it.
	Jitter time.Duration
}

// DefaultRenewalWindow returns the policy certdesk uses unless configured.
func DefaultRenewalWindow() RenewalWindow {
	return RenewalWindow{Ratio: DefaultRenewalRatio, Jitter: DefaultRenewalJitter}
}

// Validity is what the renewal decision needs to know about a certificate.
type Validity struct {
	// Thumbprint seeds the jitter, so a certificate's renewal time is the
	// same at every check but differs between certificates.
	Thumbprint string
	// NotBefore and NotAfter are the certificate's validity bounds.
	NotBefore, NotAfter time.Time
	// RenewalPeriod is the template's renewalPeriodSeconds; 0 when none.
	RenewalPeriod time.Duration
}

// RenewAt returns when the certificate becomes due: NotAfter minus the
// template's renewal period, or NotBefore plus Ratio of the lifetime when
// there is none, moved earlier by the certificate's share of the jitter.
// The result is never after NotAfter and never before NotBefore.
func RenewAt(v Validity, p RenewalWindow) time.Time {
	life := v.NotAfter.Sub(v.NotBefore)
	if life <= 0 {
		// A malformed or zero validity: due from the start.
		return v.NotBefore
	}
	var at time.Time
	if v.RenewalPeriod > 0 && v.RenewalPeriod < life {
		at = v.NotAfter.Add(-v.RenewalPeriod)
	} else {
		// No period, or one covering the whole lifetime, which would
		// renew every certificate the moment it is issued, forever.
		r := p.Ratio
		if r <= 0 || r >= 1 {
			r = DefaultRenewalRatio
		}
		at = v.NotBefore.Add(time.Duration(float64(life) * r))
	}
	if j := min(p.Jitter, life/maxJitterShare); j > 0 {
		// Earlier, never later: jitter must not push a renewal past expiry.
		at = at.Add(-time.Duration(seedFraction(v.Thumbprint, 0) * float64(j)))
	}
	if at.Before(v.NotBefore) {
		at = v.NotBefore
	}
	return at
}

// NeedsRenewal reports whether the certificate is due at now. Expired
// certificates are always due.
func NeedsRenewal(v Validity, p RenewalWindow, now time.Time) bool {
	return !now.Before(v.NotAfter) || !now.Before(RenewAt(v, p))
}

// DueTimes returns when each of es, entries of My of cx, becomes due
// (RenewAt with its template's renewal period and the configured window),
// by thumbprint. Entries a pulse does not renew (no policy server: imported
// ones) have none.
func (c *Core) DueTimes(cx store.Context, es []store.Entry) (map[string]time.Time, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	pol := c.Settings().RenewalWindow()
	periods := map[string]map[string]time.Duration{}
	out := map[string]time.Time{}
	for _, e := range es {
		if e.Meta.PolicyServer != "" {
			out[e.Thumbprint] = RenewAt(validityOf(s, periods, e), pol)
		}
	}
	return out, nil
}

// validityOf is what the renewal decision needs of entry e of s, with its
// template's renewal period read through cache (see renewalPeriod).
func validityOf(s *store.Store, cache map[string]map[string]time.Duration, e store.Entry) Validity {
	return Validity{Thumbprint: e.Thumbprint, NotBefore: e.NotBefore, NotAfter: e.NotAfter,
		RenewalPeriod: renewalPeriod(s, cache, e.Meta)}
}

// NotifyWindow returns the smallest of days (e.g. 30, 14, 7, 1) such that the
// certificate expires within that many days of now, and whether there is
// one. An expired certificate is in the smallest window. The caller remembers
// the last window it announced, so each window is announced once.
func NotifyWindow(notAfter, now time.Time, days []int) (window int, ok bool) {
	sorted := append([]int(nil), days...)
	sort.Ints(sorted)
	left := notAfter.Sub(now)
	for _, d := range sorted {
		if d > 0 && left <= time.Duration(d)*24*time.Hour {
			return d, true
		}
	}
	return 0, false
}

// seedFraction maps (seed, n) to a stable number in [0, 1): deterministic
// jitter that spreads a fleet without a random source to inject in tests.
func seedFraction(seed string, n int) float64 {
	h := fnv.New64a()
	h.Write([]byte(seed))
	h.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)})
	return float64(h.Sum64()>>11) / (1 << 53)
}
