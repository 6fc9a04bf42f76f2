package app

import (
	"context"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func TestRenewAt(t *testing.T) {
	noJitter := RenewalWindow{Ratio: 0.8}
	tests := []struct {
		name string
		v    Validity
		p    RenewalWindow
		want time.Time
	}{
		{"ratio 80% of 100 days", Validity{NotBefore: t0, NotAfter: t0.Add(100 * day)}, noJitter, t0.Add(80 * day)},
		{"custom ratio", Validity{NotBefore: t0, NotAfter: t0.Add(100 * day)}, RenewalWindow{Ratio: 0.5}, t0.Add(50 * day)},
		{"zero ratio means default", Validity{NotBefore: t0, NotAfter: t0.Add(100 * day)}, RenewalWindow{}, t0.Add(80 * day)},
		{"ratio above one means default", Validity{NotBefore: t0, NotAfter: t0.Add(100 * day)}, RenewalWindow{Ratio: 1.5}, t0.Add(80 * day)},
		{"template period", Validity{NotBefore: t0, NotAfter: t0.Add(365 * day), RenewalPeriod: 42 * day}, noJitter, t0.Add(323 * day)},
		{"period longer than lifetime falls back to ratio", Validity{NotBefore: t0, NotAfter: t0.Add(10 * day), RenewalPeriod: 42 * day}, noJitter, t0.Add(8 * day)},
		{"zero lifetime is due from the start", Validity{NotBefore: t0, NotAfter: t0}, noJitter, t0},
		{"short-lived one hour cert", Validity{NotBefore: t0, NotAfter: t0.Add(time.Hour)}, noJitter, t0.Add(48 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RenewAt(tt.v, tt.p); !got.Equal(tt.want) {
				t.Errorf("RenewAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRenewAtJitter(t *testing.T) {
	p := RenewalWindow{Ratio: 0.8, Jitter: 6 * time.Hour}
	tests := []struct {
		name     string
		v        Validity
		earliest time.Time // inclusive
		latest   time.Time // inclusive
	}{
		{"year cert spreads up to the full jitter", Validity{Thumbprint: "AA", NotBefore: t0, NotAfter: t0.Add(100 * day)}, t0.Add(80*day - 6*time.Hour), t0.Add(80 * day)},
		{"one hour cert jitter capped at 1/20 of lifetime", Validity{Thumbprint: "BB", NotBefore: t0, NotAfter: t0.Add(time.Hour)}, t0.Add(45 * time.Minute), t0.Add(48 * time.Minute)},
		{"period reaching back to NotBefore is clamped", Validity{Thumbprint: "CC", NotBefore: t0, NotAfter: t0.Add(10 * day), RenewalPeriod: 10*day - time.Minute}, t0, t0.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenewAt(tt.v, p)
			if got.Before(tt.earliest) || got.After(tt.latest) {
				t.Errorf("RenewAt = %v, want in [%v, %v]", got, tt.earliest, tt.latest)
			}
			if again := RenewAt(tt.v, p); !again.Equal(got) {
				t.Errorf("jitter not deterministic: %v then %v", got, again)
			}
		})
	}
	// A fleet of certificates with the same validity must not all renew at
	// the same instant.
	seen := map[time.Time]bool{}
	for _, tp := range []string{"01", "02", "03", "04", "05", "06", "07", "08"} {
		seen[RenewAt(Validity{Thumbprint: tp, NotBefore: t0, NotAfter: t0.Add(365 * day)}, p)] = true
	}
	if len(seen) < 6 {
		t.Errorf("8 certificates renew at only %d distinct times", len(seen))
	}
}

func TestNeedsRenewal(t *testing.T) {
	v := Validity{Thumbprint: "AB", NotBefore: t0, NotAfter: t0.Add(100 * day)}
	p := DefaultRenewalWindow()
	tests := []struct {
		name string
		v    Validity
		now  time.Time
		want bool
	}{
		{"fresh", v, t0.Add(day), false},
		{"just before jittered due time", v, RenewAt(v, p).Add(-time.Second), false},
		{"at due time", v, RenewAt(v, p), true},
		{"after due time", v, t0.Add(90 * day), true},
		{"expired", v, t0.Add(200 * day), true},
		{"expired exactly at NotAfter", v, t0.Add(100 * day), true},
		{"template period not reached", Validity{NotBefore: t0, NotAfter: t0.Add(365 * day), RenewalPeriod: 42 * day}, t0.Add(300 * day), false},
		{"template period reached", Validity{NotBefore: t0, NotAfter: t0.Add(365 * day), RenewalPeriod: 42 * day}, t0.Add(330 * day), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRenewal(tt.v, p, tt.now); got != tt.want {
				t.Errorf("NeedsRenewal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNotifyWindow(t *testing.T) {
	exp := t0.Add(100 * day)
	tests := []struct {
		name   string
		now    time.Time
		days   []int
		want   int
		wantOK bool
	}{
		{"far from expiry", t0, DefaultNotifyDays(), 0, false},
		{"exactly 30 days left", exp.Add(-30 * day), DefaultNotifyDays(), 30, true},
		{"20 days left", exp.Add(-20 * day), DefaultNotifyDays(), 30, true},
		{"10 days left", exp.Add(-10 * day), DefaultNotifyDays(), 14, true},
		{"5 days left", exp.Add(-5 * day), DefaultNotifyDays(), 7, true},
		{"an hour left", exp.Add(-time.Hour), DefaultNotifyDays(), 1, true},
		{"expired is in the smallest window", exp.Add(day), DefaultNotifyDays(), 1, true},
		{"unsorted days", exp.Add(-10 * day), []int{7, 30, 14}, 14, true},
		{"no windows", exp.Add(-time.Hour), nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NotifyWindow(exp, tt.now, tt.days)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("NotifyWindow = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestDueTimesMatchesPlan: DueTimes gives the due time the pulse plans
// with.
func TestDueTimesMatchesPlan(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOpt{ca: longShort})
	e.addServer(t, testca.DefaultPassword)
	res := e.enroll(t, testca.TemplateShortLived)
	e.clock.Advance(time.Hour + time.Minute)
	plan, err := e.core.PlanPulse(ctx, store.User)
	if err != nil || len(plan) != 1 {
		t.Fatalf("plan: %+v, %v", plan, err)
	}
	s, _ := e.core.Store(store.User)
	es, err := s.List(ctx, store.My, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	due, err := e.core.DueTimes(store.User, es)
	if err != nil || len(due) != 1 || !due[res.Thumbprint].Equal(plan[0].RenewAt) {
		t.Fatalf("DueTimes %v, %v; want %s", due, err, plan[0].RenewAt)
	}
}
