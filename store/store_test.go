package store

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseContextAndName(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"user", "user", true},
		{"machine", "machine", true},
		{"app", "app:com.example.kiosk", true},
		{"app empty", "app:", false},
		{"app traversal", "app:../x", false},
		{"app slash", "app:a/b", false},
		{"unknown", "system", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseContext(tt.in); (err == nil) != tt.ok {
				t.Errorf("ParseContext(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
	names := []struct {
		in, want string
		ok       bool
	}{{"my", "My", true}, {"ROOT", "Root", true}, {"Backup_2", "Backup_2", true}, {"..", "", false}, {"a/b", "", false}, {"", "", false}}
	for _, tt := range names {
		t.Run("name "+tt.in, func(t *testing.T) {
			n, err := ParseName(tt.in)
			if (err == nil) != tt.ok || string(n) != tt.want {
				t.Errorf("ParseName(%q) = %q, %v", tt.in, n, err)
			}
		})
	}
}

func TestEntryLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "host.example")

	// Open created nothing; the first Add creates the directories.
	e, ch, err := s.Add(ctx, My, leaf, nil, Meta{FriendlyName: "host"})
	if err != nil || ch != Added || e.HasKey {
		t.Fatalf("Add cert = %+v, %v, %v", e, ch, err)
	}
	if _, ch, _ := s.Add(ctx, My, leaf, nil, Meta{}); ch != Unchanged {
		t.Errorf("second Add = %v, want unchanged", ch)
	}
	if _, ch, err := s.Add(ctx, My, leaf, key, Meta{}); ch != Attached || err != nil {
		t.Errorf("Add with key = %v, %v, want attached", ch, err)
	}
	other := newKey(t)
	if _, _, err := s.Add(ctx, My, leaf, other, Meta{}); err == nil {
		t.Error("Add with a foreign key succeeded")
	}
	got, err := s.Get(ctx, My, strings.ToLower(e.Thumbprint))
	if err != nil || !got.HasKey || got.Meta.FriendlyName != "host" || got.Certificate == nil {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	signer, err := s.Signer(ctx, My, e.Thumbprint)
	if err != nil || !key.PublicKey.Equal(signer.Public()) {
		t.Fatalf("Signer: %v", err)
	}
	if _, err := s.UpdateMeta(ctx, My, e.Thumbprint, func(m *Meta) error {
		m.TemplateName = "Web"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	es, err := s.List(ctx, My, ListOptions{})
	if err != nil || len(es) != 1 || es[0].Meta.TemplateName != "Web" || es[0].SubjectCN != "host.example" || es[0].KeyType != "ECDSA" {
		t.Fatalf("List = %+v, %v", es, err)
	}
	if err := s.Delete(ctx, My, e.Thumbprint); err != nil {
		t.Fatal(err)
	}
	if es, _ := s.List(ctx, My, ListOptions{}); len(es) != 0 {
		t.Errorf("archived entry listed by default")
	}
	if es, _ := s.List(ctx, My, ListOptions{IncludeArchived: true}); len(es) != 1 || !es[0].Meta.Archived {
		t.Errorf("archived entry missing with IncludeArchived")
	}
	if _, ch, err := s.Add(ctx, My, leaf, nil, Meta{}); ch != Added || err != nil {
		t.Errorf("re-adding an archived entry = %v, %v; want added", ch, err)
	}
	if es, _ := s.List(ctx, My, ListOptions{}); len(es) != 1 || !es[0].HasKey || es[0].Meta.FriendlyName != "host" {
		t.Errorf("restored entry = %+v", es)
	}
	if err := s.Purge(ctx, My, e.Thumbprint); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, My, e.Thumbprint); !errors.Is(err, ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Get after Purge: %v", err)
	}
	if r, err := s.Verify(ctx); err != nil || len(r.Problems) != 0 {
		t.Errorf("Verify = %+v, %v", r, err)
	}
}

func TestAddRequest(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	k := newKey(t)
	e, err := s.AddRequest(ctx, k, pkixName("pending.example"), Meta{RequestID: "42", PollURL: "https://ces.example/"})
	if err != nil || e.Store != Request || !e.HasKey || !e.SelfSigned || e.Meta.RequestID != "42" {
		t.Fatalf("AddRequest = %+v, %v", e, err)
	}
	signer, err := s.Signer(ctx, Request, e.Thumbprint)
	if err != nil || !k.PublicKey.Equal(signer.Public()) {
		t.Fatalf("Signer: %v", err)
	}
}

func TestIndexRebuild(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	for i := range 3 {
		c, _ := p.leaf(t, "h"+string(rune('a'+i)))
		if _, _, err := s.Add(ctx, My, c, nil, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	dir := s.storeDir(My)
	tests := []struct {
		name   string
		break_ func()
	}{
		{"index missing", func() { os.Remove(filepath.Join(dir, indexName)) }},
		{"index corrupt", func() { os.WriteFile(filepath.Join(dir, indexName), []byte("{garbage"), 0o600) }},
		{"stale with marker", func() {
			writeIndex(dir, nil)
			os.WriteFile(filepath.Join(dir, dirtyName), nil, 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.break_()
			es, err := s.List(ctx, My, ListOptions{})
			if err != nil || len(es) != 3 {
				t.Fatalf("List = %d entries, %v", len(es), err)
			}
			if _, err := os.Stat(filepath.Join(dir, dirtyName)); err == nil {
				t.Error("marker not cleared")
			}
		})
	}
	t.Run("verify finds stale index without marker", func(t *testing.T) {
		writeIndex(dir, nil)
		r, err := s.Verify(ctx)
		if err != nil || r.Damaged() || len(r.Problems) != 1 || !r.Problems[0].Repaired {
			t.Fatalf("Verify = %+v, %v", r, err)
		}
		if es, _ := s.List(ctx, My, ListOptions{}); len(es) != 3 {
			t.Errorf("index not rebuilt: %d", len(es))
		}
	})
	t.Run("verify reports a damaged entry", func(t *testing.T) {
		es, _ := s.List(ctx, My, ListOptions{})
		os.WriteFile(filepath.Join(dir, entryName(es[0].Thumbprint)), []byte("{"), 0o600)
		r, err := s.Verify(ctx)
		if err != nil || !r.Damaged() {
			t.Fatalf("Verify = %+v, %v", r, err)
		}
	})
}

func TestExpiryStatus(t *testing.T) {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	na := nb.AddDate(1, 0, 0)
	tests := []struct {
		name string
		now  time.Time
		want Expiry
	}{
		{"before", nb.Add(-time.Second), NotYetValid},
		{"valid", nb.AddDate(0, 6, 0), Valid},
		{"expiring", na.AddDate(0, 0, -10), Expiring},
		{"expired", na.Add(time.Second), Expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpiryStatus(nb, na, tt.now, 30*24*time.Hour); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "chain.example")
	e, _, err := s.Add(ctx, My, leaf, key, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		add      func()
		valid    bool
		n        int
		lastStat string
	}{
		{"no issuer", func() {}, false, 1, "issuer not found"},
		{"intermediate only", func() { s.Add(ctx, CA, p.inter, nil, Meta{}) }, false, 2, "issuer not found"},
		{"untrusted root", func() { s.Add(ctx, CA, p.root, nil, Meta{}) }, false, 3, "untrusted root"},
		{"trusted", func() { s.Purge(ctx, CA, Thumbprint(p.root.Raw)); s.Add(ctx, Root, p.root, nil, Meta{}) }, true, 3, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.add()
			ch, err := s.Chain(ctx, My, e.Thumbprint, time.Now())
			if err != nil || ch.Valid != tt.valid || len(ch.Elements) != tt.n || ch.Elements[tt.n-1].Status != tt.lastStat {
				t.Fatalf("Chain = %+v, %v", ch, err)
			}
		})
	}
}

// TestVerifyDamagedKey: a key blob that cannot be a key (unknown
// protection, a nonce of the wrong size, a plain key that does not parse)
// is damage, found by Verify before an export trips over it.
func TestVerifyDamagedKey(t *testing.T) {
	tests := []struct {
		name string
		blob string
	}{
		{"unknown protection", `{"protection":"bogus","data":"AAAA"}`},
		{"short nonce", `{"protection":"aes-256-gcm","nonce":"AAAA","data":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`},
		{"plain garbage", `{"protection":"none","data":"AAAA"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestStore(t)
			p := newPKI(t)
			leaf, key := p.leaf(t, "k")
			if _, _, err := s.Add(ctx, My, leaf, key, Meta{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(s.storeDir(My), entryName(Thumbprint(leaf.Raw)))
			var ef map[string]json.RawMessage
			b, _ := os.ReadFile(path)
			if err := json.Unmarshal(b, &ef); err != nil || ef["key"] == nil {
				t.Fatalf("entry file without a key: %s", b)
			}
			ef["key"] = json.RawMessage(tt.blob)
			b, _ = json.Marshal(ef)
			os.WriteFile(path, b, 0o600)
			r, err := s.Verify(ctx)
			if err != nil || !r.Damaged() {
				t.Fatalf("Verify = %+v, %v; want the key reported", r, err)
			}
		})
	}
}
