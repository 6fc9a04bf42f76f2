package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/internal/demo"
	"github.com/certdesk/certdesk/store"
)

// The tests of this file check that the GUI presents the core's rules
// rather than deciding them again: for each rule the GUI's verdict or text
// is the one the command line gets from the core.

// newMemCore returns a real core over a temporary root whose keys are
// wrapped under an in-memory keyring.
func newMemCore(t *testing.T) *app.Core {
	t.Helper()
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Keyring: demo.NewMemoryKeyring(),
		Clock: fixedClock{}})
	if err != nil {
		t.Fatal(err)
	}
	return core
}

// fixedClock is testNow.
type fixedClock struct{}

func (fixedClock) Now() time.Time { return testNow }

// TestDNSNamesAgree: the wizard accepts exactly the DNS names the core
// (certdesk request new -dns, certdesk enroll -dns) accepts.
func TestDNSNamesAgree(t *testing.T) {
	core := newMemCore(t)
	label := strings.Repeat("a", 63)
	long253 := strings.Join([]string{label, label, label, strings.Repeat("b", 61)}, ".")
	tests := []struct {
		name string
		ok   bool
	}{
		{"kiosk01.corp.example.com", true},
		{"kiosk01", true},
		{"*.corp.example.com", true},
		{"a.", false},
		{"-x", false},
		{"x-", false},
		{"x_y", false},
		{"a..b", false},
		{"*", false},
		{"a.*.b", false},
		{strings.Repeat("a", 64), false},
		{long253, true},
		{long253 + "c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name[:min(len(tt.name), 20)], func(t *testing.T) {
			gui := validateDNSNames(tt.name) == nil
			_, _, err := core.RequestNew(context.Background(), store.User,
				app.OfflineRequest{Subject: "CN=test", DNSNames: []string{tt.name}, Key: "p256"})
			cli := err == nil
			if gui != tt.ok || cli != tt.ok {
				t.Errorf("%q (%d chars): wizard %v, core %v (%v), want %v", tt.name, len(tt.name), gui, cli, err, tt.ok)
			}
		})
	}
}
