package app

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"howett.net/plist"

	"github.com/certdesk/certdesk/store"
)

// docBlock returns the first fenced block of language lang in
// docs/managed.md.
func docBlock(t *testing.T, lang string) []byte {
	t.Helper()
	doc, err := os.ReadFile("../docs/managed.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/managed.md has no %s block", lang)
	}
	return m[1]
}

// TestManagedDocExamples: the JSON file and the macOS profile's payload of
// docs/managed.md are read without a problem and mean what the page says.
// (scripts/wine.sh imports its .reg example under Wine.)
func TestManagedDocExamples(t *testing.T) {
	check := func(name string, m *Managed, err error) {
		t.Helper()
		if err != nil || m == nil || len(m.Problems) > 0 {
			t.Fatalf("%s: %v, %v", name, m, err)
		}
		s := m.apply(DefaultSettings())
		if s.RenewalRatio != 0.7 || len(s.NotifyDays) != 3 {
			t.Errorf("%s settings %+v", name, s)
		}
		if srv := m.Servers(store.User); len(srv) != 1 || !srv[0].AutoEnroll || srv[0].CAPin == "" || len(srv[0].Templates) != 1 {
			t.Errorf("%s user servers %+v", name, srv)
		}
		if d, ok := m.metricsDir(store.Machine); !ok || !filepath.IsAbs(d) {
			t.Errorf("%s machine metricsDir %q", name, d)
		}
	}
	m, err := writeManaged(t, string(docBlock(t, "json")))
	check("json", m, err)
	if srv := m.Servers(store.Machine); len(srv) != 2 {
		t.Errorf("json machine servers %+v", srv)
	}
	if d, ok := m.metricsDir(store.User); !ok || d != MetricsOff {
		t.Errorf("json user metricsDir %q", d)
	}

	var profile struct{ PayloadContent []map[string]any }
	if _, err := plist.Unmarshal(docBlock(t, "xml"), &profile); err != nil || len(profile.PayloadContent) != 1 ||
		profile.PayloadContent[0]["PayloadType"] != ManagedAppID {
		t.Fatalf("profile: %+v, %v", profile, err)
	}
	// What macOS writes to /Library/Managed Preferences: the payload.
	data, err := plist.Marshal(profile.PayloadContent[0], plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err = readManagedPlists([]string{writePlist(t, t.TempDir(), ManagedAppID+".plist", data)})
	check("profile", m, err)
}
