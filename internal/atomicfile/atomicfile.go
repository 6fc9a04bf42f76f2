// Package atomicfile writes files atomically and reads files without
// blocking on, or following, what a file name should not be: the one place
// certdesk creates, replaces and opens the files it owns or is handed.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of every temporary file Write creates, so a
// checker can remove the leftovers of a crash.
const TempPrefix = ".tmp-"

// Write replaces path with data so that after a crash the file holds
// either the old or the new content, never a mix: a temporary file in the
// same directory, written, chmod'ed to exactly mode, fsynced, renamed over
// path, then the directory fsynced. An existing path that is a symbolic
// link or not a regular file is refused and left alone.
func Write(path string, data []byte, mode fs.FileMode) error {
	if err := WriteNoDirSync(path, data, mode); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteNoDirSync is Write without the final directory fsync, for a caller
// that renames several files and then calls SyncDir once.
func WriteNoDirSync(path string, data []byte, mode fs.FileMode) error {
	if err := CheckTarget(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, StripPath(err))
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, StripPath(err))
	}
	return nil
}

// CheckTarget returns nil when path does not exist or is a regular file
// (not a symbolic link to one), else an error naming path and what it is.
func CheckTarget(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, StripPath(err))
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// NotRegularError reports a path that is not a regular file where one is
// needed: a symbolic link, directory, named pipe, device or socket.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file; refusing to use it", e.Path, Kind(e.Mode))
}

// Kind names the type of file mode describes, with its article.
func Kind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode.IsRegular():
		return "a regular file"
	default:
		return "a special file"
	}
}

// MaxOwned caps ReadOwned: far above any file certdesk writes itself.
const MaxOwned = 64 << 20

// ReadOwned is ReadNoFollow with the MaxOwned cap, for the files certdesk
// keeps under its root (entries, indexes, settings, history).
func ReadOwned(path string) ([]byte, error) { return ReadNoFollow(path, MaxOwned) }

// ErrTooLarge is returned by Read for a file over its size cap.
var ErrTooLarge = errors.New("file too large")

// Read reads a file the person named (it may be a symbolic link to a
// regular file): it never blocks on a FIFO or device, refuses anything but
// a regular file with a *NotRegularError, and reads at most max bytes (more
// is ErrTooLarge).
func Read(path string, max int64) ([]byte, error) {
	f, err := openRegular(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path, max)
}

// ReadNoFollow is Read for a file certdesk owns: a symbolic link at path
// is refused rather than followed.
func ReadNoFollow(path string, max int64) ([]byte, error) {
	f, err := openRegular(path, true)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path, max)
}

// OpenNoFollow opens a file certdesk owns with flag and perm (as
// os.OpenFile), refusing a symbolic link at path and anything that is not
// a regular file, with an error naming path.
func OpenNoFollow(path string, flag int, perm fs.FileMode) (*os.File, error) {
	f, err := openNoFollow(path, flag, perm)
	if err != nil {
		return nil, err
	}
	return regular(f, path)
}

// regular returns f if the open file is a regular file; otherwise it closes
// f and says what path is.
func regular(f *os.File, path string) (*os.File, error) {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func readCapped(f *os.File, path string, max int64) ([]byte, error) {
	// Sized from the open file, so a large index is read into one buffer
	// rather than grown by doubling; the limit still holds if it grows.
	size := int64(512)
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		size = min(fi.Size(), max) + 1
	}
	data, err := readAll(io.LimitReader(f, max+1), size)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, StripPath(err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w (over %d bytes)", path, ErrTooLarge, max)
	}
	return data, nil
}

// openRegular opens path read-only without blocking and checks, on the
// open handle, that it is a regular file.
func openRegular(path string, noFollow bool) (*os.File, error) {
	f, err := openReadNonblock(path, noFollow)
	if err != nil {
		return nil, err
	}
	return regular(f, path)
}

// StripPath returns the reason an *os.PathError or *os.LinkError (found
// with errors.As) carries, without the operation and path it repeats, for
// a message that already names the file: "write f: permission denied"
// rather than "write f: open f: permission denied". Any other error is
// returned as it is. It is the one helper for this; store and the command
// line use it too.
func StripPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// readAll reads r to its end into a buffer of capacity size, growing it
// only if r holds more (as os.ReadFile does).
func readAll(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}
