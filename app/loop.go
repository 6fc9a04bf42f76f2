package app

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/certdesk/certdesk/store"
)

// loop is the running in-process scheduler.
type loop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// ErrRunning is returned by Start when the scheduler already runs.
var ErrRunning = errors.New("the renewal scheduler is already running")

// Start runs the in-process renewal scheduler for the GUI: a pulse of each
// of Options.Contexts at once, then every Settings.CheckInterval shortened
// by up to a tenth at random, so devices started together drift apart.
// Pulses run one after another on the scheduler's goroutine (so one
// renewal at a time per certificate; the context lock and the core's
// claim also keep a "Renew now" from racing it), publish their events on
// the bus, and a panic in one is reported as RenewalFailed instead of
// ending the loop. It returns at once; Stop ends it.
func (c *Core) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loop != nil {
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &loop{cancel: cancel, done: make(chan struct{})}
	c.loop = l
	go func() {
		defer close(l.done)
		for {
			c.CheckNow(ctx)
			select {
			case <-ctx.Done():
				return
			case <-c.after(c.nextWait()):
			}
		}
	}()
	return nil
}

// Stop ends the scheduler started by Start and waits for a running pulse
// to give up (its context is cancelled). Stopping a stopped core is a no-op.
func (c *Core) Stop() {
	c.mu.Lock()
	l := c.loop
	c.loop = nil
	c.mu.Unlock()
	if l != nil {
		l.cancel()
		<-l.done
	}
}

// CheckNow pulses every scheduler context once, then publishes the
// notification windows certificates entered (NotificationWindow, once per
// window), and returns the reports of the pulses that ran; a failed or
// panicking pulse is published as RenewalFailed.
func (c *Core) CheckNow(ctx context.Context) []*PulseReport {
	var out []*PulseReport
	for _, cx := range c.loopCtx {
		if ctx.Err() != nil {
			break
		}
		if rep := c.safePulse(ctx, cx); rep != nil {
			out = append(out, rep)
		}
		if err := c.notify(ctx, cx); err != nil && ctx.Err() == nil {
			c.publish(cx, Event{Kind: RenewalFailed, Err: err})
		}
	}
	return out
}

// safePulse runs Pulse, turning a panic or an error into an event.
func (c *Core) safePulse(ctx context.Context, cx store.Context) (rep *PulseReport) {
	defer func() {
		if v := recover(); v != nil {
			rep = nil
			c.publish(cx, Event{Kind: RenewalFailed, Err: fmt.Errorf("renewal check crashed: %v", v)})
		}
	}()
	rep, err := c.Pulse(ctx, cx)
	if err != nil && ctx.Err() == nil {
		c.publish(cx, Event{Kind: RenewalFailed, Err: err})
	}
	return rep
}

// nextWait is the check interval minus up to 10% jitter.
func (c *Core) nextWait() time.Duration {
	iv := c.Settings().CheckInterval
	var b [8]byte
	if _, err := c.rand.Read(b[:]); err != nil {
		return iv
	}
	frac := float64(binary.LittleEndian.Uint64(b[:])>>11) / (1 << 53)
	return iv - time.Duration(frac*float64(iv)/10)
}
