//go:build !linux

package keyring

// precheck has nothing to probe outside Linux: Credential Manager and the
// macOS keychain need no session bus.
func precheck() error { return nil }
