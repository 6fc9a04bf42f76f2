package store

// syncDir is a no-op on Windows: directory handles cannot be flushed
// (FlushFileBuffers on one fails), and NTFS journals the rename itself.
func syncDir(dir string) error { return nil }
