//go:build !windows

package store

// restrictDir: mode 0700 (mkdirDurable) already keeps others out.
func restrictDir(string, bool) error { return nil }
