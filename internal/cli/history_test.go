package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
)

func TestHistoryCLI(t *testing.T) {
	root := t.TempDir()
	t.Setenv("CERTDESK_ROOT", root)
	h := app.NewHistory(filepath.Join(root, "state", "user"), 0)
	t1 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, r := range []app.Record{
		{Time: t1, Context: "user", Thumbprint: "AA11", Subject: "CN=laptop", Action: app.ActionCheck, Outcome: app.OutcomeNothingDue},
		{Time: t1.Add(time.Hour), Context: "user", Thumbprint: "AA11", Subject: "CN=laptop", Action: app.ActionRenew, Outcome: app.OutcomeFailed, Reason: "ces.example.com: connection refused"},
	} {
		if err := h.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	// An app context's history is read from its own state directory.
	ah := app.NewHistory(filepath.Join(root, "state", "apps", "org.example"), 0)
	if err := ah.Append(app.Record{Time: t1, Context: "app:org.example", Subject: "CN=app-only", Action: app.ActionEnroll, Outcome: app.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
		absent   []string
	}{
		{"table", []string{"history"}, 0, []string{"TIME", "OUTCOME", "Nothing due", "Failed", "CN=laptop", "connection refused"}, nil},
		{"filter", []string{"history", "-outcome", "failed"}, 0, []string{"connection refused"}, []string{"Nothing due"}},
		{"empty context", []string{"history", "-context", "machine"}, 0, []string{"no history for the machine context"}, nil},
		{"app context", []string{"history", "-context", "app:org.example"}, 0, []string{"CN=app-only"}, []string{"CN=laptop"}},
		{"empty json", []string{"history", "-context", "app:x", "-json"}, 0, []string{"[]"}, nil},
		{"bad outcome", []string{"history", "-outcome", "meh"}, 2, nil, nil},
		{"bad context", []string{"history", "-context", "nope"}, 2, nil, nil},
		{"app traversal", []string{"history", "-context", "app:.."}, 2, nil, nil},
		{"stray argument", []string{"history", "x"}, 2, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
		})
	}

	// The -json shape is a contract (docs/renewal.md): field names and
	// omitted empty fields.
	out, _, code := runCLI(t, "history", "-json")
	if code != 0 {
		t.Fatal(code)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("json: %v, %d records\n%s", err, len(recs), out)
	}
	want := map[string]any{"time": "2026-03-01T13:00:00Z", "context": "user", "thumbprint": "AA11", "subject": "CN=laptop",
		"action": "renew", "outcome": "failed", "reason": "ces.example.com: connection refused"}
	for k, v := range want {
		if recs[1][k] != v {
			t.Errorf("json %s = %v, want %v", k, recs[1][k], v)
		}
	}
	if len(recs[1]) != len(want) {
		t.Errorf("json record has fields %v", recs[1])
	}
	if _, ok := recs[0]["reason"]; ok {
		t.Error("empty reason not omitted")
	}
}
