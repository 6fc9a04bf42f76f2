package app

import (
	"context"
	"time"

	"github.com/certdesk/certdesk/store"
)

// What a pulse does with a certificate of My that is due (PlannedRenewal.Action).
const (
	// PlanRenew: the pulse renews it now.
	PlanRenew = "renew"
	// PlanRetryWait: an earlier renewal failed; the pulse waits for its
	// backoff to end, or for "pulse -retry" after a permanent failure.
	PlanRetryWait = "retry-wait"
	// PlanCAPending: its renewal request waits for the CA's approval.
	PlanCAPending = "ca-pending"
)

// PlannedRenewal is a due certificate and what a pulse would do with it
// now. Its JSON form is the shape of "certdesk pulse -dry-run -json".
type PlannedRenewal struct {
	Thumbprint string    `json:"thumbprint"`
	Subject    string    `json:"subject"`
	NotAfter   time.Time `json:"notAfter"`
	RenewAt    time.Time `json:"renewAt"` // when it became due
	Action     string    `json:"action"`  // renew, retry-wait or ca-pending
	// NextAttempt and LastError are those of a retry-wait; a zero
	// NextAttempt with retry-wait is a permanent failure.
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
}

// dueAction says what a pulse does with entry v now: "" when it is not
// due, else one of the Plan constants. Pulse and PlanPulse share it.
func dueAction(v Validity, pol RenewalWindow, now time.Time, renewing bool, r RetryState) string {
	switch {
	case !NeedsRenewal(v, pol, now):
		return ""
	case renewing:
		return PlanCAPending
	case !r.CanAttempt(now):
		return PlanRetryWait
	}
	return PlanRenew
}

// dueInputs reads what deciding needs: the entries of My, the retry
// state and the certificates whose renewal waits at the CA.
func dueInputs(ctx context.Context, s *store.Store) ([]store.Entry, map[string]RetryState, map[string]bool, error) {
	es, err := s.List(ctx, store.My, store.ListOptions{})
	if err != nil {
		return nil, nil, nil, err
	}
	retry, err := readRetry(s)
	if err != nil {
		return nil, nil, nil, err
	}
	renewing, err := pendingRenewals(ctx, s)
	if err != nil {
		return nil, nil, nil, err
	}
	return es, retry, renewing, nil
}

// PlanPulse returns the due certificates of My of cx and what a pulse
// would do with each now, by the rule the pulse uses (NeedsRenewal, the
// retry state, pending renewals). It sends nothing, writes nothing and
// takes no lock; pending requests and autoenrollment are not planned.
func (c *Core) PlanPulse(ctx context.Context, cx store.Context) ([]PlannedRenewal, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	pol := c.Settings().RenewalWindow()
	es, retry, renewing, err := dueInputs(ctx, s)
	if err != nil {
		return nil, err
	}
	periods := map[string]map[string]time.Duration{}
	out := []PlannedRenewal{}
	for _, e := range es {
		if e.Meta.PolicyServer == "" {
			continue
		}
		v := validityOf(s, periods, e)
		r := retry[e.Thumbprint]
		act := dueAction(v, pol, now, renewing[e.Thumbprint], r)
		if act == "" {
			continue
		}
		p := PlannedRenewal{Thumbprint: e.Thumbprint, Subject: e.Subject, NotAfter: e.NotAfter.UTC(),
			RenewAt: RenewAt(v, pol).UTC(), Action: act}
		if act == PlanRetryWait {
			p.NextAttempt, p.LastError = r.NextAttempt.UTC(), r.LastError
			if r.Permanent {
				p.NextAttempt = time.Time{}
			}
		}
		out = append(out, p)
	}
	return out, nil
}
