package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// checkOutput says whether -out path may be written, before any work is
// done: "-" is standard output; an existing regular file only with force;
// never a symbolic link, device or other non-regular file, force or not
// (replacing /dev/stdout with a regular file would be a surprise).
func checkOutput(path string, force bool) error {
	if path == "-" {
		return nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file; refusing to replace it (give -out - for standard output)", path, atomicfile.Kind(fi.Mode()))
	}
	if !force {
		return fmt.Errorf("%s already exists; give -force to replace it", path)
	}
	return nil
}

// writeOutput writes a file the person asked for (an export, a CSR) with
// exactly mode, atomically (internal/atomicfile), or to standard output
// for "-". An existing file's looser permissions are never kept, which
// matters when the data is a private key.
func (c *cmd) writeOutput(path string, force bool, data []byte, mode os.FileMode) error {
	if err := checkOutput(path, force); err != nil {
		return err
	}
	if path == "-" {
		if _, err := c.stdout.Write(data); err != nil {
			return fmt.Errorf("write standard output: %w", err)
		}
		return nil
	}
	return atomicfile.Write(path, data, mode)
}
