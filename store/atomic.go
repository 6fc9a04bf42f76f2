package store

import (
	"os"
	"path/filepath"
)

// writeFileAtomic replaces dir/name with data so that after a crash the
// file holds either the old or the new content, never a mix: temp file in
// the same directory, fsync, rename, fsync the directory (so the rename
// itself is durable).
func writeFileAtomic(dir, name string, data []byte) error {
	if err := writeFileRenamed(dir, name, data); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeFileRenamed is writeFileAtomic without the final directory fsync,
// for a caller that fsyncs the directory once after several renames (the
// entries of one Tx, made durable by the index write that follows them).
func writeFileRenamed(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// tmpPrefix starts every temporary file name; Verify removes leftovers.
const tmpPrefix = ".tmp-"

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
