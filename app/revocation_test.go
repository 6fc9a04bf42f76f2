package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// TestRevocation follows a certificate enrolled at testca: good, cached
// (no network while current), revoked once refreshed after testca revoked
// it, then CRITICAL in the health rule and recorded in the history; and
// unknown, a WARNING, once its answers expired and the CA is gone.
func TestRevocation(t *testing.T) {
	e, _ := newServerEnv(t)
	ctx := context.Background()
	res := e.enroll(t, testca.TemplateUser)
	r, err := e.core.Revocation(ctx, store.User, res.Thumbprint, false)
	if err != nil || r.Status != RevocationGood || len(r.Chain) != 2 {
		t.Fatalf("Revocation = %+v, %v", r, err)
	}
	if _, err := e.ca.Revoke(res.Thumbprint, "keyCompromise"); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.core.Revocation(ctx, store.User, res.Thumbprint, false); r.Status != RevocationGood {
		t.Errorf("cached answer: %+v", r)
	}
	rs, err := e.core.CheckRevocation(ctx, store.User, true)
	if err != nil || len(rs) != 1 || rs[0].Status != RevocationRevoked || rs[0].Reason != "keyCompromise" || rs[0].RevokedAt.IsZero() {
		t.Fatalf("CheckRevocation = %+v, %v", rs, err)
	}
	h, err := e.core.Health(ctx, store.User, DefaultHealthOptions())
	if err != nil || h.Level != LevelCritical || h.Entries[0].Revocation != RevocationRevoked ||
		!strings.HasPrefix(h.Entries[0].Reasons[0], "revoked (keyCompromise)") {
		t.Errorf("Health = %+v, %v", h, err)
	}
	if rep, err := e.core.Pulse(ctx, store.User); err != nil || rep.Revoked != 1 {
		t.Errorf("pulse: %+v, %v", rep, err)
	}
	if m := string(Metrics{Context: store.User, Time: e.clock.Now(), Health: h}.Text()); !strings.Contains(m, `revocation="revoked"} 1`) {
		t.Errorf("metrics:\n%s", m)
	}
	found := false
	for _, rec := range e.history(t) {
		found = found || rec.Action == ActionRevocation && rec.Thumbprint == res.Thumbprint
	}
	if !found {
		t.Error("the revocation is not in the history")
	}

	// A second certificate: its answer expires with the CA gone.
	res2 := e.enroll(t, testca.TemplateUser)
	if r, _ := e.core.Revocation(ctx, store.User, res2.Thumbprint, false); r.Status != RevocationGood {
		t.Fatalf("second: %+v", r)
	}
	e.srv.Close()
	e.clock.Advance(testca.CRLValidity + time.Hour)
	st, _ := e.core.RevocationStatuses(store.User)
	if st[res2.Thumbprint].Status != RevocationUnknown || st[res.Thumbprint].Status != RevocationRevoked {
		t.Errorf("statuses after expiry: %+v", st)
	}
	if r, _ := e.core.Revocation(ctx, store.User, res2.Thumbprint, false); r.Status != RevocationUnknown {
		t.Errorf("CA gone: %+v", r)
	}
	h, _ = e.core.Health(ctx, store.User, DefaultHealthOptions())
	for _, c := range h.Entries {
		if c.Thumbprint == res2.Thumbprint && (c.Level != LevelWarning || c.Revocation != RevocationUnknown) {
			t.Errorf("health of the unknown one: %+v", c)
		}
	}
}

// BenchmarkRevocationStatuses1k is the cached lookup Health and the
// metrics make: 1,000 answers read from the state directory.
func BenchmarkRevocationStatuses1k(b *testing.B) {
	root := b.TempDir()
	c, _ := New(Options{Location: store.LocationAt(root)})
	s, _ := c.Store(store.User)
	m := map[string]RevocationResult{}
	now := time.Now()
	for i := range 1000 {
		th := strings.ToUpper(strings.Repeat("0", 36) + time.Duration(i).String())
		m[th] = RevocationResult{Thumbprint: th, Status: RevocationGood, CheckedAt: now, NextUpdate: now.Add(time.Hour)}
	}
	if err := writeRevocation(s, m); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if st, err := c.RevocationStatuses(store.User); err != nil || len(st) != 1000 {
			b.Fatal(len(st), err)
		}
	}
}

// TestRevocationNoSource: a certificate whose chain names no OCSP
// responder or CRL is "not checked", kept until it ends, and no level.
func TestRevocationNoSource(t *testing.T) {
	root := t.TempDir()
	genPulseStore(t, root, 2)
	c := newCore(t, root, &fakeClock{t: time.Now()}, 0)
	rs, err := c.CheckRevocation(context.Background(), store.User, false)
	if err != nil || len(rs) != 2 || rs[0].Status != RevocationNotChecked {
		t.Fatalf("CheckRevocation = %+v, %v", rs, err)
	}
	h, err := c.Health(context.Background(), store.User, DefaultHealthOptions())
	if err != nil || h.Level != LevelOK || h.Entries[0].Revocation != RevocationNotChecked {
		t.Errorf("Health = %+v, %v", h, err)
	}
}

// TestRevokedReEnrolled: an autoenrolled certificate found revoked is
// replaced by the next pulse (a new key) and archived.
func TestRevokedReEnrolled(t *testing.T) {
	e, srv := newServerEnv(t)
	ctx := context.Background()
	if err := e.core.SetAutoEnroll(ctx, store.User, srv.ID, true); err != nil {
		t.Fatal(err)
	}
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Enrollments) == 0 || rep.Enrollments[0].Outcome != OutcomeOK {
		t.Fatalf("autoenrollment: %+v, %v", rep, err)
	}
	old, template := rep.Enrollments[0].Thumbprint, rep.Enrollments[0].Template
	if _, err := e.ca.Revoke(old, "keyCompromise"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Revocation(ctx, store.User, old, true); err != nil {
		t.Fatal(err)
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Revoked != 1 || len(rep.Enrollments) != 1 || rep.Enrollments[0].Outcome != OutcomeOK || rep.Enrollments[0].Template != template {
		t.Fatalf("replacement: %+v, %v", rep, err)
	}
	s, _ := e.core.Store(store.User)
	oe, err := s.Get(ctx, store.My, old)
	if err != nil || !oe.Meta.Archived {
		t.Errorf("the revoked certificate is not archived: %+v, %v", oe.Meta, err)
	}
	ne, err := s.Get(ctx, store.My, rep.Enrollments[0].Thumbprint)
	if err != nil || ne.Certificate.PublicKeyAlgorithm == 0 || string(ne.Certificate.RawSubjectPublicKeyInfo) == string(oe.Certificate.RawSubjectPublicKeyInfo) {
		t.Errorf("the replacement has the revoked certificate's key: %v", err)
	}
	if h, _ := e.core.Health(ctx, store.User, DefaultHealthOptions()); h.Level != LevelOK {
		t.Errorf("health after the replacement: %+v", h)
	}
}

func TestCertStatus(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		nb, na     time.Time
		revocation string
		want       string
	}{
		{now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), "", string(store.Valid)},
		{now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), RevocationGood, string(store.Valid)},
		{now.AddDate(0, -1, 0), now.AddDate(0, 0, 3), RevocationUnknown, string(store.Expiring)},
		{now.AddDate(0, -1, 0), now.AddDate(0, 0, 3), RevocationRevoked, StatusRevoked},
		{now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), RevocationRevoked, StatusRevoked},
		{now.AddDate(-1, 0, 0), now.AddDate(0, 0, -1), RevocationRevoked, StatusRevoked},
		{now.AddDate(-1, 0, 0), now.AddDate(0, 0, -1), RevocationNotChecked, string(store.Expired)},
	} {
		if got := CertStatus(tt.nb, tt.na, tt.revocation, now); got != tt.want {
			t.Errorf("CertStatus(%s, %s, %q) = %q, want %q", tt.nb, tt.na, tt.revocation, got, tt.want)
		}
	}
}
