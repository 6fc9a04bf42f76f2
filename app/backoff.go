package app

import (
	"time"

	"github.com/certdesk/certdesk/store"
)

// Defaults of the retry backoff after a transient renewal failure.
const (
	// DefaultBackoffBase is the wait after the first failure.
	DefaultBackoffBase = 5 * time.Minute
	// DefaultBackoffMax caps the doubling: a certificate is retried at
	// least this often while it keeps failing transiently (Windows
	// autoenrollment's 8-hour rhythm).
	DefaultBackoffMax = 8 * time.Hour
	// DefaultBackoffJitter is the share of each wait that is spread per
	// certificate, so a fleet that failed together does not retry together.
	DefaultBackoffJitter = 0.2
)

// Backoff is the retry policy for transient failures.
type Backoff struct {
	Base, Max time.Duration
	// Jitter in [0, 1]: each wait is shortened by up to this share.
	Jitter float64
}

// DefaultBackoff returns the policy used unless configured: 5 minutes
// doubling to 8 hours, 20% jitter.
func DefaultBackoff() Backoff {
	return Backoff{Base: DefaultBackoffBase, Max: DefaultBackoffMax, Jitter: DefaultBackoffJitter}
}

// Delay returns the wait after the n-th consecutive failure (n ≥ 1) of the
// certificate identified by seed. It is deterministic in (seed, n), never
// longer than Max and never shorter than (1-Jitter) of the undelayed wait.
func (b Backoff) Delay(seed string, n int) time.Duration {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max < b.Base {
		b.Max = max(b.Base, DefaultBackoffMax)
	}
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		d -= time.Duration(j * seedFraction(seed, n) * float64(d))
	}
	return d
}

// RetryState is a certificate's renewal retry bookkeeping. It is a plain
// value, stored with the entry's metadata between pulses; the methods return
// a new state and never touch the clock.
type RetryState struct {
	Failures    int       `json:"failures,omitempty"`
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	// Permanent is set after a failure that retrying cannot fix (a denied
	// request, a template that no longer exists); no automatic retry
	// happens until Reset.
	Permanent bool `json:"permanent,omitempty"`
}

// renewalState is s in the shape of an entry's meta.renewal.
func (s RetryState) renewalState() store.RenewalState {
	return store.RenewalState{LastAttempt: s.LastAttempt, Failures: s.Failures, NextAttempt: s.NextAttempt,
		LastError: s.LastError, Permanent: s.Permanent}
}

// CanAttempt reports whether an automatic renewal may run at now.
func (s RetryState) CanAttempt(now time.Time) bool {
	return !s.Permanent && !now.Before(s.NextAttempt)
}

// Failed records a failure at now. A transient failure schedules the next
// attempt with b; a permanent one stops automatic retries. report tells the
// caller whether to tell the person: always for a transient failure, but a
// permanent failure only once for the same error.
func (s RetryState) Failed(now time.Time, seed, msg string, permanent bool, b Backoff) (next RetryState, report bool) {
	report = !(permanent && s.Permanent && s.LastError == msg)
	next = RetryState{
		Failures:    s.Failures + 1,
		LastAttempt: now,
		LastError:   msg,
		Permanent:   permanent,
	}
	if !permanent {
		next.NextAttempt = now.Add(b.Delay(seed, next.Failures))
	}
	return next, report
}

// Succeeded returns the state after a successful attempt: nothing pending.
func (s RetryState) Succeeded() RetryState { return RetryState{} }

// Reset clears a failure so the next pulse tries again at once. Call it when
// the person asks for a retry, or when something the failure depended on
// changed (credential, policy server, template).
func (s RetryState) Reset() RetryState {
	s.Permanent = false
	s.NextAttempt = time.Time{}
	return s
}
