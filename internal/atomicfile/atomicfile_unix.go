//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// SyncDir makes the directory's entries (creations, renames) durable: on
// Unix a rename is on disk only once its directory is fsynced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// openReadNonblock opens path with O_NONBLOCK, so opening a FIFO with no
// writer or a device returns at once and fstat can refuse it. The flag
// changes nothing for the regular files that pass.
func openReadNonblock(path string, noFollow bool) (*os.File, error) {
	flag := os.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	if noFollow {
		flag |= unix.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, openError(path, err, noFollow)
	}
	return f, nil
}

func openNoFollow(path string, flag int, perm fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK, perm)
	if err != nil {
		return nil, openError(path, err, true)
	}
	// Back to blocking I/O for the regular file the caller checks for.
	if rc, rerr := f.SyscallConn(); rerr == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.SetNonblock(int(fd), false) })
	}
	return f, nil
}

// openError names path; ELOOP from O_NOFOLLOW means a symbolic link.
func openError(path string, err error, noFollow bool) error {
	if noFollow && errors.Is(err, syscall.ELOOP) {
		return &NotRegularError{Path: path, Mode: fs.ModeSymlink}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &os.PathError{Op: "open", Path: path, Err: pe.Err}
	}
	return fmt.Errorf("open %s: %w", path, err)
}
