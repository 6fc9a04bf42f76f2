//go:build unix

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRefusesNonRegular: every hostile kind of path is refused, promptly,
// with an error naming the path, and the path is left as it was.
func TestRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg")
	if err := os.WriteFile(reg, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(reg, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(string) error{
		"Write":        func(p string) error { return Write(p, []byte("y"), 0o600) },
		"Read":         func(p string) error { _, err := Read(p, 1<<20); return err },
		"ReadNoFollow": func(p string) error { _, err := ReadNoFollow(p, 1<<20); return err },
		"OpenNoFollow": func(p string) error {
			f, err := OpenNoFollow(p, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
			if err == nil {
				f.Close()
			}
			return err
		},
	}
	cases := []struct {
		op, path string
		wantErr  bool
	}{
		{"Write", fifo, true}, {"Write", link, true}, {"Write", sub, true}, {"Write", "/dev/null", true},
		{"Read", fifo, true}, {"Read", sub, true}, {"Read", "/dev/zero", true}, {"Read", link, false},
		{"ReadNoFollow", link, true}, {"ReadNoFollow", fifo, true}, {"ReadNoFollow", reg, false},
		{"OpenNoFollow", link, true}, {"OpenNoFollow", fifo, true}, {"OpenNoFollow", reg, false},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+filepath.Base(c.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- ops[c.op](c.path) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s(%s) blocked", c.op, c.path)
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("%s(%s) = %v, want error %v", c.op, c.path, err, c.wantErr)
			}
			var nr *NotRegularError
			if c.wantErr && !errors.As(err, &nr) {
				t.Fatalf("%s(%s) = %v, want *NotRegularError", c.op, c.path, err)
			}
		})
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(reg); string(b) != "x" {
		t.Fatalf("reg changed: %q", b)
	}
}

func TestWriteReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, s := range []string{"one", "two"} {
		if err := Write(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Fatalf("got %q want %q", b, s)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if _, err := Read(p, 2); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("cap: %v", err)
	}
}
