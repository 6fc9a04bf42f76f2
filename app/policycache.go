package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// policyCachePath is where the policy of server id is cached: the
// context's state directory, since it can always be fetched again.
func policyCachePath(s *store.Store, id string) (string, error) {
	if err := store.CheckFileName("server id", id); err != nil {
		return "", err
	}
	return filepath.Join(s.StateDir(), "cache", "policy-"+id+".json"), nil
}

// readPolicyCache returns the cached policy of a server, or a zero cache.
// It never goes to the network: pulse decides from it.
func readPolicyCache(s *store.Store, id string) (enroll.PolicyCache, error) {
	var pc enroll.PolicyCache
	path, err := policyCachePath(s, id)
	if err != nil {
		return pc, err
	}
	data, err := atomicfile.ReadOwned(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pc, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &pc)
	}
	if err != nil {
		// A damaged cache is only a cache: fetch it again.
		return enroll.PolicyCache{}, nil
	}
	return pc, nil
}

func writePolicyCache(s *store.Store, id string, pc enroll.PolicyCache) error {
	path, err := policyCachePath(s, id)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(pc)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}

// Policies returns the enrollment policy of server ref in context cx from
// the cache, fetching it when the cache is empty, when nextUpdateHours
// have passed since lastUpdate, or when refresh is set. password, if not
// empty, is used instead of the saved one (and not saved).
func (c *Core) Policies(ctx context.Context, cx store.Context, ref, password string, refresh bool) (*enroll.Policies, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	srv, err := c.Server(cx, ref)
	if err != nil {
		return nil, err
	}
	cred, err := c.serverCredential(ctx, s, srv, password)
	if err != nil {
		return nil, err
	}
	return c.policies(ctx, s, srv, srv.URL, cred, refresh)
}

// policies is Policies for a resolved server, CEP URL and credential.
// The key-based-renewal CEP has its own cache entry.
func (c *Core) policies(ctx context.Context, s *store.Store, srv Server, cepURL string, cred credential, refresh bool) (*enroll.Policies, error) {
	pc, err := c.policyCache(ctx, s, srv, cepURL, cred, refresh)
	return pc.Policies, err
}

// policyCacheID names the cache entry of srv's CEP cepURL.
func policyCacheID(srv Server, cepURL string) string {
	if cepURL != srv.URL {
		return srv.ID + "-kbr"
	}
	return srv.ID
}

// policyCache returns the cache of srv's CEP cepURL, refreshed when due;
// refresh makes it a full fetch (no lastUpdate). An answer without
// templates never replaces a cache that has them: the old policy is kept
// (and stays due, so the next use asks again) and the anomaly is recorded
// in the history.
func (c *Core) policyCache(ctx context.Context, s *store.Store, srv Server, cepURL string, cred credential, refresh bool) (enroll.PolicyCache, error) {
	id := policyCacheID(srv, cepURL)
	pc, err := readPolicyCache(s, id)
	if err != nil {
		return enroll.PolicyCache{}, err
	}
	// A cache for another URL (the server was re-added with a new one) is
	// not this server's policy any more.
	if !refresh && !pc.Due(c.clock.Now()) && pc.URL == cepURL {
		return pc, nil
	}
	if pc.URL != cepURL {
		pc = enroll.PolicyCache{URL: cepURL}
	}
	if refresh {
		pc.FullNext = true
	}
	var npc enroll.PolicyCache
	if srv.isCEP() {
		cl, cerr := c.client(ctx, s, cred)
		if cerr != nil {
			return pc, cerr
		}
		npc, err = cl.RefreshPolicies(ctx, pc)
	} else {
		npc, err = c.offerCache(ctx, s, srv, cred, cepURL)
	}
	if err != nil {
		return pc, fmt.Errorf("get policies from %s: %w", cepURL, err)
	}
	if !npc.HasTemplates() && pc.HasTemplates() {
		how := "an answer to lastUpdate"
		if npc.Full {
			how = "a full fetch"
		}
		_ = c.record(s.Context(), Record{Action: ActionPolicy, Outcome: OutcomeFailed,
			Reason: fmt.Sprintf("policy server %s answered a policy without templates (%s); the cached policy with %d templates is kept", cepURL, how, len(pc.Policies.Templates))})
		// The old policy stays, still due; it confirms nothing (Full
		// false), so a template missing from it is not taken as gone.
		pc.Full = false
		return pc, nil
	}
	if err := writePolicyCache(s, id, npc); err != nil {
		return npc, err
	}
	return npc, nil
}

// FullPolicyFetch makes the next use of every cached policy of context cx
// a full fetch, without lastUpdate ("certdesk pulse -retry").
func (c *Core) FullPolicyFetch(cx store.Context) error {
	s, err := c.Store(cx)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.StateDir(), "cache")
	names, err := filepath.Glob(filepath.Join(dir, "policy-*.json"))
	if err != nil {
		return err
	}
	for _, name := range names {
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "policy-"), ".json")
		pc, err := readPolicyCache(s, id)
		if err != nil || pc.URL == "" {
			continue
		}
		pc.FullNext = true
		if err := writePolicyCache(s, id, pc); err != nil {
			return err
		}
	}
	return nil
}
