//go:build !windows

package tpmkey

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/google/go-tpm/tpm2/transport"
	"golang.org/x/sys/unix"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// openDevice opens a TPM character device such as /dev/tpmrm0, and no
// other file: the path comes from the environment or a setting, and the
// TPM commands written to a disk, /dev/mem or a terminal would damage it
// (go-tpm's linuxtpm takes any device). On Linux the device's class in
// sysfs must be tpm or tpmrm. The device is checked before it is opened
// (opening some devices does something), and again once open.
func openDevice(path string) (transport.TPMCloser, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkTPMDevice(path, fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if now, err := f.Stat(); err != nil || !os.SameFile(fi, now) {
		f.Close()
		return nil, fmt.Errorf("%s changed while it was opened", path)
	}
	return transport.FromReadWriteCloser(f), nil
}

// errNotTPMDevice is a device path that names no TPM.
var errNotTPMDevice = errors.New("not a TPM")

// checkTPMDevice refuses fi, the file at path, unless it is a character
// device of the tpm or tpmrm class.
func checkTPMDevice(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&fs.ModeCharDevice == 0 || !ok {
		return fmt.Errorf("%s is %s, %w", path, atomicfile.Kind(fi.Mode()), errNotTPMDevice)
	}
	if runtime.GOOS != "linux" {
		return nil
	}
	rdev := uint64(st.Rdev)
	link, err := os.Readlink(fmt.Sprintf("/sys/dev/char/%d:%d", unix.Major(rdev), unix.Minor(rdev)))
	if err != nil {
		return fmt.Errorf("%s is a character device sysfs does not name, %w", path, errNotTPMDevice)
	}
	if class := filepath.Base(filepath.Dir(link)); class != "tpm" && class != "tpmrm" {
		return fmt.Errorf("%s is a %s device, %w", path, class, errNotTPMDevice)
	}
	return nil
}
