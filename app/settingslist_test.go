package app

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

func TestListSettingsDefaults(t *testing.T) {
	list := ListSettings(DefaultSettings(), store.User)
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
		if s.Source != SourceDefault || s.Value != s.Default || s.Description == "" {
			t.Errorf("%+v: want the default, described", s)
		}
	}
	if !reflect.DeepEqual(names, SettingNames()) {
		t.Errorf("names %q", names)
	}
	byName := func(l []SettingInfo, n string) SettingInfo {
		for _, s := range l {
			if s.Name == n {
				return s
			}
		}
		t.Fatalf("no setting %s", n)
		return SettingInfo{}
	}
	if s := byName(list, "checkInterval"); s.Value != "8h" {
		t.Errorf("checkInterval shown as %q", s.Value)
	}
	if s := byName(list, "metricsDir"); s.Value != MetricsOff {
		t.Errorf("user metricsDir %q, want off", s.Value)
	}
	if s := byName(ListSettings(DefaultSettings(), store.Machine), "metricsDir"); s.Value != orOff(defaultMachineMetricsDir) || s.Source != SourceDefault {
		t.Errorf("machine metricsDir %+v", s)
	}
	// Off chosen by the person for a context whose default is off is
	// still the person's.
	off := DefaultSettings()
	off.MetricsDir = MetricsOff
	if s := byName(ListSettings(off, store.User), "metricsDir"); s.Source != SourcePerson {
		t.Errorf("metricsDir off: source %s", s.Source)
	}
}

func TestParseSetting(t *testing.T) {
	tests := []struct {
		name, value string
		want        func(*Settings)
		wantErr     string
	}{
		{"checkInterval", "90m", func(s *Settings) { s.CheckInterval = 90 * time.Minute }, ""},
		{"checkInterval", "1m", nil, "out of range"},
		{"checkInterval", "often", nil, "not a duration"},
		{"renewalRatio", "0.7", func(s *Settings) { s.RenewalRatio = 0.7 }, ""},
		{"renewalRatio", "75%", func(s *Settings) { s.RenewalRatio = 0.75 }, ""},
		{"renewalRatio", "1", nil, "out of range"},
		{"renewalRatio", "most", nil, "not a number"},
		{"notifyDays", "3, 14,3", func(s *Settings) { s.NotifyDays = []int{14, 3} }, ""},
		{"notifyDays", "", func(s *Settings) { s.NotifyDays = []int{} }, ""},
		{"notifyDays", "none", func(s *Settings) { s.NotifyDays = []int{} }, ""},
		{"notifyDays", "400", nil, "out of range"},
		{"notifyDays", "7,x", nil, "not a whole number"},
		{"startInTray", "true", func(s *Settings) { s.StartInTray = true }, ""},
		{"startInTray", "maybe", nil, "true or false"},
		{"defaultContext", "machine", func(s *Settings) { s.DefaultContext = "machine" }, ""},
		{"defaultContext", "everyone", nil, "unknown context"},
		{"publishIssued", "off", func(s *Settings) { s.PublishIssued = false }, ""},
		{"metricsDir", "/srv/metrics", func(s *Settings) { s.MetricsDir = "/srv/metrics" }, ""},
		{"metricsDir", "off", func(s *Settings) { s.MetricsDir = MetricsOff }, ""},
		{"metricsDir", "default", func(s *Settings) { s.MetricsDir = "" }, ""},
		{"metricsDir", "relative/dir", nil, "not an absolute path"},
		{"checkInterval", "default", func(s *Settings) {}, ""},
		{"colour", "blue", nil, "unknown setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			start := DefaultSettings()
			start.MetricsDir = "/old"
			start.CheckInterval = 2 * time.Hour
			got, err := ParseSetting(start, tt.name, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line containing %q", err, tt.wantErr)
				}
				if !reflect.DeepEqual(got, start) {
					t.Errorf("a refused value changed the settings: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := start
			if tt.value == "default" && tt.name == "checkInterval" {
				want.CheckInterval = DefaultCheckInterval
			}
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestSetSettingBadValueChangesNothing(t *testing.T) {
	c, path := filePrefsCore(t)
	if err := c.SetSetting("renewalRatio", "0.6"); err != nil {
		t.Fatal(err)
	}
	before := c.Settings()
	if err := c.SetSetting("renewalRatio", "2"); err == nil {
		t.Fatal("ratio 2 accepted")
	}
	back, _ := OpenFilePrefs(path)
	if got := LoadSettings(back); !reflect.DeepEqual(got, before) || !reflect.DeepEqual(c.Settings(), before) || got.RenewalRatio != 0.6 {
		t.Errorf("a refused value changed the settings: %+v", got)
	}
}
