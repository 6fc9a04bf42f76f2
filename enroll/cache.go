package enroll

import (
	"context"
	"time"
)

// DefaultNextUpdate applies when a server sends no nextUpdateHours; it is
// Windows' default.
const DefaultNextUpdate = 8 * time.Hour

// PolicyCache is the policy of one CEP as the caller keeps it between runs.
// It is a plain value that round-trips through encoding/json.
type PolicyCache struct {
	URL      string    `json:"url"`
	Policies *Policies `json:"policies,omitempty"`
	Fetched  time.Time `json:"fetched"` // when the server last answered
}

// Due reports whether the cache should be refreshed at now: it is empty, or
// nextUpdateHours (default 8) have passed since it was fetched.
func (pc PolicyCache) Due(now time.Time) bool {
	if pc.Policies == nil || pc.Fetched.IsZero() {
		return true
	}
	every := DefaultNextUpdate
	if h := pc.Policies.NextUpdateHours; h != nil {
		every = time.Duration(*h) * time.Hour
	}
	return !now.Before(pc.Fetched.Add(every))
}

// RefreshPolicies asks pc.URL for the policy, sending the fetch time as
// lastUpdate; a policiesNotChanged answer keeps the cached templates
// (protocol.md §10.20). It returns the updated cache value.
func (c *Client) RefreshPolicies(ctx context.Context, pc PolicyCache) (PolicyCache, error) {
	var since time.Time
	if pc.Policies != nil {
		since = pc.Fetched
	}
	p, err := c.GetPolicies(ctx, pc.URL, since)
	if err != nil {
		return pc, err
	}
	if p.NotChanged && pc.Policies != nil && (p.PolicyID == "" || p.PolicyID == pc.Policies.PolicyID) {
		kept := *pc.Policies
		if p.NextUpdateHours != nil {
			kept.NextUpdateHours = p.NextUpdateHours
		}
		p = &kept
	}
	p.NotChanged = false // the cached value always holds a full policy
	return PolicyCache{URL: pc.URL, Policies: p, Fetched: c.cfg.now()}, nil
}
