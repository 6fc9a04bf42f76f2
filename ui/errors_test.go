package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// TestExplain: an error dialog starts with the readable cause and what to
// do, never with the chain of Go contexts (issue #15).
func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"chain", fmt.Errorf("enroll user: request: %w", errors.New("enroll: no CES of the policy answered")), "No CES of the policy answered."},
		{"timeout", fmt.Errorf("post https://ces/: %w", context.DeadlineExceeded), "The server did not answer in time. Check the network connection and try again."},
		{"denied", fmt.Errorf("%w: template denied", enroll.ErrDenied), "The CA refused the request."},
		{"pipe", fmt.Errorf("export: %w", &atomicfile.NotRegularError{Path: "/tmp/out.pfx", Mode: fs.ModeNamedPipe}), "“out.pfx” is a named pipe (FIFO), not a file. Choose another name."},
		{"import", &store.ImportError{File: "x.cer", Reason: "the file is empty", Err: store.ErrEmpty}, "The file is empty."},
		{"permission", fmt.Errorf("write /etc/x: %w", fs.ErrPermission), "certdesk is not allowed to do this here."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := explain(tt.err); !strings.HasPrefix(got, tt.want) {
				t.Errorf("explain = %q, want %q…", got, tt.want)
			}
		})
	}
}

// TestErrorDialog: the title says what failed, the body the cause, and
// the chain hides under Details; "Something went wrong" is gone.
func TestErrorDialog(t *testing.T) {
	_, _, w, _ := newTestMain(t)
	showError(w, "The certificate could not be deleted.", fmt.Errorf("delete user/My ABC: %w", errors.New("store: the index is locked by another certdesk")))
	got := overlayText(t, w)
	for _, want := range []string{"The certificate could not be deleted", "The index is locked by another certdesk.", "Details"} {
		if !strings.Contains(got, want) {
			t.Errorf("dialog %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "Something went wrong") || strings.HasPrefix(got, "delete user/My") {
		t.Errorf("dialog %q", got)
	}
}
