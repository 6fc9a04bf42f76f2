package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
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
