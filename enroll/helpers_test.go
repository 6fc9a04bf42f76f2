package enroll

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorsDir finds ../shared/vectors next to the repository by walking up
// from the package directory; the vectors are never copied into the project.
func vectorsDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "vectors")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("shared/vectors not found next to the repository")
		}
		dir = parent
	}
}

// vector reads a vector file and applies repairs, pairs of old and new
// strings; each repair must apply, so a fixed upstream file is noticed.
func vector(tb testing.TB, name string, repairs ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(repairs); i += 2 {
		if !strings.Contains(s, repairs[i]) {
			tb.Fatalf("%s: repair %q no longer applies", name, repairs[i])
		}
		s = strings.ReplaceAll(s, repairs[i], repairs[i+1])
	}
	return []byte(s)
}

func u32(v uint32) *uint32 { return &v }
