package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// policyEnv enrolls a ShortLived certificate (due after 1h) and returns
// the env with the clock past its renewal time and the server's id.
func policyEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, envOpt{ca: longShort})
	e.addServer(t, testca.DefaultPassword) // the pulse fetches the policy with it
	e.enroll(t, testca.TemplateShortLived)
	e.clock.Advance(100 * time.Minute)
	srv, err := e.core.Server(store.User, e.srv.CEPURL())
	if err != nil {
		t.Fatal(err)
	}
	return e, srv.ID
}

// editCache rewrites the cached policy of server id with edit.
func editCache(t *testing.T, e *env, id string, edit func(*enroll.PolicyCache)) {
	t.Helper()
	s, _ := e.core.Store(store.User)
	pc, err := readPolicyCache(s, id)
	if err != nil || pc.Policies == nil {
		t.Fatalf("no cached policy: %v", err)
	}
	edit(&pc)
	if err := writePolicyCache(s, id, pc); err != nil {
		t.Fatal(err)
	}
}

func cachedTemplates(t *testing.T, e *env, id string) int {
	t.Helper()
	s, _ := e.core.Store(store.User)
	pc, err := readPolicyCache(s, id)
	if err != nil || pc.Policies == nil {
		t.Fatalf("no cached policy: %v", err)
	}
	return len(pc.Policies.Templates)
}

func policyAnomalies(t *testing.T, e *env) int {
	n := 0
	for _, r := range e.history(t) {
		if r.Action == ActionPolicy && r.Outcome == OutcomeFailed && strings.Contains(r.Reason, "without templates") {
			n++
		}
	}
	return n
}

// An empty policy answer once, then normal answers: the cached templates
// stay, the history says so, and the renewal goes through.
func TestEmptyPolicyOnceKeepsCache(t *testing.T) {
	e, id := policyEnv(t)
	ctx := context.Background()
	before := cachedTemplates(t, e, id)
	// The cache is due: the pulse asks with lastUpdate.
	editCache(t, e, id, func(pc *enroll.PolicyCache) { pc.Fetched = e.clock.Now().Add(-9 * time.Hour) })
	e.srv.SetEmptyPolicies(testca.EmptyPoliciesOnce)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil {
		t.Fatal(err)
	}
	if got := cachedTemplates(t, e, id); got != before {
		t.Errorf("cache holds %d templates after an empty answer, want %d", got, before)
	}
	if policyAnomalies(t, e) != 1 {
		t.Errorf("the empty answer is not in the history: %+v", e.history(t))
	}
	if len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		// The renewal may only have to wait for the next pulse.
		e.clock.Advance(time.Hour)
		rep, err = e.core.Pulse(ctx, store.User)
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("renewal after an empty answer: %+v", rep.Renewals)
	}
}

// A server answering only empty policies: the renewal is a transient
// failure (retried with backoff), not a permanent one, until a full fetch
// confirms the template is gone.
func TestEmptyPolicyAlwaysNotPermanent(t *testing.T) {
	e, id := policyEnv(t)
	ctx := context.Background()
	// The cache lacks the template (so the renewal needs a fresh policy)
	// and is fresh.
	editCache(t, e, id, func(pc *enroll.PolicyCache) {
		pc.Policies.Templates = slices.DeleteFunc(pc.Policies.Templates, func(t enroll.Template) bool { return t.CommonName == testca.TemplateShortLived })
		pc.Fetched = e.clock.Now()
	})
	e.srv.SetEmptyPolicies(testca.EmptyPoliciesAlways)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeFailed || rep.Renewals[0].Permanent {
		t.Fatalf("empty answers made %+v; want a transient failure", rep.Renewals)
	}
	if cachedTemplates(t, e, id) == 0 {
		t.Error("the empty answer replaced the cached templates")
	}
	full := false
	for _, lu := range e.srv.PolicyRequests() {
		full = full || lu.IsZero()
	}
	if !full {
		t.Error("a missing template was not checked with a full fetch")
	}
	// The template really goes: the next full fetch confirms it.
	e.srv.SetEmptyPolicies(testca.EmptyPoliciesNone)
	e.srv.WithdrawTemplate(testca.TemplateShortLived)
	if err := e.core.FullPolicyFetch(store.User); err != nil {
		t.Fatal(err)
	}
	for k := range mustRetryStates(t, e) {
		if err := e.core.ResetRetry(ctx, store.User, k); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Renewals) != 1 || !rep.Renewals[0].Permanent || !strings.Contains(rep.Renewals[0].Reason, "no longer offers") {
		t.Fatalf("after a full fetch without the template: %+v", rep.Renewals)
	}
	if lu := e.srv.PolicyRequests(); !lu[len(lu)-1].IsZero() {
		t.Errorf("the confirming fetch sent lastUpdate %v", lu[len(lu)-1])
	}
}

func mustRetryStates(t *testing.T, e *env) map[string]RetryState {
	t.Helper()
	m, err := e.core.RetryStates(store.User)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A cached policy without templates (as an empty answer left it before)
// and a server that answers "not changed" to its lastUpdate: the policy is
// fetched in full and the renewal goes through.
func TestNotChangedOverEmptyCacheFetchesInFull(t *testing.T) {
	e, id := policyEnv(t)
	ctx := context.Background()
	editCache(t, e, id, func(pc *enroll.PolicyCache) {
		pc.Policies.Templates = nil
		pc.Fetched = e.clock.Now().Add(-time.Minute) // after the CA's policy time: "not changed" to a lastUpdate
	})
	n := len(e.srv.PolicyRequests())
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("renewal over an empty cache: %+v", rep.Renewals)
	}
	lus := e.srv.PolicyRequests()[n:]
	if len(lus) == 0 || !lus[0].IsZero() {
		t.Errorf("policy requests after the empty cache sent lastUpdate %v; want a full fetch", lus)
	}
	if cachedTemplates(t, e, id) == 0 {
		t.Error("the cache is still empty")
	}
}
