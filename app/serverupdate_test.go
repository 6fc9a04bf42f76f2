package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// A second AddServer of a URL is refused with OnlyNew; UpdateServer
// changes the fields given and keeps the others.
func TestUpdateServerAndReplace(t *testing.T) {
	ctx := context.Background()
	e, srv := newServerEnv(t)
	o := ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser, OnlyNew: true}
	if _, err := e.core.AddServer(ctx, store.User, o); !errors.Is(err, ErrServerExists) {
		t.Fatalf("second AddServer: %v", err)
	}
	name, on, kbr, empty := "Corp", true, "https://kbr.example/CEP", ""
	got, err := e.core.UpdateServer(ctx, store.User, srv.ID, ServerUpdate{FriendlyName: &name, AutoEnroll: &on, KBRURL: &kbr})
	if err != nil || got.FriendlyName != name || !got.AutoEnroll || got.KBRURL != kbr || got.TrustedCA != srv.TrustedCA || got.Username != srv.Username {
		t.Fatalf("UpdateServer: %+v, %v", got, err)
	}
	if _, err := e.core.UpdateServer(ctx, store.User, srv.ID, ServerUpdate{Password: &empty}); !errors.Is(err, ErrEmptyPassword) {
		t.Fatalf("empty password: %v", err)
	}
	o.OnlyNew = false
	if got, err := e.core.AddServer(ctx, store.User, o); err != nil || got.FriendlyName != "" {
		t.Fatalf("AddServer replacing: %+v, %v", got, err)
	}
}

// PlanPulse names what the pulse then does, and the pulse counts a due
// renewal backing off as retrying.
func TestPlanPulseMatchesPulse(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOpt{ca: longShort})
	e.addServer(t, testca.DefaultPassword)
	res := e.enroll(t, testca.TemplateShortLived)
	if plan, err := e.core.PlanPulse(ctx, store.User); err != nil || len(plan) != 0 {
		t.Fatalf("nothing due yet: %+v, %v", plan, err)
	}
	e.clock.Advance(time.Hour + time.Minute)
	plan, err := e.core.PlanPulse(ctx, store.User)
	if err != nil || len(plan) != 1 || plan[0].Thumbprint != res.Thumbprint || plan[0].Action != PlanRenew {
		t.Fatalf("due: %+v, %v", plan, err)
	}
	if again, _ := e.core.PlanPulse(ctx, store.User); len(again) != 1 || e.issuedCount(t) != 1 {
		t.Fatal("PlanPulse changed something")
	}
	e.srv.Close()
	if rep, _ := e.core.Pulse(ctx, store.User); rep == nil || rep.Failed != 1 {
		t.Fatalf("pulse with the server down: %+v", rep)
	}
	plan, err = e.core.PlanPulse(ctx, store.User)
	if err != nil || len(plan) != 1 || plan[0].Action != PlanRetryWait || plan[0].NextAttempt.IsZero() {
		t.Fatalf("backing off: %+v, %v", plan, err)
	}
	if rep, _ := e.core.Pulse(ctx, store.User); rep == nil || rep.Retrying != 1 || rep.Failed != 0 {
		t.Fatalf("pulse within the backoff: %+v", rep)
	}
}
