package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/internal/revocation"
	"github.com/certdesk/certdesk/store"
)

// The revocation statuses of a certificate of My (DESIGN.md); besides
// them, RevocationNotChecked.
const (
	RevocationGood    = string(revocation.StatusGood)
	RevocationRevoked = string(revocation.StatusRevoked)
	RevocationUnknown = string(revocation.StatusUnknown)
)

// ActionRevocation is the history action of a certificate found revoked
// (outcome failed, the reason saying why).
const ActionRevocation Action = "revocation"

// RevocationFile is the name of the revocation answers inside a context's
// state directory (revocationFile). CRLs are kept beside it in
// RevocationCRLDir.
const (
	RevocationFile   = "revocation.json"
	RevocationCRLDir = "crl"
)

// RevocationRetry is how long an unknown answer is kept before a pulse
// asks again: a dead responder is not asked by every pulse of every
// certificate.
const RevocationRetry = time.Hour

// RevocationResult is the revocation status of one certificate and of its
// chain. Its JSON form is the stable shape of "certdesk revocation check
// -json" (docs/monitoring.md).
type RevocationResult struct {
	Thumbprint string `json:"thumbprint,omitempty"`
	Subject    string `json:"subject,omitempty"`
	// Status is good, revoked or unknown, or RevocationNotChecked when
	// neither the certificate nor its chain names an OCSP responder or a
	// CRL, or no check has run yet.
	Status string `json:"status"`
	// Reason is the CRL reason of a revocation, or why the status is
	// unknown.
	Reason    string    `json:"reason,omitempty"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	CheckedAt time.Time `json:"checkedAt,omitzero"`
	// NextUpdate is when the answer stops being believed; a revoked
	// status is kept regardless.
	NextUpdate time.Time `json:"nextUpdate,omitzero"`
	// Chain is the answer for each certificate checked, leaf first, the
	// root excluded.
	Chain []ChainRevocation `json:"chain,omitempty"`
}

// ChainRevocation is the answer for one certificate of a chain.
type ChainRevocation struct {
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	revocation.Answer
}

// current returns r as it stands at now: a good or unknown answer past
// its NextUpdate is unknown, a revoked one stays revoked.
func (r RevocationResult) current(now time.Time) RevocationResult {
	if r.Status != RevocationRevoked && !r.NextUpdate.IsZero() && now.After(r.NextUpdate) {
		r.Status, r.Reason = RevocationUnknown, "the last answer expired at "+r.NextUpdate.UTC().Format(time.RFC3339)
	}
	return r
}

// fresh reports whether r needs no new check at now. A chain that names
// no source is not asked again (but by "revocation check").
func (r RevocationResult) fresh(now time.Time) bool {
	return r.Status == RevocationRevoked || r.Status == RevocationNotChecked || now.Before(r.NextUpdate)
}

// revocationFile is the form of RevocationFile. The certificates whose
// chain names no source are a list of thumbprints, not objects: they can
// be most of a large store, and every status reads the file. A CA's answer
// is the same in the chain of every certificate it issued: it is kept once
// in CAs, and the chains name it by thumbprint.
type revocationFile struct {
	Answers  map[string]fileResult      `json:"answers"` // thumbprint → answer, without thumbprint and subject
	NoSource []string                   `json:"noSource"`
	CAs      map[string]ChainRevocation `json:"cas,omitempty"`
}

// fileResult is a RevocationResult in the file, without thumbprint and
// subject, its chain in the file's form.
type fileResult struct {
	RevocationResult
	Chain []fileChain `json:"chain,omitempty"`
}

// fileChain is a ChainRevocation in the file: either CA, the thumbprint
// of an answer in revocationFile.CAs, or the answer itself, whose
// thumbprint is omitted when it is the certificate's own. Files written
// before CAs existed hold every answer whole, and read the same.
type fileChain struct {
	CA         string `json:"ca,omitempty"`
	Thumbprint string `json:"thumbprint,omitempty"`
	Subject    string `json:"subject,omitempty"`
	*revocation.Answer
}

// readRevocation reads the cached answers of s; a damaged file only costs
// new checks, and so does an answer naming a CA answer the file lacks.
func readRevocation(s *store.Store) map[string]RevocationResult {
	return readAnswers(s, true)
}

// readAnswers is readRevocation, without the chains unless chains: they
// are most of the file, and a pulse whose answers are all current needs
// none of them.
func readAnswers(s *store.Store, chains bool) map[string]RevocationResult {
	var f struct {
		Answers map[string]struct {
			fileResult
			Chain json.RawMessage `json:"chain,omitempty"`
		} `json:"answers"`
		NoSource []string                   `json:"noSource"`
		CAs      map[string]ChainRevocation `json:"cas,omitempty"`
	}
	data, err := atomicfile.ReadOwned(filepath.Join(s.StateDir(), RevocationFile))
	if err != nil || json.Unmarshal(data, &f) != nil {
		return map[string]RevocationResult{}
	}
	m := make(map[string]RevocationResult, len(f.Answers)+len(f.NoSource))
answers:
	for k, fr := range f.Answers {
		r := fr.RevocationResult
		r.Thumbprint, r.Chain = k, nil
		var fc []fileChain
		if chains && len(fr.Chain) > 0 && json.Unmarshal(fr.Chain, &fc) != nil {
			continue
		}
		if len(fc) > 0 {
			r.Chain = make([]ChainRevocation, len(fc))
		}
		for i, c := range fc {
			switch {
			case c.CA != "":
				a, ok := f.CAs[c.CA]
				if !ok {
					continue answers
				}
				r.Chain[i] = a
			case c.Answer == nil:
				continue answers
			default:
				r.Chain[i] = ChainRevocation{Thumbprint: cmp.Or(c.Thumbprint, k), Subject: c.Subject, Answer: *c.Answer}
			}
		}
		m[k] = r
	}
	for _, k := range f.NoSource {
		m[k] = RevocationResult{Thumbprint: k, Status: RevocationNotChecked}
	}
	return m
}

// cachedOnly reports whether a check of es against cache would ask
// nothing and change nothing (with all, es is the whole of My).
func cachedOnly(cache map[string]RevocationResult, es []store.Entry, now time.Time, all bool) bool {
	for _, e := range es {
		if r, ok := cache[e.Thumbprint]; !ok || !r.fresh(now) {
			return false
		}
	}
	return !all || len(cache) <= len(es)
}

// writeRevocation saves the answers atomically, compact: a CA's answer is
// written once, unless two passes left different answers about it (then
// the others are written whole).
func writeRevocation(s *store.Store, m map[string]RevocationResult) error {
	f := revocationFile{Answers: map[string]fileResult{}, NoSource: []string{}, CAs: map[string]ChainRevocation{}}
	for k, r := range m {
		if r.Status == RevocationNotChecked {
			f.NoSource = append(f.NoSource, k)
			continue
		}
		fr := fileResult{RevocationResult: r}
		fr.Thumbprint, fr.Subject, fr.RevocationResult.Chain = "", "", nil
		if len(r.Chain) > 0 {
			fr.Chain = make([]fileChain, len(r.Chain))
		}
		for i, a := range r.Chain {
			if a.Thumbprint == k {
				fr.Chain[i] = fileChain{Subject: a.Subject, Answer: &a.Answer}
				continue
			}
			if ca, ok := f.CAs[a.Thumbprint]; !ok {
				f.CAs[a.Thumbprint] = a
			} else if ca != a {
				fr.Chain[i] = fileChain{Thumbprint: a.Thumbprint, Subject: a.Subject, Answer: &a.Answer}
				continue
			}
			fr.Chain[i] = fileChain{CA: a.Thumbprint}
		}
		f.Answers[k] = fr
	}
	slices.Sort(f.NoSource)
	data, err := json.Marshal(f)
	if err == nil {
		if err = os.MkdirAll(s.StateDir(), 0o700); err == nil {
			err = atomicfile.Write(filepath.Join(s.StateDir(), RevocationFile), data, 0o600)
		}
	}
	if err != nil {
		return fmt.Errorf("save revocation answers: %w", err)
	}
	return nil
}

// RevocationStatuses returns the cached revocation status of the
// certificates of My in cx at the core's now, by thumbprint, without a
// network call; a certificate absent from the map was never checked.
func (c *Core) RevocationStatuses(cx store.Context) (map[string]RevocationResult, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return ReadRevocation(s, c.clock.Now()), nil
}

// ReadRevocation is RevocationStatuses for an open store at now, for
// callers without a Core (the store verbs of the command line).
func ReadRevocation(s *store.Store, now time.Time) map[string]RevocationResult {
	m := readRevocation(s)
	for k, r := range m {
		m[k] = r.current(now)
	}
	return m
}

// Revocation returns the revocation status of certificate thumbprint of My
// in cx: the cached answer while it is current, else (or with refresh)
// a new check over the network, which is then cached. A status that could
// not be had is RevocationUnknown, never an error; errors are about the
// store.
func (c *Core) Revocation(ctx context.Context, cx store.Context, thumbprint string, refresh bool) (*RevocationResult, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	e, err := s.Get(ctx, store.My, thumbprint)
	if err != nil {
		return nil, err
	}
	rs, err := c.checkRevocation(ctx, cx, s, []store.Entry{e}, refresh, false, false)
	if err != nil {
		return nil, err
	}
	return &rs[0], nil
}

// CheckRevocation is Revocation for every certificate of My in cx (not
// archived), in the store's order.
func (c *Core) CheckRevocation(ctx context.Context, cx store.Context, refresh bool) ([]RevocationResult, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	es, err := s.List(ctx, store.My, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	return c.checkRevocation(ctx, cx, s, es, refresh, true, false)
}

// checkRevocation checks es, asking the network only for those without a
// current cached answer (or all, with refresh), writes the cache back
// when it changed, and records each newly revoked certificate in the
// history. With all, es is the whole of My: answers about certificates
// that left it (renewed, deleted) are dropped. With lean the caller needs
// no chains: while every answer is cached and current, none is decoded. Concurrent checks in several processes each write whole files;
// the last one wins, and a lost answer only costs a new check.
func (c *Core) checkRevocation(ctx context.Context, cx store.Context, s *store.Store, es []store.Entry, refresh, all, lean bool) ([]RevocationResult, error) {
	now := c.clock.Now()
	cache := readAnswers(s, !lean || refresh)
	if lean && !refresh && !cachedOnly(cache, es, now, all) {
		cache = readRevocation(s)
	}
	chk := &revocationCheck{core: c, s: s, now: now, checker: &revocation.Checker{Now: c.clock.Now,
		CRLs: crlDir(filepath.Join(s.StateDir(), RevocationCRLDir))}, cache: cache}
	out := make([]RevocationResult, 0, len(es))
	changed := false
	for _, e := range es {
		old, ok := cache[e.Thumbprint]
		if ok && !refresh && old.fresh(now) {
			old.Subject = e.Subject
			out = append(out, old.current(now))
			continue
		}
		r, err := chk.entry(ctx, e)
		if err != nil {
			return nil, err
		}
		if r.Status == RevocationRevoked && old.Status != RevocationRevoked {
			_ = c.record(cx, Record{Time: now, Context: string(cx), Thumbprint: e.Thumbprint, Subject: e.Subject,
				Action: ActionRevocation, Outcome: OutcomeFailed, Reason: revokedText(r)})
		}
		cache[e.Thumbprint], changed = r, true
		out = append(out, r)
	}
	if all && len(cache) > len(es) {
		live := make(map[string]bool, len(es))
		for _, e := range es {
			live[e.Thumbprint] = true
		}
		for k := range cache {
			if !live[k] {
				delete(cache, k)
				changed = true
			}
		}
	}
	if changed {
		if err := writeRevocation(s, cache); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// withoutRevoked is es less the revoked certificates, for autoenrollment:
// a template held only by a revoked certificate is not held, so pulse
// enrolls a replacement (a new key, a PKCS#10 request: the revoked
// certificate vouches for nothing).
func withoutRevoked(es []store.Entry, revoked map[string]bool) []store.Entry {
	if len(revoked) == 0 {
		return es
	}
	out := make([]store.Entry, 0, len(es))
	for _, e := range es {
		if !revoked[e.Thumbprint] {
			out = append(out, e)
		}
	}
	return out
}

// retireRevoked archives each revoked certificate that an autoenrollment
// of this pulse replaced (same server and template, issued, not pending),
// and records it. A revoked certificate whose replacement failed or waits
// for the CA stays, CRITICAL.
func (c *Core) retireRevoked(ctx context.Context, tx *store.Tx, es []store.Entry, revoked map[string]bool, auto []AutoEnrollment) {
	cx := tx.Store().Context()
	for _, a := range auto {
		if a.Outcome != OutcomeOK {
			continue
		}
		for _, e := range es {
			if !revoked[e.Thumbprint] || e.Meta.PolicyServer != a.Server || e.Meta.TemplateName != a.Template {
				continue
			}
			if err := tx.Delete(ctx, store.My, e.Thumbprint); err != nil {
				continue
			}
			_ = c.record(cx, Record{Time: c.clock.Now(), Context: string(cx), Thumbprint: e.Thumbprint, Subject: e.Subject,
				Action: ActionRevocation, Outcome: OutcomeOK, Reason: "revoked; replaced by " + a.Thumbprint + " (a new key) and archived"})
			c.publish(cx, Event{Kind: StoreChanged, Store: string(store.My), Thumbprint: e.Thumbprint})
		}
	}
}

// revokedText words a revocation for history and status: "revoked
// (keyCompromise) on 2026-12-03", naming the CA when it is not the leaf.
func revokedText(r RevocationResult) string {
	s := "revoked"
	if r.Reason != "" {
		s += " (" + r.Reason + ")"
	}
	if !r.RevokedAt.IsZero() {
		s += " on " + r.RevokedAt.UTC().Format("2006-01-02")
	}
	for i, a := range r.Chain {
		if i > 0 && a.Status == revocation.StatusRevoked {
			s += ": its CA " + a.Subject + " is revoked"
			break
		}
	}
	return s
}

// revocationCheck is one pass of checks: the chain sets, loaded once, and
// the answers already had for CA certificates, shared by their leaves.
type revocationCheck struct {
	core    *Core
	s       *store.Store
	now     time.Time
	checker *revocation.Checker
	sets    []store.ChainSet
	loaded  bool
	cache   map[string]RevocationResult  // the cached answers at the start of the pass
	seen    map[string]revocation.Answer // thumbprint → newest answer, for replay checks (seenAnswers)
	cas     map[string]ChainRevocation   // CA thumbprint → answer of this pass
}

// seenAnswers fills seen from the cached answers, once per pass, when a
// certificate is first asked about: a pass that only reads the cache needs
// none.
func (k *revocationCheck) seenAnswers() {
	if k.seen != nil {
		return
	}
	k.seen = map[string]revocation.Answer{}
	for _, r := range k.cache {
		for _, a := range r.Chain {
			// Only OCSP answers: a CRL may be newer than what a responder
			// serves from its own cache, which is no replay.
			if a.Source == "ocsp" && a.ThisUpdate.After(k.seen[a.Thumbprint].ThisUpdate) {
				k.seen[a.Thumbprint] = a.Answer
			}
		}
	}
}

// chainSets loads the context's Root and CA stores once per pass.
func (k *revocationCheck) chainSets(ctx context.Context) ([]store.ChainSet, error) {
	if k.loaded {
		return k.sets, nil
	}
	sets, err := k.s.ChainSets(ctx, store.My)
	if err != nil {
		return nil, err
	}
	k.sets, k.loaded, k.cas = sets, true, map[string]ChainRevocation{}
	return k.sets, nil
}

// entry checks one certificate and its chain up to, not including, the
// root: the worst answer wins (revoked, then unknown, then good).
func (k *revocationCheck) entry(ctx context.Context, e store.Entry) (RevocationResult, error) {
	if e.Certificate == nil {
		ge, err := k.s.Get(ctx, store.My, e.Thumbprint)
		if err != nil {
			return RevocationResult{}, err
		}
		e = ge
	}
	r := RevocationResult{Thumbprint: e.Thumbprint, Subject: e.Subject, Status: RevocationNotChecked, CheckedAt: k.now.UTC()}
	k.seenAnswers()
	sets, err := k.chainSets(ctx)
	if err != nil {
		return r, err
	}
	path := store.BuildChain(e.Certificate, k.now, sets...).Elements
	asked := false
	for i, el := range path {
		if el.Certificate.CheckSignatureFrom(el.Certificate) == nil {
			break // a root: nothing above it could revoke it
		}
		if a, ok := k.cas[el.Thumbprint]; ok && i > 0 {
			r.Chain = append(r.Chain, a)
			asked = asked || a.Status != RevocationNotChecked
			continue
		}
		var a revocation.Answer
		named := true
		if i+1 >= len(path) {
			a = revocation.Answer{Status: revocation.StatusUnknown, Reason: "the issuer's certificate is not in the stores"}
			named = len(el.Certificate.OCSPServer)+len(el.Certificate.CRLDistributionPoints) > 0
		} else {
			a, named = k.checker.Check(ctx, el.Certificate, path[i+1].Certificate, k.seen[el.Thumbprint].ThisUpdate)
		}
		cr := ChainRevocation{Thumbprint: el.Thumbprint, Subject: el.Subject, Answer: a}
		if !named {
			// Nothing to ask: this certificate adds nothing to the status.
			cr.Answer = revocation.Answer{Status: RevocationNotChecked, Reason: "names no http(s) OCSP responder or CRL"}
		}
		if i > 0 {
			k.cas[el.Thumbprint] = cr
		}
		asked = asked || named
		r.Chain = append(r.Chain, cr)
	}
	if !asked {
		r.Chain = nil
		return r, nil
	}
	r.Status = RevocationGood
	for _, a := range r.Chain {
		switch {
		case a.Status == revocation.StatusRevoked && r.Status != RevocationRevoked:
			r.Status, r.Reason, r.RevokedAt = RevocationRevoked, a.Reason, a.RevokedAt
		case a.Status == revocation.StatusUnknown && r.Status == RevocationGood:
			r.Status, r.Reason = RevocationUnknown, a.Reason
		}
		if !a.NextUpdate.IsZero() && (r.NextUpdate.IsZero() || a.NextUpdate.Before(r.NextUpdate)) {
			r.NextUpdate = a.NextUpdate
		}
	}
	if r.Status == RevocationUnknown {
		r.NextUpdate = k.now.Add(RevocationRetry)
	}
	return r, nil
}

// crlDir keeps CRLs as files named by the SHA-256 of their URL.
type crlDir string

func (d crlDir) path(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(string(d), hex.EncodeToString(sum[:16])+".crl")
}

// LoadCRL implements revocation.CRLCache.
func (d crlDir) LoadCRL(url string) []byte {
	data, err := atomicfile.Read(d.path(url), revocation.MaxCRLBytes)
	if err != nil {
		return nil
	}
	return data
}

// StoreCRL implements revocation.CRLCache; a CRL that cannot be kept is
// fetched again next time.
func (d crlDir) StoreCRL(url string, der []byte) {
	if err := os.MkdirAll(string(d), 0o700); err == nil {
		_ = atomicfile.Write(d.path(url), der, 0o600)
	}
}

// StatusRevoked is the status CertStatus gives a revoked certificate.
const StatusRevoked = "revoked"

// CertStatus is the one status shown for a certificate valid from
// notBefore to notAfter whose cached revocation status is revocation
// (RevocationResult.Status; "" when never checked) at now: StatusRevoked
// outranks the dates, as in Health, where a revoked certificate is
// CRITICAL whatever they say; else its store.ExpiryStatus within
// store.ExpiringWithin.
func CertStatus(notBefore, notAfter time.Time, revocation string, now time.Time) string {
	if revocation == RevocationRevoked {
		return StatusRevoked
	}
	return string(store.ExpiryStatus(notBefore, notAfter, now, store.ExpiringWithin))
}
