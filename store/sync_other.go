//go:build !windows

package store

import "os"

// syncDir makes the directory's entries (creations, renames) durable: on
// Unix a rename is only on disk once its directory is fsynced.
func syncDir(dir string) error {
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
