//go:build !darwin && !windows

package app

// platformManaged is the managed configuration of systems whose place is
// a JSON file (ManagedPath): there is nothing else to read.
func platformManaged() (*Managed, string, error) { return nil, "", nil }
