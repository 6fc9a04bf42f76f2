package app

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestHistoryAppendRead(t *testing.T) {
	h := NewHistory(filepath.Join(t.TempDir(), "state", "user"), 0)
	recs := []Record{
		{Time: t0, Context: "user", Thumbprint: "AA", Subject: "CN=a", Action: ActionCheck, Outcome: OutcomeNothingDue},
		{Time: t0.Add(time.Hour), Context: "user", Thumbprint: "BB", Subject: "CN=b", Action: ActionRenew, Outcome: OutcomeFailed, Reason: "server down"},
		{Time: t0.Add(2 * time.Hour), Context: "user", Thumbprint: "BB", Subject: "CN=b", Action: ActionRenew, Outcome: OutcomeOK},
	}
	for _, r := range recs {
		if err := h.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    HistoryFilter
		want []Record
	}{
		{"all", HistoryFilter{}, recs},
		{"failed only", HistoryFilter{Outcome: OutcomeFailed}, recs[1:2]},
		{"since is inclusive", HistoryFilter{Since: t0.Add(time.Hour)}, recs[1:]},
		{"both", HistoryFilter{Outcome: OutcomeOK, Since: t0.Add(time.Hour)}, recs[2:]},
		{"nothing matches", HistoryFilter{Outcome: OutcomeDenied}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Read(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d records, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !got[i].Time.Equal(tt.want[i].Time) || got[i].Reason != tt.want[i].Reason || got[i].Outcome != tt.want[i].Outcome {
					t.Errorf("record %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	if st, err := os.Stat(h.Path()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("history file mode: %v %v", st.Mode(), err)
	}
}

func TestHistoryMissingFileAndTornLine(t *testing.T) {
	dir := t.TempDir()
	h := NewHistory(dir, 0)
	if got, err := h.Read(HistoryFilter{}); err != nil || len(got) != 0 {
		t.Fatalf("missing file: %v, %v", got, err)
	}
	// A crash mid-write leaves a partial line; later appends still work
	// and the good lines still read.
	os.WriteFile(h.Path(), []byte(`{"time":"2026-01-01T00:00:00Z","context":"user","action":"check","outcome":"ok"}`+"\n"+`{"time":"2026-01-0`), 0o600)
	if err := h.Append(Record{Time: t0, Context: "user", Action: ActionCheck, Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	got, err := h.Read(HistoryFilter{})
	if err != nil || len(got) != 2 {
		t.Errorf("got %d records (%v), want 2 (the torn line skipped)", len(got), err)
	}
}

func TestHistoryBound(t *testing.T) {
	const limit = 4096
	h := NewHistory(t.TempDir(), limit)
	for i := 0; i < 200; i++ {
		r := Record{Time: t0.Add(time.Duration(i) * time.Minute), Context: "user", Action: ActionCheck, Outcome: OutcomeOK, Reason: fmt.Sprintf("n=%d", i)}
		if err := h.Append(r); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(h.Path()); st.Size() > limit {
			t.Fatalf("after %d appends the file is %d bytes, bound %d", i+1, st.Size(), limit)
		}
	}
	got, err := h.Read(HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[len(got)-1].Reason != "n=199" {
		t.Fatalf("newest record lost: %d records", len(got))
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Time.After(got[i-1].Time) {
			t.Fatalf("records out of order or duplicated at %d", i)
		}
	}
	if got[0].Reason == "n=0" {
		t.Error("oldest record kept past the bound")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(h.Path()), ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestHistoryConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	// Two History values on one file, as a GUI and a pulse would have.
	hs := []*History{NewHistory(dir, 0), NewHistory(dir, 0)}
	const n = 100
	var wg sync.WaitGroup
	for g, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				r := Record{Time: t0, Context: "user", Thumbprint: fmt.Sprintf("G%d-%03d", g, i), Action: ActionCheck, Outcome: OutcomeOK}
				if err := h.Append(r); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got, err := hs[0].Read(HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.Thumbprint] = true
	}
	if len(got) != 2*n || len(seen) != 2*n {
		t.Errorf("read %d records, %d distinct; want %d", len(got), len(seen), 2*n)
	}
}
