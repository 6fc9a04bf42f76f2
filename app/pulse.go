package app

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// RetryFile is the name of the renewal retry state inside a context's
// state directory: thumbprint → RetryState. It lives beside the history,
// not in the entries, so a failed renewal changes no store file.
const RetryFile = "retry.json"

// PulseReport is what one pulse did. Its JSON form is the stable shape of
// "certdesk pulse -json" (docs/core.md).
type PulseReport struct {
	Context  string           `json:"context"`
	Time     time.Time        `json:"time"`
	Checked  int              `json:"checked"`  // entries of My linked to a policy server
	Due      int              `json:"due"`      // of which due now
	Waiting  int              `json:"waiting"`  // due but backing off, failed permanently, or renewal pending
	Retrying int              `json:"retrying"` // of the waiting: backing off or failed permanently
	Renewals []RenewalOutcome `json:"renewals"`
	Requests []RequestOutcome `json:"requests"`
	// Enrollments are autoenrollments (servers with autoenrollment on).
	Enrollments []AutoEnrollment `json:"enrollments"`
	Failed      int              `json:"failed"` // renewals, polls and enrollments that failed
	// Revoked counts the certificates of My found revoked (revocation.go).
	Revoked int `json:"revoked"`
}

// RenewalOutcome is one renewal attempt of a pulse.
type RenewalOutcome struct {
	Thumbprint    string    `json:"thumbprint"` // the certificate renewed
	Subject       string    `json:"subject"`
	Outcome       Outcome   `json:"outcome"` // ok, pending or failed
	Method        string    `json:"method,omitempty"`
	NewThumbprint string    `json:"newThumbprint,omitempty"`
	NotAfter      time.Time `json:"notAfter,omitzero"` // of the new certificate
	Reason        string    `json:"reason,omitempty"`
	Permanent     bool      `json:"permanent,omitempty"`  // not retried automatically
	NextAttempt   time.Time `json:"nextAttempt,omitzero"` // of a transient failure
	Hooks         []HookRun `json:"hooks,omitempty"`
}

// Pulse checks context cx now (certutil -pulse): under the context lock it
// polls pending requests, then renews every due certificate of My that a
// policy server issued, and records each outcome. Deciding reads only the
// store's index, the cached policies and the retry state, so a pulse with
// nothing to do parses no certificate.
// The lock, taken before anything is read, makes two pulses started
// together renew a certificate once: the second sees the first's result.
func (c *Core) pulse(ctx context.Context, cx store.Context) (*PulseReport, error) {
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return nil, err
	}
	defer tx.Unlock()
	now := c.clock.Now()
	rep := &PulseReport{Context: string(cx), Time: now.UTC(), Renewals: []RenewalOutcome{}, Requests: []RequestOutcome{},
		Enrollments: []AutoEnrollment{}}
	if rep.Requests, err = c.pollAll(ctx, tx); err != nil {
		return nil, err
	}
	if rep.Requests == nil {
		rep.Requests = []RequestOutcome{}
	}
	for _, o := range rep.Requests {
		if o.Outcome == OutcomeFailed {
			rep.Failed++
		}
	}
	pol := c.Settings().RenewalWindow()
	es, retry, renewing, err := dueInputs(ctx, s)
	if err != nil {
		return nil, err
	}
	periods := map[string]map[string]time.Duration{} // server → template → period
	for _, e := range es {
		// A linked entry without its key is still checked: if it is due,
		// pulse says why it cannot renew instead of ignoring it.
		if e.Meta.PolicyServer == "" {
			continue
		}
		rep.Checked++
		v := validityOf(s, periods, e)
		act := dueAction(v, pol, now, renewing[e.Thumbprint], retry[e.Thumbprint])
		if act == "" {
			continue
		}
		rep.Due++
		if act != PlanRenew {
			rep.Waiting++
			if act == PlanRetryWait {
				rep.Retrying++
			}
			continue
		}
		c.publish(cx, Event{Kind: RenewalDue, Thumbprint: e.Thumbprint, Subject: e.Subject, NotAfter: e.NotAfter})
		o := c.renewEntry(ctx, tx, e, retry)
		if o.Outcome == OutcomeFailed {
			rep.Failed++
		}
		rep.Renewals = append(rep.Renewals, o)
	}
	// Revocation is soft-fail: an answer that cannot be had is unknown,
	// and the cached ones cost no network call.
	revoked := map[string]bool{}
	if rs, err := c.checkRevocation(ctx, cx, s, es, false, true, true); err == nil {
		for _, r := range rs {
			if r.Status == RevocationRevoked {
				rep.Revoked++
				revoked[r.Thumbprint] = true
			}
		}
	}
	if !c.Settings().ReenrollRevoked {
		revoked = nil // held by the revoked certificate: reported, not replaced
	}
	auto, err := c.autoEnroll(ctx, tx, withoutRevoked(es, revoked), retry)
	if err != nil {
		return nil, err
	}
	for _, a := range auto {
		if a.Outcome == OutcomeFailed {
			rep.Failed++
		}
		rep.Enrollments = append(rep.Enrollments, a)
	}
	c.retireRevoked(ctx, tx, es, revoked, auto)
	if len(rep.Renewals) > 0 || len(auto) > 0 {
		// Forget the state of certificates that left My (renewed, deleted).
		live := map[string]bool{}
		for _, e := range es {
			live[e.Thumbprint] = true
		}
		for t := range retry {
			if !live[t] && !isAutoKey(t) {
				delete(retry, t)
			}
		}
		if err := writeRetry(s, retry); err != nil {
			return rep, err
		}
	}
	if len(rep.Renewals) == 0 && len(rep.Requests) == 0 && len(auto) == 0 {
		_ = c.record(cx, Record{Action: ActionCheck, Outcome: OutcomeNothingDue})
	}
	return rep, nil
}

// pendingRenewals returns the certificates of My whose renewal waits in
// Request for the CA.
func pendingRenewals(ctx context.Context, s *store.Store) (map[string]bool, error) {
	reqs, err := s.List(ctx, store.Request, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, r := range reqs {
		if old, ok := strings.CutPrefix(r.Meta.FriendlyName, renewalOf); ok {
			m[old] = true
		}
	}
	return m, nil
}

// renewalPeriod returns the template's renewal period from the server's
// cached policy (read once per server per pulse), or 0 for the ratio.
func renewalPeriod(s *store.Store, cache map[string]map[string]time.Duration, m store.Meta) time.Duration {
	byName, ok := cache[m.PolicyServer]
	if !ok {
		byName = map[string]time.Duration{}
		if pc, err := readPolicyCache(s, m.PolicyServer); err == nil && pc.Policies != nil {
			for _, t := range pc.Policies.Templates {
				byName[t.CommonName] = time.Duration(t.RenewalSeconds) * time.Second
			}
		}
		cache[m.PolicyServer] = byName
	}
	return byName[m.TemplateName]
}

// RetryStates returns the renewal retry state of the certificates of cx
// that failed to renew, by thumbprint.
func (c *Core) RetryStates(cx store.Context) (map[string]RetryState, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return readRetry(s)
}

// RenewalStates are the renewal states of the entries of the open store s
// that failed to renew, by thumbprint, in the shape "store list/show
// -json" show as meta.renewal: from the retry state pulse keeps (for
// callers without a Core, the store verbs). Empty when it cannot be read.
func RenewalStates(s *store.Store) map[string]store.RenewalState {
	m, _ := readRetry(s)
	out := make(map[string]store.RenewalState, len(m))
	for k, st := range m {
		out[k] = st.renewalState()
	}
	return out
}

// ResetRetry clears a certificate's failure so the next pulse tries it at
// once (the person asked for a retry, or changed what it depended on).
func (c *Core) ResetRetry(ctx context.Context, cx store.Context, thumbprint string) error {
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return err
	}
	defer tx.Unlock()
	retry, err := readRetry(s)
	if err != nil {
		return err
	}
	if _, ok := retry[thumbprint]; !ok {
		return nil
	}
	retry[thumbprint] = retry[thumbprint].Reset()
	return writeRetry(s, retry)
}

// Retry is what "certdesk pulse -retry" asks before its pulse: every
// backoff and permanent failure of cx is forgotten (the person fixed
// their cause) and the next use of each cached policy is a full fetch.
func (c *Core) Retry(ctx context.Context, cx store.Context) error {
	if err := c.FullPolicyFetch(cx); err != nil {
		return err
	}
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return err
	}
	defer tx.Unlock()
	retry, err := readRetry(s)
	if err != nil || len(retry) == 0 {
		return err
	}
	for k, st := range retry {
		retry[k] = st.Reset()
	}
	return writeRetry(s, retry)
}

func readRetry(s *store.Store) (map[string]RetryState, error) {
	m, err := readConfigMap[RetryState](s.StateDir(), RetryFile)
	var pe *fs.PathError
	if err != nil && !errors.As(err, &pe) {
		return map[string]RetryState{}, nil // a damaged file only loses backoff
	}
	return m, err
}

func writeRetry(s *store.Store, m map[string]RetryState) error {
	return writeConfigMap(s.StateDir(), RetryFile, m)
}

// permanent reports whether a renewal failure will not go away by itself:
// the core's own configuration errors, or what enroll.Permanent calls
// permanent (denials, refused credentials, no endpoint). Servers down,
// timeouts, 5xx answers, CA-side faults and a wrong clock are transient
// and retried with backoff.
func permanent(err error) bool {
	switch {
	case errors.Is(err, ErrNoServer), errors.Is(err, ErrNoPassword), errors.Is(err, errTemplateGone), errors.Is(err, store.ErrNoKey):
		return true
	case errors.As(err, new(*PINError)):
		return true // a guessed retry could only lock the token
	}
	return enroll.Permanent(err)
}
