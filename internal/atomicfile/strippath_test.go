package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
)

func TestStripPath(t *testing.T) {
	plain := errors.New("plain")
	tests := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"path error", &os.PathError{Op: "open", Path: "/x/f", Err: fs.ErrPermission}, "permission denied", fs.ErrPermission},
		{"wrapped path error", fmt.Errorf("reading: %w", &os.PathError{Op: "open", Path: "/x/f", Err: fs.ErrNotExist}), "file does not exist", fs.ErrNotExist},
		{"link error", &os.LinkError{Op: "rename", Old: "/x/a", New: "/x/b", Err: fs.ErrExist}, "file already exists", fs.ErrExist},
		{"other error", plain, "plain", plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StripPath(tt.err)
			if got.Error() != tt.want || !errors.Is(got, tt.is) {
				t.Errorf("StripPath(%v) = %q, want %q (still %v)", tt.err, got, tt.want, tt.is)
			}
		})
	}
	if StripPath(nil) != nil {
		t.Error("StripPath(nil) != nil")
	}
}
