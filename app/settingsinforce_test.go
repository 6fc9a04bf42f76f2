package app

import (
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// TestSetSettingsKeepsIntervalInForce: a core started with an interval
// outside the person's range (the demo's 30 s) still saves the person's
// other changes; a new interval out of range is refused.
func TestSetSettingsKeepsIntervalInForce(t *testing.T) {
	s := DefaultSettings()
	s.CheckInterval = 30 * time.Second
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	s.RenewalRatio = 0.6
	if err := c.SetSettings(s); err != nil {
		t.Fatalf("saving with the interval in force: %v", err)
	}
	if got := c.Settings(); got.RenewalRatio != 0.6 || got.CheckInterval != 30*time.Second {
		t.Fatalf("settings now %+v", got)
	}
	s.CheckInterval = 20 * time.Second
	if err := c.SetSettings(s); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("a new interval of 20s: %v", err)
	}
	s.CheckInterval = time.Hour
	if err := c.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	s.CheckInterval = 30 * time.Second
	if err := c.SetSettings(s); err == nil {
		t.Fatal("30s accepted once another interval is in force")
	}
}
