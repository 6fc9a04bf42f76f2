package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/certdesk/certdesk/app"
)

// TestHowTo: the core's errors say what failed; the command line adds
// what to do, once, also through wrapping.
func TestHowTo(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"needs root", app.ErrNeedsRoot, "changing the system-wide trust store needs root: run the command as root (sudo certdesk ...)"},
		{"needs root with cause", fmt.Errorf("%w (%v)", app.ErrNeedsRoot, fs.ErrPermission),
			"changing the system-wide trust store needs root (permission denied): run the command as root (sudo certdesk ...)"},
		{"browsers use the system store", app.ErrBrowsersUseSystem, app.ErrBrowsersUseSystem.Error() + ": publish -to system instead"},
		{"no server", fmt.Errorf("%w %q in the user context", app.ErrNoServer, "x"),
			`no such policy server "x" in the user context (see "certdesk server list")`},
		{"no template", fmt.Errorf("server s: %w %q", app.ErrNoTemplate, "Web"),
			`server s: the policy lists no template "Web" (see "certdesk templates -server ID")`},
		{"no password", fmt.Errorf("%w for s", app.ErrNoPassword),
			`no saved password for s (save one with "certdesk server set ID -password-stdin")`},
		{"nothing to add", errors.New("boom"), "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := explain(tt.err); got != tt.want {
				t.Errorf("explain = %q, want %q", got, tt.want)
			}
			var stderr bytes.Buffer
			c := &cmd{stderr: &stderr}
			if code := c.fail(tt.err); code != exitFail || stderr.String() != "certdesk: "+tt.want+"\n" {
				t.Errorf("fail: %d %q", code, stderr.String())
			}
		})
	}
}
