//go:build !windows && !darwin

package store

// openSystem: Linux and the other systems have no native certificate store
// in this sense (Linux system trust and NSS are internal/systrust).
func openSystem(c Context, n Name) (System, error) { return nil, ErrUnsupported }
