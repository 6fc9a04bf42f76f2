package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLocationDirs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix paths; Windows locations are location_windows.go")
	}
	loc := LocationAt("/r")
	app, _ := AppContext("kiosk.1")
	tests := []struct {
		c          Context
		dir, state string
	}{
		{User, "/r/user", "/r/state/user"},
		{Machine, "/r/machine", "/r/state/machine"},
		{app, "/r/apps/kiosk.1", "/r/state/apps/kiosk.1"},
	}
	for _, tt := range tests {
		t.Run(string(tt.c), func(t *testing.T) {
			s, err := Open(loc, tt.c)
			if err != nil || s.Dir() != tt.dir || s.StateDir() != tt.state {
				t.Fatalf("Open(%s) = %s %s, %v", tt.c, s.Dir(), s.StateDir(), err)
			}
		})
	}
	env := map[string]string{RootEnv: "/x"}
	if l, err := LocationFromEnv(func(k string) string { return env[k] }); err != nil || l.Data != "/x" {
		t.Errorf("LocationFromEnv = %+v, %v", l, err)
	}
}

// TestMachineKeys: machine-context keys are plain PKCS#8 in 0600 files in
// 0700 directories, and the context refuses keyring protection.
func TestMachineKeys(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes mean nothing on Windows: TestWindowsPrivateDirs checks the DACL")
	}
	ctx := context.Background()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // the machine context must not need a keyring
	s, err := Open(LocationAt(t.TempDir()), Machine)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Protection(); p != ProtectFile {
		t.Errorf("machine protection %s", p)
	}
	if err := s.SetProtection(ctx, ProtectKeyring); err == nil {
		t.Error("machine context accepted keyring protection")
	}
	p := newPKI(t)
	leaf, key := p.leaf(t, "machine.example")
	e, _, err := s.Add(ctx, My, leaf, key, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.Dir(), filepath.Join(s.Dir(), "stores"), s.storeDir(My)} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(filepath.Join(s.storeDir(My), entryName(e.Thumbprint))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v %v", fi.Mode(), err)
	}
	if k, err := s.Signer(ctx, My, e.Thumbprint); err != nil || !key.PublicKey.Equal(k.Public()) {
		t.Errorf("Signer: %v", err)
	}
}

// TestLockSerialises: a held Tx blocks a second Lock (same process, own
// file description) until Unlock; goroutines adding at once all land.
func TestLockSerialises(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tx, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock while held: %v", err)
	}
	tx.Unlock()
	p := newPKI(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		leaf, key := p.leaf(t, "g"+string(rune('a'+i)))
		go func() {
			defer wg.Done()
			if _, _, err := s.Add(ctx, My, leaf, key, Meta{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if es, _ := s.List(ctx, My, ListOptions{}); len(es) != 8 {
		t.Errorf("%d entries, want 8", len(es))
	}
}

// TestAppContextsReserved: an app context directory whose id Windows
// reserves (made before CheckFileName) is reported with its directories
// and does not hide the others; files, links and names no id can have are
// ignored.
func TestAppContextsReserved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot make these directories")
	}
	root := t.TempDir()
	loc := LocationAt(root)
	apps := filepath.Join(root, "apps")
	for _, d := range []string{"CON", "nul.txt", "vpn.", "org.example", ".hidden", "a b"} {
		if err := os.MkdirAll(filepath.Join(apps, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(apps, "file"), nil, 0o600)
	os.Symlink(filepath.Join(apps, "org.example"), filepath.Join(apps, "link"))

	cxs, reserved, err := loc.AppContexts()
	if err != nil || len(cxs) != 1 || cxs[0] != "app:org.example" {
		t.Fatalf("AppContexts = %v, %v", cxs, err)
	}
	var ids []string
	for _, re := range reserved {
		ids = append(ids, re.ID)
		if re.Dir != filepath.Join(apps, re.ID) || re.StateDir != filepath.Join(root, "state", "apps", re.ID) {
			t.Errorf("%s: dirs %s, %s", re.ID, re.Dir, re.StateDir)
		}
		if msg := re.Error(); !strings.Contains(msg, re.Dir) || !strings.Contains(msg, "Windows") || strings.Count(msg, "store:") != 1 {
			t.Errorf("%s: message %q", re.ID, msg)
		}
	}
	if want := []string{"CON", "nul.txt", "vpn."}; !slices.Equal(ids, want) {
		t.Errorf("reserved %v, want %v", ids, want)
	}

	// Named, the id gives the same error type, without directories.
	_, err = ParseContext("app:CON")
	var re *ReservedContextError
	if !errors.As(err, &re) || re.ID != "CON" || re.Dir != "" || !strings.Contains(err.Error(), "device name Windows reserves") {
		t.Errorf("ParseContext(app:CON) = %v", err)
	}

	// No apps directory: nothing, and no error.
	if cxs, reserved, err := LocationAt(t.TempDir()).AppContexts(); err != nil || cxs != nil || reserved != nil {
		t.Errorf("empty location: %v, %v, %v", cxs, reserved, err)
	}
}
