package app

import "time"

// Clock tells the time. The core never calls time.Now directly, so renewal,
// backoff and history tests run against a fake clock and never sleep.
type Clock interface {
	// Now returns the current time. Implementations must be safe for
	// concurrent use.
	Now() time.Time
}

// SystemClock is the Clock of the running machine.
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
