package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// healthFix is a user context with file-protected keys (no keyring) and
// a fake clock, for the health rule and the metrics file.
type healthFix struct {
	core  *Core
	clock *fakeClock
	key   *ecdsa.PrivateKey
	root  string
}

func newHealthFix(t *testing.T) *healthFix {
	t.Helper()
	root := t.TempDir()
	clk := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	c, err := New(Options{Location: store.LocationAt(root), Clock: clk, SystemRoots: x509.NewCertPool()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Store(store.User)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetProtection(context.Background(), store.ProtectFile); err != nil {
		t.Fatal(err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return &healthFix{core: c, clock: clk, key: k, root: root}
}

// add puts a self-signed certificate named cn, ending left from now, into
// My (with its key if withKey) and returns its thumbprint.
func (f *healthFix) add(t *testing.T, cn string, left time.Duration, withKey bool, meta store.Meta) string {
	t.Helper()
	now := f.clock.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-left - 24*time.Hour), NotAfter: now.Add(left)}
	if left < 0 {
		tmpl.NotBefore = now.Add(left - 24*time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, f.key.Public(), f.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	var key any
	if withKey {
		key = f.key
	}
	s, _ := f.core.Store(store.User)
	tx, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Unlock()
	e, _, err := tx.Add(context.Background(), store.My, cert, key, meta)
	if err != nil {
		t.Fatal(err)
	}
	return e.Thumbprint
}

func (f *healthFix) setRetry(t *testing.T, m map[string]RetryState) {
	t.Helper()
	s, _ := f.core.Store(store.User)
	if err := writeRetry(s, m); err != nil {
		t.Fatal(err)
	}
}

func TestHealthLevels(t *testing.T) {
	tests := []struct {
		name   string
		left   time.Duration
		retry  *RetryState
		want   Level
		reason string
	}{
		{"fine", 200 * day, nil, LevelOK, ""},
		{"within warn", 20 * day, nil, LevelWarning, "expires in 20 days"},
		{"at warn", 30 * day, nil, LevelWarning, "expires in 30 days"},
		{"within crit", 5 * day, nil, LevelCritical, "expires in 5 days"},
		{"hours left", 30 * time.Hour, nil, LevelCritical, "expires in 30 hours"},
		{"expired", -3 * day, nil, LevelCritical, "expired 3 days ago"},
		{"failing transiently", 200 * day, &RetryState{Failures: 2, LastError: "server down"}, LevelWarning,
			"renewal failing (2 attempts): server down"},
		{"failed permanently", 200 * day, &RetryState{Failures: 1, Permanent: true, LastError: "denied"}, LevelCritical,
			"renewal failed and will not be retried: denied"},
		{"permanent beats warn", 20 * day, &RetryState{Failures: 1, Permanent: true, LastError: "denied"}, LevelCritical,
			"renewal failed and will not be retried: denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHealthFix(t)
			tp := f.add(t, "web01", tt.left, true, store.Meta{})
			if tt.retry != nil {
				f.setRetry(t, map[string]RetryState{tp: *tt.retry})
			}
			rep, err := f.core.Health(context.Background(), store.User, DefaultHealthOptions())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Level != tt.want || len(rep.Entries) != 1 || rep.Entries[0].Level != tt.want {
				t.Fatalf("level = %v, want %v (%+v)", rep.Level, tt.want, rep.Entries)
			}
			h := rep.Entries[0]
			if tt.reason == "" && len(h.Reasons) != 0 || tt.reason != "" && (len(h.Reasons) == 0 || h.Reasons[0] != tt.reason) {
				t.Errorf("reasons = %q, want first %q", h.Reasons, tt.reason)
			}
			if h.Revocation != RevocationNotChecked || h.KeyStorage != "software" {
				t.Errorf("revocation %q, key storage %q", h.Revocation, h.KeyStorage)
			}
		})
	}
}

func TestHealthSummaryAndThresholds(t *testing.T) {
	f := newHealthFix(t)
	ctx := context.Background()
	rep, err := f.core.Health(ctx, store.User, DefaultHealthOptions())
	if err != nil || rep.Level != LevelOK || rep.Summary() != "No certificates" {
		t.Fatalf("empty: %v %v %q", rep, err, rep.Summary())
	}
	f.add(t, "fine", 300*day, false, store.Meta{})
	f.add(t, "soon", 20*day, true, store.Meta{})
	f.add(t, "gone", -day*2, true, store.Meta{})
	rep, err = f.core.Health(ctx, store.User, DefaultHealthOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Level != LevelCritical || rep.Certificates != 3 || rep.Warning != 1 || rep.Critical != 1 {
		t.Fatalf("report %+v", rep)
	}
	want := `2 of 3 certificates need attention: "gone" expired 2 days ago; "soon" expires in 20 days`
	if got := rep.Summary(); got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
	for _, h := range rep.Entries {
		if h.Name == "fine" && h.KeyStorage != "none" {
			t.Errorf("keyless entry has key storage %q", h.KeyStorage)
		}
	}
	// Narrower thresholds: 20 days left is fine with -warn-days 10.
	rep, _ = f.core.Health(ctx, store.User, HealthOptions{Warn: 10 * day, Crit: 3 * day})
	if rep.Warning != 0 || rep.Critical != 1 || rep.WarnDays != 10 || rep.CritDays != 3 {
		t.Errorf("thresholds not applied: %+v", rep)
	}
}

func TestHealthSummaryHostileName(t *testing.T) {
	f := newHealthFix(t)
	f.add(t, "evil\"\nCERTDESK OK - forged | x=1", 2*day, true, store.Meta{})
	rep, err := f.core.Health(context.Background(), store.User, DefaultHealthOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Summary(); strings.ContainsAny(s, "\n\r") || !strings.Contains(s, `"evil\"\nCERTDESK OK`) {
		t.Errorf("summary not quoted: %q", s)
	}
}

func TestHealthUnreadable(t *testing.T) {
	f := newHealthFix(t)
	f.add(t, "web01", 200*day, true, store.Meta{})
	s, _ := f.core.Store(store.User)
	// The state directory is a file: the retry state cannot be read.
	if err := os.MkdirAll(filepath.Dir(s.StateDir()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.StateDir(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.core.Health(context.Background(), store.User, DefaultHealthOptions()); err == nil {
		t.Fatal("Health read an unreadable retry state")
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{LevelOK: "OK", LevelWarning: "WARNING", LevelCritical: "CRITICAL", LevelUnknown: "UNKNOWN", 7: "UNKNOWN"} {
		if l.String() != want {
			t.Errorf("%d: %s, want %s", int(l), l, want)
		}
	}
}
