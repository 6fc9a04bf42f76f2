package app

import (
	"sync"
	"time"
)

// EventKind says what happened.
type EventKind int

// The kinds of Event the core publishes.
const (
	// RenewalDue: a certificate has reached its renewal time.
	RenewalDue EventKind = iota + 1
	// RenewalStarted: a renewal request is on its way.
	RenewalStarted
	// RenewalSucceeded: the new certificate is installed, the old archived.
	RenewalSucceeded
	// RenewalFailed: a renewal failed; Err says why, Permanent whether it
	// will be retried.
	RenewalFailed
	// StoreChanged: entries of a store were added, removed or updated.
	StoreChanged
	// NotificationWindow: a certificate entered a notification window
	// (Days before expiry) and the person should be told.
	NotificationWindow
	// RequestIssued: a pending request (RequestID) got its certificate,
	// now installed in My; a poll does this in the background.
	RequestIssued
)

var eventNames = [...]string{
	RenewalDue:         "renewal-due",
	RenewalStarted:     "renewal-started",
	RenewalSucceeded:   "renewal-succeeded",
	RenewalFailed:      "renewal-failed",
	StoreChanged:       "store-changed",
	NotificationWindow: "notification-window",
	RequestIssued:      "request-issued",
}

// String returns the kind's stable lower-case name.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one notification from the core to its subscribers (the GUI's
// views and tray). Fields that do not apply to a kind are zero.
type Event struct {
	Kind       EventKind
	Time       time.Time
	Context    string // "machine", "user" or "app:<id>"
	Store      string // for StoreChanged
	Thumbprint string
	Subject    string
	NotAfter   time.Time
	RequestID  string // RequestIssued: the CA's request id, "" for an offline request
	Days       int    // NotificationWindow: the window, in days before expiry
	Err        error  // RenewalFailed
	Permanent  bool   // RenewalFailed: no automatic retry
}

// Bus delivers events to subscribers. The zero value is ready to use and
// safe for concurrent use: Publish may be called from any goroutine (the
// scheduler's, a pulse's), and subscribers are called synchronously on the
// publishing goroutine, in subscription order. A subscriber that touches a
// GUI must hand over to the GUI's thread itself (fyne.Do).
type Bus struct {
	// OnPanic, if set, receives the value of a panic recovered from a
	// subscriber; the panic never reaches the publisher.
	OnPanic func(recovered any)

	mu   sync.Mutex
	next int
	subs []subscriber
}

type subscriber struct {
	id int
	fn func(Event)
}

// Subscribe registers fn and returns a function that removes it. The
// returned function may be called more than once, and from within fn.
func (b *Bus) Subscribe(fn func(Event)) (unsubscribe func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	id := b.next
	b.subs = append(b.subs, subscriber{id, fn})
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, s := range b.subs {
			if s.id == id {
				// Copy rather than splice in place: a Publish in progress
				// iterates over the old slice.
				b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
				return
			}
		}
	}
}

// Publish delivers e to every current subscriber. The lock is not held while
// subscribers run, so they may subscribe, unsubscribe or publish.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	subs := b.subs
	b.mu.Unlock()
	for _, s := range subs {
		b.deliver(s.fn, e)
	}
}

// deliver calls fn, turning a panic into an OnPanic call so one broken
// subscriber cannot stop the scheduler or starve the others.
func (b *Bus) deliver(fn func(Event), e Event) {
	defer func() {
		if r := recover(); r != nil && b.OnPanic != nil {
			b.OnPanic(r)
		}
	}()
	fn(e)
}
