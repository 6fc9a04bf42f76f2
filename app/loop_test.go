package app

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// wait returns the next event of kind k from ch, or fails after a bounded
// wait (the loop runs on its own goroutine; nothing sleeps).
func wait(t *testing.T, ch <-chan Event, k EventKind) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Kind == k {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", k)
		}
	}
}

func TestSchedulerChecksAtStartAndEachInterval(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived)

	ticks := make(chan time.Time)
	waits := make(chan time.Duration, 4)
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(),
		After: func(d time.Duration) <-chan time.Time { waits <- d; return ticks }})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 64)
	defer c.Subscribe(func(ev Event) { events <- ev })()

	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if err := c.Start(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Start: %v", err)
	}
	// The check at start-up finds nothing due, then waits about 8 hours.
	if d := <-waits; d > DefaultCheckInterval || d < DefaultCheckInterval*9/10 {
		t.Fatalf("wait %v, want 8h minus up to 10%%", d)
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	ticks <- e.clock.Now()
	due := wait(t, events, RenewalDue)
	if due.Thumbprint != res.Thumbprint || due.Context != "user" {
		t.Errorf("due event %+v", due)
	}
	wait(t, events, RenewalStarted)
	ok := wait(t, events, RenewalSucceeded)
	wait(t, events, StoreChanged)
	<-waits
	c.Stop()
	c.Stop() // idempotent
	if my := e.list(t, store.My); len(my) != 2 || ok.Thumbprint == res.Thumbprint {
		t.Errorf("My %v, renewed to %s", my, ok.Thumbprint)
	}
}

func TestSchedulerSurvivesAFailingPulse(t *testing.T) {
	// A context whose directory is a file cannot be pulsed: the loop
	// reports it and keeps going.
	c, err := New(Options{Location: store.Location{Data: "/dev/null/x", State: "/dev/null/y"}, Clock: &fakeClock{t: time.Now()},
		After: func(time.Duration) <-chan time.Time { return make(chan time.Time) }})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 8)
	defer c.Subscribe(func(ev Event) { events <- ev })()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := wait(t, events, RenewalFailed)
	c.Stop()
	if ev.Err == nil {
		t.Error("failed event without error")
	}
}

// TestSchedulerSurvivesAPanic: a panic inside a renewal (here, in the
// hook runner) is reported as RenewalFailed, the lock is released, and
// the next round runs.
func TestSchedulerSurvivesAPanic(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived)
	ctx := context.Background()
	if err := e.core.SetHook(ctx, store.User, res.Thumbprint, Hook{Command: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	ticks := make(chan time.Time)
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(),
		After: func(time.Duration) <-chan time.Time { return ticks },
		Run:   func(context.Context, string, ...string) ([]byte, error) { panic("hook runner broke") }})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 64)
	defer c.Subscribe(func(ev Event) { events <- ev })()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ev := wait(t, events, RenewalFailed)
	if ev.Err == nil || !strings.Contains(ev.Err.Error(), "hook runner broke") {
		t.Fatalf("failed event %+v", ev)
	}
	// The lock was released: another core can pulse the context.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := e.core.Pulse(cctx, store.User); err != nil {
		t.Fatalf("pulse after the panic: %v", err)
	}
	ticks <- e.clock.Now() // the loop still runs
	c.Stop()
}

func TestCheckNowAnnouncesEachWindowOnce(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, testca.DefaultPassword)
	res := e.enroll(t, testca.TemplateUser) // 365 days, renewed 45 days before expiry
	events := make(chan Event, 64)
	defer e.core.Subscribe(func(ev Event) {
		if ev.Kind == NotificationWindow {
			events <- ev
		}
	})()
	ctx := context.Background()
	e.core.CheckNow(ctx)
	if len(events) != 0 {
		t.Fatalf("a fresh certificate was announced: %+v", <-events)
	}
	// 20 days before expiry: due for renewal too, but make the renewal
	// fail (no server) to keep the certificate and see its window.
	e.srv.Close()
	e.clock.Advance(365*24*time.Hour - 20*24*time.Hour)
	e.core.CheckNow(ctx)
	if ev := <-events; ev.Days != 30 || ev.Thumbprint != res.Thumbprint {
		t.Fatalf("event %+v, want the 30-day window", ev)
	}
	e.core.CheckNow(ctx)
	if len(events) != 0 {
		t.Fatalf("announced twice: %+v", <-events)
	}
	e.clock.Advance(10 * 24 * time.Hour)
	e.core.CheckNow(ctx)
	if ev := <-events; ev.Days != 14 {
		t.Fatalf("event %+v, want the 14-day window", ev)
	}
}
