package atomicfile

import (
	"io/fs"
	"os"
)

// SyncDir is a no-op on Windows: directory handles cannot be flushed
// (FlushFileBuffers on one fails), and NTFS journals the rename itself.
func SyncDir(dir string) error { return nil }

// openReadNonblock checks path before opening it (Windows has no O_NONBLOCK
// nor O_NOFOLLOW for files); the caller checks the open handle again.
func openReadNonblock(path string, noFollow bool) (*os.File, error) {
	if err := precheck(path, noFollow); err != nil {
		return nil, err
	}
	return os.Open(path)
}

func openNoFollow(path string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := precheck(path, true); err != nil {
		return nil, err
	}
	return os.OpenFile(path, flag, perm)
}

// precheck refuses a link (when noFollow) or a non-regular file at path;
// a missing path is left to the open that follows.
func precheck(path string, noFollow bool) error {
	stat := os.Stat
	if noFollow {
		stat = os.Lstat
	}
	fi, err := stat(path)
	if err != nil {
		return nil
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return nil
}
