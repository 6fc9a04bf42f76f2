package systrusttest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Lock serialises, across test processes, the tests that rebuild the
// system bundle (go test runs packages in parallel, and
// update-ca-certificates rebuilds one bundle); the lock is released when
// the test ends.
func Lock(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "certdesk-systrust.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}
