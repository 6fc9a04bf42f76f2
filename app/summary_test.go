package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// age moves the index's modification time back, out of the racy window.
func age(t *testing.T, s *store.Store) {
	t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(myIndex(s), old, old); err != nil {
		t.Fatal(err)
	}
}

func TestPulseSummary(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, testca.DefaultPassword)
	e.enroll(t, testca.TemplateShortLived)
	s, _ := e.core.Store(store.User)
	pol := e.core.Settings().RenewalPolicy()

	// An index written just now is racy: no summary is kept.
	if _, err := e.core.Pulse(ctx, store.User); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.StateDir(), SummaryFile)); !os.IsNotExist(err) {
		t.Fatalf("racy summary kept: %v", err)
	}
	age(t, s)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || rep.Checked != 1 {
		t.Fatalf("full pulse: %+v, %v", rep, err)
	}
	sum, ok := e.core.freshSummary(s, e.clock.Now(), pol)
	if !ok || sum.Checked != 1 || sum.NextDue.IsZero() {
		t.Fatalf("summary %+v, fresh %v", sum, ok)
	}
	if rep, _ := e.core.Pulse(ctx, store.User); rep.Checked != 1 || rep.Due != 0 {
		t.Fatalf("pulse from the summary: %+v", rep)
	}
	tests := []struct {
		name  string
		check func() bool
	}{
		{"other renewal policy", func() bool {
			p := pol
			p.Ratio = 0.5
			_, ok := e.core.freshSummary(s, e.clock.Now(), p)
			return ok
		}},
		{"next due reached", func() bool {
			_, ok := e.core.freshSummary(s, sum.NextDue, pol)
			return ok
		}},
		{"policy refreshed", func() bool {
			srv, _ := e.core.Server(store.User, e.srv.CEPURL())
			old := time.Now().Add(-time.Hour)
			defer os.Chtimes(policyCachePath(s, srv.ID), time.Now(), time.Now())
			os.Chtimes(policyCachePath(s, srv.ID), old, old)
			_, ok := e.core.freshSummary(s, e.clock.Now(), pol)
			return ok
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.check() {
				t.Error("summary still trusted")
			}
		})
	}
	// When the certificate is due, pulse renews it although a summary
	// exists; a new entry makes the index differ.
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("due pulse: %+v, %v", rep, err)
	}
	if _, ok := e.core.freshSummary(s, e.clock.Now(), pol); ok {
		t.Error("summary trusted after the index changed")
	}
}
