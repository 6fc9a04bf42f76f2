package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// mapPrefs is the map-backed Prefs fake, behaving like fyne.Preferences:
// missing keys read as zero values.
type mapPrefs map[string]any

func (m mapPrefs) String(k string) string       { s, _ := m[k].(string); return s }
func (m mapPrefs) SetString(k, v string)        { m[k] = v }
func (m mapPrefs) Bool(k string) bool           { b, _ := m[k].(bool); return b }
func (m mapPrefs) SetBool(k string, v bool)     { m[k] = v }
func (m mapPrefs) Int(k string) int             { i, _ := m[k].(int); return i }
func (m mapPrefs) SetInt(k string, v int)       { m[k] = v }
func (m mapPrefs) Float(k string) float64       { f, _ := m[k].(float64); return f }
func (m mapPrefs) SetFloat(k string, v float64) { m[k] = v }

func TestLoadSettings(t *testing.T) {
	tests := []struct {
		name  string
		prefs mapPrefs
		want  func(*Settings)
	}{
		{"empty prefs give defaults", mapPrefs{}, func(*Settings) {}},
		{"saved values", mapPrefs{prefCheckInterval: 60, prefRenewalRatio: 0.66, prefNotifyDays: "10,2", prefStartInTray: true, prefDefaultContext: "machine"},
			func(s *Settings) {
				s.CheckInterval, s.RenewalRatio, s.NotifyDays, s.StartInTray, s.DefaultContext = time.Hour, 0.66, []int{10, 2}, true, "machine"
			}},
		{"no notifications", mapPrefs{prefNotifyDays: "none"}, func(s *Settings) { s.NotifyDays = []int{} }},
		{"publish issued on", mapPrefs{prefPublishIssued: "on"}, func(s *Settings) { s.PublishIssued = true }},
		{"publish issued off", mapPrefs{prefPublishIssued: "off"}, func(s *Settings) { s.PublishIssued = false }},
		{"interval too short ignored", mapPrefs{prefCheckInterval: 1}, func(*Settings) {}},
		{"ratio out of range ignored", mapPrefs{prefRenewalRatio: 1.5}, func(*Settings) {}},
		{"bad days ignored", mapPrefs{prefNotifyDays: "30,x"}, func(*Settings) {}},
		{"negative day ignored", mapPrefs{prefNotifyDays: "30,-1"}, func(*Settings) {}},
		{"unknown context ignored", mapPrefs{prefDefaultContext: "nobody"}, func(*Settings) {}},
		{"metrics dir", mapPrefs{prefMetricsDir: "/srv/metrics"}, func(s *Settings) { s.MetricsDir = "/srv/metrics" }},
		{"relative metrics dir ignored", mapPrefs{prefMetricsDir: "metrics"}, func(*Settings) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := DefaultSettings()
			tt.want(&want)
			if got := LoadSettings(tt.prefs); !reflect.DeepEqual(got, want) {
				t.Errorf("LoadSettings = %+v, want %+v", got, want)
			}
		})
	}
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Settings)
		wantErr string
	}{
		{"defaults are valid", func(*Settings) {}, ""},
		{"interval too short", func(s *Settings) { s.CheckInterval = time.Minute }, "check interval"},
		{"interval too long", func(s *Settings) { s.CheckInterval = 30 * 24 * time.Hour }, "check interval"},
		{"ratio one", func(s *Settings) { s.RenewalRatio = 1 }, "renewal ratio"},
		{"day zero", func(s *Settings) { s.NotifyDays = []int{0} }, "notification day"},
		{"no context", func(s *Settings) { s.DefaultContext = "" }, "default context"},
		{"unknown context", func(s *Settings) { s.DefaultContext = "nobody" }, "default context"},
		{"metrics off", func(s *Settings) { s.MetricsDir = MetricsOff }, ""},
		{"metrics relative", func(s *Settings) { s.MetricsDir = "metrics" }, "not an absolute path"},
		{"metrics control character", func(s *Settings) { s.MetricsDir = "/tmp/a\nb" }, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.change(&s)
			err := s.Validate()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	s := Settings{CheckInterval: 2 * time.Hour, RenewalRatio: 0.7, NotifyDays: []int{}, StartInTray: true, DefaultContext: "app:demo",
		PublishIssued: !nativeOS, MetricsDir: "/srv/metrics"} // the opposite of the default, so it must be saved to come back
	if got := s.RenewalWindow().Ratio; got != 0.7 {
		t.Errorf("RenewalWindow().Ratio = %v", got)
	}
	m := mapPrefs{}
	s.Save(m)
	if got := LoadSettings(m); !reflect.DeepEqual(got, s) {
		t.Errorf("map prefs round trip = %+v, want %+v", got, s)
	}

	path := filepath.Join(t.TempDir(), "config", "settings.json")
	fp, err := OpenFilePrefs(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Save(fp)
	if err := fp.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := OpenFilePrefs(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := LoadSettings(back); !reflect.DeepEqual(got, s) {
		t.Errorf("file prefs round trip = %+v, want %+v", got, s)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("prefs file mode %v, %v", st.Mode(), err)
	}
}

func TestOpenFilePrefsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	p, err := OpenFilePrefs(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || p == nil || p.Int("x") != 0 {
		t.Errorf("bad JSON: %v, %v; want an error naming the file and empty prefs", p, err)
	}
	// Settings chosen now save over the damaged file.
	p.SetInt("x", 7)
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	if back, err := OpenFilePrefs(bad); err != nil || back.Int("x") != 7 {
		t.Errorf("after saving over it: %v, %v", back, err)
	}
	p, err = OpenFilePrefs(filepath.Join(dir, "missing.json"))
	if err != nil || p.String("x") != "" || p.Int("x") != 0 || p.Bool("x") {
		t.Errorf("missing file: %v", err)
	}
}

// filePrefsCore returns a core whose settings live in a fresh
// settings.json, and that file's path.
func filePrefsCore(t *testing.T) (*Core, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "settings.json")
	fp, err := OpenFilePrefs(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), Prefs: fp})
	if err != nil {
		t.Fatal(err)
	}
	return c, path
}

// TestSetSettingsWritesFile: a core over FilePrefs (the GUI's and the
// command line's settings.json) writes the file when settings change, so
// the scheduled pulse sees what the person chose in the GUI.
func TestSetSettingsWritesFile(t *testing.T) {
	c, path := filePrefsCore(t)
	s := c.Settings()
	s.RenewalRatio, s.PublishIssued = 0.6, !s.PublishIssued
	if err := c.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	back, err := OpenFilePrefs(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := LoadSettings(back); got.RenewalRatio != 0.6 || got.PublishIssued != s.PublishIssued {
		t.Fatalf("settings.json holds %+v", got)
	}
}
