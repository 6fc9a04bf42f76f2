package enroll

import (
	"context"
	"time"
)

// DefaultNextUpdate applies when a server sends no nextUpdateHours; it is
// Windows' default.
const DefaultNextUpdate = 8 * time.Hour

// PolicyCacheFormat is the PolicyCache layout RefreshPolicies writes. A cache of
// another format (from an older certdesk, which read a missing
// enrollPermission as false) is due and fetched again in full.
const PolicyCacheFormat = 2

// PolicyCache is the policy of one CEP as the caller keeps it between runs.
// It is a plain value that round-trips through encoding/json.
type PolicyCache struct {
	Format   int       `json:"format,omitempty"`
	URL      string    `json:"url"`
	Policies *Policies `json:"policies,omitempty"`
	Fetched  time.Time `json:"fetched"` // when the server last answered, by our clock
	// LastUpdate is the server's HTTP Date on its last answer, sent back
	// as lastUpdate: the server compares it with its own clock, so ours
	// being off must not make it answer "not changed" (or never).
	// Zero (no Date, or a cache from before) sends Fetched.
	LastUpdate time.Time `json:"lastUpdate,omitzero"`
	// FullNext makes the next refresh a full fetch, without lastUpdate
	// (an explicit refresh, "pulse -retry"); Due reports it due.
	FullNext bool `json:"fullNext,omitempty"`
	// Full: RefreshPolicies just made a full fetch (no lastUpdate sent),
	// so Policies is the server's whole answer, not a "not changed" over
	// the cache. Not saved: a cache read back confirms nothing.
	Full bool `json:"-"`
}

// HasTemplates reports whether the cache holds a policy with templates.
func (pc PolicyCache) HasTemplates() bool {
	return pc.Policies != nil && len(pc.Policies.Templates) > 0
}

// Due reports whether the cache should be refreshed at now: it holds no
// templates, a full fetch was asked for, it was written by an older
// certdesk, or nextUpdateHours (default 8)
// have passed since it was fetched.
func (pc PolicyCache) Due(now time.Time) bool {
	if !pc.HasTemplates() || pc.Fetched.IsZero() || pc.FullNext || pc.Format != PolicyCacheFormat {
		return true
	}
	every := DefaultNextUpdate
	if h := pc.Policies.NextUpdateHours; h != nil {
		every = time.Duration(*h) * time.Hour
	}
	return !now.Before(pc.Fetched.Add(every))
}

// RefreshPolicies asks pc.URL for the policy, sending the server's Date
// of the last answer (LastUpdate) as lastUpdate; a policiesNotChanged
// answer keeps the cached templates ([MS-XCEP] lastUpdate;
// docs/protocol-client.md). Without cached templates, or with
// pc.FullNext, or in an older format, it sends no lastUpdate, so "not changed" can never keep an
// empty cache; a "not changed" naming another policyID is about another
// policy, so the policy is fetched again in full. It returns the updated
// cache value.
func (c *Client) RefreshPolicies(ctx context.Context, pc PolicyCache) (PolicyCache, error) {
	var since time.Time
	if pc.HasTemplates() && !pc.FullNext && pc.Format == PolicyCacheFormat {
		since = pc.LastUpdate
		if since.IsZero() {
			since = pc.Fetched
		}
	}
	p, err := c.GetPolicies(ctx, pc.URL, since)
	if err == nil && p.NotChanged && !since.IsZero() && p.PolicyID != "" && p.PolicyID != pc.Policies.PolicyID {
		since = time.Time{}
		p, err = c.GetPolicies(ctx, pc.URL, since)
	}
	if err != nil {
		return pc, err
	}
	date := p.Date
	if p.NotChanged && pc.Policies != nil && (p.PolicyID == "" || p.PolicyID == pc.Policies.PolicyID) {
		kept := *pc.Policies
		if p.NextUpdateHours != nil {
			kept.NextUpdateHours = p.NextUpdateHours
		}
		p = &kept
	}
	p.NotChanged = false // the cached value always holds a full policy
	return PolicyCache{Format: PolicyCacheFormat, URL: pc.URL, Policies: p, Fetched: c.cfg.now(), LastUpdate: date, Full: since.IsZero()}, nil
}
