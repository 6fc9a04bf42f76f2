// Package keyring is certdesk's thin wrapper over the OS keyring
// (github.com/zalando/go-keyring): the Secret Service on Linux, Credential
// Manager on Windows, the login keychain on macOS.
//
// It adds what the library leaves to its callers: a bounded wait (a
// Secret Service call can block on a prompt nobody will answer), a guard
// against godbus autolaunching a session bus that hangs (see ENV.md §4),
// and two sentinels, ErrNotFound and ErrUnavailable, so callers never
// match on D-Bus error strings. Every function is safe for concurrent use.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// Service is the keyring service name under which certdesk keeps its
// secrets.
const Service = "certdesk"

// DefaultTimeout bounds every keyring call: long enough for a slow D-Bus
// activation, short enough that a headless run does not hang on a prompt.
const DefaultTimeout = 10 * time.Second

// ErrNotFound reports that the keyring holds no secret for the service
// and user.
var ErrNotFound = errors.New("keyring: secret not found")

// ErrUnavailable reports that no keyring is reachable. Its message is the
// one sentence users see, with the remedy.
var ErrUnavailable = errors.New("no OS keyring is reachable (on Linux start a Secret Service such as gnome-keyring or KeePassXC in this session, unlocked, with DBUS_SESSION_BUS_ADDRESS set)")

// Get returns the secret stored for service and user.
func Get(ctx context.Context, service, user string) (string, error) {
	var s string
	err := call(ctx, func() error {
		var err error
		s, err = gokeyring.Get(service, user)
		return err
	})
	return s, err
}

// Set stores secret for service and user, replacing any previous one.
func Set(ctx context.Context, service, user, secret string) error {
	return call(ctx, func() error { return gokeyring.Set(service, user, secret) })
}

// Delete removes the secret for service and user; ErrNotFound if none.
func Delete(ctx context.Context, service, user string) error {
	return call(ctx, func() error { return gokeyring.Delete(service, user) })
}

// call runs f in a goroutine bounded by ctx and DefaultTimeout and maps the
// library's errors to ErrNotFound and ErrUnavailable. On timeout the
// goroutine is abandoned: go-keyring offers no way to cancel a D-Bus call,
// and a leaked goroutine beats a hung process.
func call(ctx context.Context, f func() error) error {
	if err := precheck(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return mapError(err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: no answer within %s", ErrUnavailable, DefaultTimeout)
		}
		return ctx.Err()
	}
}

// mapError turns go-keyring's results into this package's sentinels. Any
// error other than not-found means the service could not be used: the
// causes (no bus, no secrets service, locked collection, unsupported
// platform) all call for the same remedy, so they share one sentinel; the
// cause stays in the chain for debugging.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gokeyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return fmt.Errorf("keyring: secret too large for the OS keyring: %w", err)
	default:
		return &unavailableError{cause: err}
	}
}

// unavailableError prints as ErrUnavailable alone (one sentence for the
// user) while keeping the library's error reachable with errors.As.
type unavailableError struct{ cause error }

// Error returns ErrUnavailable's sentence, without the D-Bus details.
func (e *unavailableError) Error() string { return ErrUnavailable.Error() }

// Unwrap returns both the sentinel and the underlying cause.
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }
