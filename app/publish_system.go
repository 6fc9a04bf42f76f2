package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"

	"github.com/certdesk/certdesk/internal/systrust"
)

// ErrNeedsRoot is returned when publishing to (or removing from) the
// system trust store without root rights. It says what failed; how to get
// the rights is the frontend's sentence.
var ErrNeedsRoot = errors.New("changing the system-wide trust store needs root")

// ErrPublishUnsupported is returned where this system has no trust store
// or browser database certdesk can write (systrust.ErrUnsupported).
var ErrPublishUnsupported = errors.New("this system has no trust store certdesk can publish to (Linux with ca-certificates or p11-kit for system-wide trust, libnss3-tools for browsers)")

// publishErr maps systrust's sentinels to one sentence for the person.
func publishErr(err error) error {
	switch {
	case errors.Is(err, systrust.ErrUnsupported):
		return ErrPublishUnsupported
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w (%v)", ErrNeedsRoot, err)
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("a tool certdesk needs is not installed (Debian: ca-certificates, libnss3-tools; Fedora: ca-certificates, nss-tools): %w", err)
	}
	return err
}

// systemTrust returns the system trust store to publish to: the one
// Options injected, or the distribution's.
func (c *Core) systemTrust() *systrust.System {
	if c.sysTrust != nil {
		return c.sysTrust
	}
	return &systrust.System{}
}
