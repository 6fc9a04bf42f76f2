package ui

import (
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
)

// TestServersViewManaged: a server of the managed configuration is marked
// "Set by your organisation" in the list, and cannot be edited, removed
// or have its autoenrollment changed; the person's own server can.
func TestServersViewManaged(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	managed := corpServer
	managed.Managed, managed.AutoEnroll = true, true
	own := corpServer
	own.ID, own.URL = "e5f6", "https://own.example.com/CEP"
	c.enroll.servers = []app.Server{managed, own}
	s := v.servers
	s.reload()
	if got := serverDetail(s.servers[0]); !strings.HasPrefix(got, managedHint+" · ") {
		t.Errorf("managed detail %q", got)
	}
	if got := serverDetail(s.servers[1]); strings.Contains(got, managedHint) {
		t.Errorf("own detail %q", got)
	}
	s.list.Select(0)
	if !s.edit.Disabled() || !s.remove.Disabled() || !s.autoEnroll.Disabled() || !s.autoEnroll.Checked || s.test.Disabled() {
		t.Errorf("managed: edit %v remove %v autoenroll %v/%v test %v disabled", s.edit.Disabled(), s.remove.Disabled(),
			s.autoEnroll.Disabled(), s.autoEnroll.Checked, s.test.Disabled())
	}
	s.list.Select(1)
	if s.edit.Disabled() || s.remove.Disabled() || s.autoEnroll.Disabled() {
		t.Error("the person's own server is read-only")
	}
}
