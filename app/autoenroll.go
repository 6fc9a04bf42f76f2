package app

import (
	"context"
	"slices"
	"strings"

	"github.com/certdesk/certdesk/store"
)

// AutoEnrollment is one autoenrollment attempt of a pulse. Its JSON form
// is part of "certdesk pulse -json".
type AutoEnrollment struct {
	Server     string  `json:"server"`
	Template   string  `json:"template"`
	Outcome    Outcome `json:"outcome"` // ok, pending or failed
	Thumbprint string  `json:"thumbprint,omitempty"`
	Reason     string  `json:"reason,omitempty"`
}

// autoPrefix marks retry-state keys of autoenrollment (not thumbprints).
const autoPrefix = "auto:"

// autoEnroll does what Windows autoenrollment does for a server with
// autoenrollment on: every template its policy marks for autoenrollment
// (permission autoEnroll) that the context holds no certificate or pending
// request of is enrolled. Only templates whose subject the CA builds
// qualify, since nobody is there to type one. Failures back off like
// renewals, under the key "auto:<server>/<template>". The caller holds the
// lock; es is My as the pulse listed it.
func (c *Core) autoEnroll(ctx context.Context, tx *store.Tx, es []store.Entry, retry map[string]RetryState) ([]AutoEnrollment, error) {
	s := tx.Store()
	servers, err := c.serversOf(s)
	if err != nil {
		return nil, err
	}
	var out []AutoEnrollment
	now := c.clock.Now()
	for _, srv := range servers {
		if !srv.AutoEnroll || !retry[autoPrefix+srv.ID].CanAttempt(now) {
			continue
		}
		fail := func(key, template string, err error) {
			next, _ := retry[key].Failed(now, key, err.Error(), permanent(err), c.backoff)
			retry[key] = next
			out = append(out, AutoEnrollment{Server: srv.ID, Template: template, Outcome: OutcomeFailed, Reason: err.Error()})
		}
		have, err := c.heldTemplates(ctx, s, srv.ID, es)
		if err != nil {
			return nil, err
		}
		cred, err := c.serverCredential(ctx, s, srv, "")
		if err != nil {
			fail(autoPrefix+srv.ID, "", err)
			continue
		}
		pol, err := c.policies(ctx, s, srv, srv.URL, cred, false)
		if err != nil {
			fail(autoPrefix+srv.ID, "", err)
			continue
		}
		delete(retry, autoPrefix+srv.ID)
		for i := range pol.Templates {
			t := &pol.Templates[i]
			key := autoPrefix + srv.ID + "/" + t.CommonName
			// A managed server's templates list is the administrator's
			// choice of what to enroll, in place of the policy's flags.
			chosen := t.AutoEnroll
			if len(srv.Templates) > 0 {
				chosen = slices.Contains(srv.Templates, t.CommonName)
			}
			if !chosen || !t.Usable() || t.Flags.EnrolleeSuppliesSubject || t.Flags.EnrolleeSuppliesSubjectAltName ||
				have[t.CommonName] || !retry[key].CanAttempt(now) {
				continue
			}
			kt, err := chooseKey(t, "")
			if err != nil {
				fail(key, t.CommonName, err)
				continue
			}
			res, err := c.submit(ctx, s, tx, srv, cred, pol, t, kt, EnrollRequest{Context: s.Context(), Server: srv.ID, Template: t.CommonName})
			if err != nil {
				fail(key, t.CommonName, err)
				continue
			}
			delete(retry, key)
			o := AutoEnrollment{Server: srv.ID, Template: t.CommonName, Outcome: OutcomeOK, Thumbprint: res.Thumbprint}
			if res.Status == StatusPending {
				o.Outcome, o.Reason = OutcomePending, "request "+res.RequestID+": "+res.Disposition
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// heldTemplates returns the templates of server id that My (es) or the
// Request store already hold a certificate or request of.
func (c *Core) heldTemplates(ctx context.Context, s *store.Store, id string, es []store.Entry) (map[string]bool, error) {
	reqs, err := s.List(ctx, store.Request, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range append(append([]store.Entry(nil), es...), reqs...) {
		if e.Meta.PolicyServer == id {
			have[e.Meta.TemplateName] = true
		}
	}
	return have, nil
}

// isAutoKey reports whether a retry-state key is autoenrollment's.
func isAutoKey(k string) bool { return strings.HasPrefix(k, autoPrefix) }
