package ui

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/cli"
	"github.com/certdesk/certdesk/internal/demo"
	"github.com/certdesk/certdesk/store"
)

// The tests of this file check that the GUI presents the core's rules
// rather than deciding them again: for each rule the GUI's verdict or text
// is the one the command line gets from the core.

// newMemCore returns a real core over root (a temporary directory when
// ""), at testNow, whose keys are wrapped under an in-memory keyring.
func newMemCore(t *testing.T, root string) *app.Core {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	core, err := app.New(app.Options{Location: store.LocationAt(root), Keyring: demo.NewMemoryKeyring(),
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
	core := newMemCore(t, "")
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

// TestWizardTemplatesAreUsable: the wizard lists the policy's templates
// that app.UsableTemplates keeps (those "certdesk templates" marks enroll),
// in order; not the ones this account may not enroll, that need key
// archival or an RA signature, or whose key certdesk cannot make.
func TestWizardTemplatesAreUsable(t *testing.T) {
	archived := enroll.Template{CommonName: "Archived", Enroll: true, Flags: enroll.Flags{RequireKeyArchival: true}}
	noEnroll := enroll.Template{CommonName: "NoEnroll"}
	dsa := enroll.Template{CommonName: "DSA", Enroll: true, KeyAlgorithm: "1.2.840.10040.4.1"}
	ra := enroll.Template{CommonName: "Agent", Enroll: true, RARequirements: &enroll.RARequirements{Signatures: 1}}
	all := []enroll.Template{archived, userTmpl, noEnroll, dsa, webTmpl, ra}
	_, _, z := startWizard(t, fakeEnroll{servers: []app.Server{corpServer}, templates: all})
	test.Tap(z.next)
	var want []string
	for _, tmpl := range app.UsableTemplates(&enroll.Policies{Templates: all}) {
		want = append(want, tmpl.CommonName)
	}
	if !slices.Equal(z.templatePick.Options, want) || !slices.Equal(want, []string{"User", "WebServer"}) {
		t.Errorf("the wizard offers %q, the core %q", z.templatePick.Options, want)
	}
}

// TestHistoryOutcomesAgree: the history view words every outcome as
// "certdesk history" does (app.Outcome.Text), and its filter offers each.
func TestHistoryOutcomesAgree(t *testing.T) {
	v, _, _, _ := newTestMain(t)
	for _, o := range app.Outcomes {
		if got, _ := outcomeLabel(o); got != o.Text() {
			t.Errorf("%s: the GUI says %q, the CLI %q", o, got, o.Text())
		}
		if !slices.Contains(v.history.filter.Options, o.Text()) {
			t.Errorf("the filter lacks %q", o.Text())
		}
	}
}

// TestHistoryWordsAgreeWithCLI: over the same history file, the history
// view and "certdesk history" word every outcome alike.
func TestHistoryWordsAgreeWithCLI(t *testing.T) {
	test.NewTempApp(t)
	root := t.TempDir()
	core := newMemCore(t, root)
	h, err := core.History(store.User)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range app.Outcomes {
		r := app.Record{Time: testNow.Add(time.Duration(i) * time.Minute), Context: "user", Subject: "CN=cert" + strconv.Itoa(i),
			Action: app.ActionRenew, Outcome: o}
		if err := h.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(store.RootEnv, root)
	var out, errb bytes.Buffer
	if code := cli.Run([]string{"history", "-context", "user"}, strings.NewReader(""), &out, &errb, nil); code != 0 {
		t.Fatalf("certdesk history: %d %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")[1:] // oldest first, after the header
	v := newHistoryView(newAppCore(core, nil), &tasks{inline: true}, func() store.Context { return store.User })
	v.reload()
	if len(v.records) != len(app.Outcomes) || len(lines) != len(app.Outcomes) {
		t.Fatalf("GUI %d records, CLI %d lines: %s", len(v.records), len(lines), out.String())
	}
	cell := widget.NewLabel("")
	for i := range v.records {
		v.update(widget.TableCellID{Row: i, Col: 3}, cell)
		line := lines[len(lines)-1-i] // the view is newest first
		if !strings.Contains(line, "  "+cell.Text+"  ") {
			t.Errorf("the GUI says %q, the CLI %q", cell.Text, line)
		}
	}
}
