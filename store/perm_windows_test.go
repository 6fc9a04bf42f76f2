package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// TestWindowsPrivateDirs: the machine context's directory carries a
// protected DACL (SYSTEM, Administrators) that the key files inherit,
// so no other user can read them, as 0700/0600 ensure on Unix.
func TestWindowsPrivateDirs(t *testing.T) {
	if windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil {
		t.Skip("Wine accepts file DACLs but does not keep them: this needs Windows")
	}
	root, err := os.MkdirTemp("", "certdesk-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // file by file: Wine refuses Go's RemoveAll
		var paths []string
		filepath.WalkDir(root, func(p string, _ fs.DirEntry, _ error) error { paths = append(paths, p); return nil })
		for i := len(paths) - 1; i >= 0; i-- {
			os.Remove(paths[i])
		}
	})
	s, err := Open(LocationAt(root), Machine)
	if err != nil {
		t.Fatal(err)
	}
	p := newPKI(t)
	leaf, key := p.leaf(t, "machine.example")
	if _, _, err := s.Add(context.Background(), My, leaf, key, Meta{}); err != nil {
		t.Fatal(err)
	}
	dacl := func(path string) string {
		sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			t.Fatal(err)
		}
		return sd.String()
	}
	if got := dacl(s.Dir()); !strings.HasPrefix(got, "D:P") || !strings.Contains(got, ";;;SY)") || !strings.Contains(got, ";;;BA)") || strings.Contains(got, ";;;OW)") {
		t.Fatalf("%s: DACL %s", s.Dir(), got)
	}
	dir := filepath.Join(s.Dir(), "stores", "My")
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("%s holds %v, %v", dir, ents, err)
	}
	for _, e := range ents {
		got := dacl(filepath.Join(dir, e.Name()))
		for _, other := range []string{";;;BU)", ";;;WD)", ";;;AU)", ";;;IU)"} {
			if strings.Contains(got, other) {
				t.Fatalf("%s: DACL %s lets others in", e.Name(), got)
			}
		}
	}
}
