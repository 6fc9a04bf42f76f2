package store

import (
	"os"
	"path/filepath"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// writeFileAtomic replaces dir/name with data (0600) so that after a
// crash the file holds either the old or the new content, never a mix.
func writeFileAtomic(dir, name string, data []byte) error {
	return atomicfile.Write(filepath.Join(dir, name), data, 0o600)
}

// writeFileRenamed is writeFileAtomic without the final directory fsync,
// for a caller that fsyncs the directory once after several renames (the
// entries of one Tx, made durable by the index write that follows them).
func writeFileRenamed(dir, name string, data []byte) error {
	return atomicfile.WriteNoDirSync(filepath.Join(dir, name), data, 0o600)
}

// tmpPrefix starts every temporary file name; Verify removes leftovers.
const tmpPrefix = atomicfile.TempPrefix

// mkdirDurable creates dir (0700; on Windows Lock sets the equivalent
// DACL) and its parents and makes the new names durable.
func mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir makes a directory's new names durable (atomicfile.SyncDir: an
// fsync on Unix, nothing on Windows, where NTFS journals the rename).
func syncDir(dir string) error { return atomicfile.SyncDir(dir) }
