package store

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// frames counts the complete frames of the journal of dir.
func frames(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, journalName))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := (&indexReader{s: string(b)}); len(r.s) > 0; n++ {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.s)) {
			t.Fatalf("frame %d cut short", n)
		}
		r.s = r.s[l:]
	}
	return n
}

func TestJournalDecode(t *testing.T) {
	a := Entry{Store: My, Thumbprint: strings.Repeat("A", 40), SANs: []string{"DNS:a"}}
	b := Entry{Store: My, Thumbprint: strings.Repeat("B", 40)}
	c := Entry{Store: My, Thumbprint: strings.Repeat("C", 40)}
	b2 := b
	b2.Meta.Archived = true
	one := encodeFrame([]logRow{{t: c.Thumbprint, e: &c}, {t: a.Thumbprint}})
	two := encodeFrame([]logRow{{t: b.Thumbprint, e: &b2}})
	tests := []struct {
		name    string
		journal []byte
		want    []string // thumbprint initials, archived ones lower-case
		err     error
	}{
		{"empty", nil, []string{"A", "B"}, nil},
		{"put and remove", one, []string{"B", "C"}, nil},
		{"two frames", append(append([]byte{}, one...), two...), []string{"b", "C"}, nil},
		{"applied twice", append(append([]byte{}, one...), one...), []string{"B", "C"}, nil},
		{"last frame cut short", append(append([]byte{}, one...), two[:len(two)-3]...), []string{"B", "C"}, nil},
		{"length cut short", append(append([]byte{}, one...), 0x80), []string{"B", "C"}, nil},
		{"unknown row", []byte{3, 1, 9, 0}, nil, ErrCorrupt},
		{"frame with trailing bytes", []byte{3, 0, 0, 0}, nil, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := decodeJournal(tt.journal)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, e := range applyRows([]Entry{a, b}, rows) {
				s := e.Thumbprint[:1]
				if e.Meta.Archived {
					s = strings.ToLower(s)
				}
				got = append(got, s)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("entries %v, want %v", got, tt.want)
			}
		})
	}
}

// TestApplyRow: the binary-search path a loaded index takes agrees with
// applyRows.
func TestApplyRow(t *testing.T) {
	var es []Entry
	var rows []logRow
	for _, c := range "DBFAC" {
		e := Entry{Thumbprint: strings.Repeat(string(c), 40)}
		rows = append(rows, logRow{t: e.Thumbprint, e: &e})
	}
	rows = append(rows, logRow{t: strings.Repeat("B", 40)}, logRow{t: strings.Repeat("Z", 40)})
	for _, r := range rows {
		es = applyRow(es, r)
	}
	want := applyRows(nil, rows)
	if fmt.Sprint(es) != fmt.Sprint(want) || len(es) != 4 {
		t.Fatalf("applyRow %v, applyRows %v", es, want)
	}
}

// storeWithOne returns a test store whose My holds one committed entry
// (so index.bin exists and later commits append to the journal), its root,
// the PKI and that entry's certificate.
func storeWithOne(t *testing.T) (*Store, string, *pki, *x509.Certificate) {
	t.Helper()
	s, root := newTestStore(t)
	p := newPKI(t)
	first, _ := p.leaf(t, "first.example")
	if _, _, err := s.Add(context.Background(), My, first, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	return s, root, p, first
}

// TestWritesAppend: a single Add, Delete and Purge into an existing store
// each append one frame and leave index.bin alone; List sees them all.
func TestWritesAppend(t *testing.T) {
	ctx := context.Background()
	s, _, p, first := storeWithOne(t)
	dir := s.storeDir(My)
	base, _ := os.Stat(filepath.Join(dir, indexName))
	second, _ := p.leaf(t, "second.example")
	steps := []struct {
		name  string
		write func() error
		list  int
	}{
		{"add", func() error { _, _, err := s.Add(ctx, My, second, nil, Meta{}); return err }, 2},
		{"delete", func() error { return s.Delete(ctx, My, Thumbprint(first.Raw)) }, 1},
		{"purge", func() error { return s.Purge(ctx, My, Thumbprint(second.Raw)) }, 0},
	}
	for i, st := range steps {
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if n := frames(t, dir); n != i+1 {
			t.Errorf("%s: %d frames, want %d", st.name, n, i+1)
		}
		if es, err := s.List(ctx, My, ListOptions{}); err != nil || len(es) != st.list {
			t.Errorf("%s: List = %d entries, %v; want %d", st.name, len(es), err, st.list)
		}
	}
	if now, _ := os.Stat(filepath.Join(dir, indexName)); !os.SameFile(base, now) {
		t.Error("index.bin was rewritten")
	}
	if r, err := s.Verify(ctx); err != nil || len(r.Problems) != 0 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

// TestCompaction: a commit that would take the journal past its limit
// rewrites index.bin with every row and removes the journal.
func TestCompaction(t *testing.T) {
	ctx := context.Background()
	s, _, p, _ := storeWithOne(t)
	dir := s.storeDir(My)
	// Rows of entries without files: only the index is under test here.
	var rows []logRow
	for i := 0; len(rows)*300 < compactMin; i++ {
		e := Entry{Store: My, Thumbprint: fmt.Sprintf("%040X", i), Subject: strings.Repeat("x", 300)}
		rows = append(rows, logRow{t: e.Thumbprint, e: &e})
	}
	if err := appendJournal(dir, encodeFrame(rows)); err != nil {
		t.Fatal(err)
	}
	second, _ := p.leaf(t, "second.example")
	if _, _, err := s.Add(ctx, My, second, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("journal still there after compaction: %v", err)
	}
	es, err := loadIndexFile(dir)
	if err != nil || len(es) != len(rows)+2 {
		t.Fatalf("index.bin holds %d entries, want %d: %v", len(es), len(rows)+2, err)
	}
}

// TestBatchOneCommit: ImportFiles of several files, one of them bad,
// reports the bad one, imports the others and appends one frame.
func TestBatchOneCommit(t *testing.T) {
	ctx := context.Background()
	s, _, p, _ := storeWithOne(t)
	dir := t.TempDir()
	var paths []string
	for i := range 4 {
		c, _ := p.leaf(t, fmt.Sprintf("h%d.example", i))
		paths = append(paths, writeFile(t, dir, fmt.Sprintf("%d.pem", i), pemCert(c)))
	}
	paths[2] = writeFile(t, dir, "bad.pem", []byte("not a certificate"))
	out := s.ImportFiles(ctx, paths, ImportOptions{})
	for i, o := range out {
		var ie *ImportError
		switch {
		case i == 2 && (!errors.As(o.Err, &ie) || ie.File != paths[2]):
			t.Errorf("bad file: %v", o.Err)
		case i != 2 && (o.Err != nil || len(o.Result.Items) != 1 || o.Result.Items[0].Result != string(Added)):
			t.Errorf("file %d: %+v, %v", i, o.Result, o.Err)
		}
	}
	if es, err := s.List(ctx, My, ListOptions{}); err != nil || len(es) != 4 {
		t.Fatalf("List = %d entries, %v", len(es), err)
	}
	if n := frames(t, s.storeDir(My)); n != 1 {
		t.Errorf("%d journal frames, want 1", n)
	}
	if out := s.ImportFiles(ctx, paths[2:3], ImportOptions{}); out[0].Err == nil {
		t.Error("a batch of one bad file succeeded")
	}
}

// TestConcurrentBatches: goroutines writing batches through two Stores of
// one context (the lock serialises them like processes) while another
// lists; every entry ends up listed, and the store verifies clean.
func TestConcurrentBatches(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	p := newPKI(t)
	const writers, per = 2, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.List(ctx, My, ListOptions{}); err != nil {
				errs <- err
				return
			}
		}
	}()
	for w := range writers {
		s2, err := Open(LocationAt(root), User)
		if err != nil {
			t.Fatal(err)
		}
		leaves := make([]*x509.Certificate, 0, per)
		for i := range per {
			c, _ := p.leaf(t, fmt.Sprintf("w%d-%d.example", w, i))
			leaves = append(leaves, c)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := 0; chunk < per; chunk += 10 {
				err := s2.Batch(ctx, func(tx *Tx) error {
					for _, c := range leaves[chunk : chunk+10] {
						if _, _, err := tx.Add(ctx, My, c, nil, Meta{}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if es, err := s.List(ctx, My, ListOptions{}); err != nil || len(es) != writers*per {
		t.Fatalf("List = %d entries, %v; want %d", len(es), err, writers*per)
	}
	if r, err := s.Verify(ctx); err != nil || len(r.Problems) != 0 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

// TestBatchInterrupted kills a child process inside a Batch after it has
// written its entry files and before the commit. The store opens, lists
// the old entries and every whole entry of the batch (the entry files are
// the truth; the dirty marker makes the reader rebuild), every listed entry
// has its file, and Verify finds no damage.
func TestBatchInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	s, root, _, old := storeWithOne(t)
	cmd, sc := startChild(t, root, "batchhang:5")
	written := map[string]bool{}
	for sc.Scan() && sc.Text() != "written" {
		if th, ok := strings.CutPrefix(sc.Text(), "entry "); ok {
			written[th] = true
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	dir := s.storeDir(My)
	if _, err := os.Stat(filepath.Join(dir, dirtyName)); err != nil {
		t.Fatalf("no dirty marker after the kill: %v", err)
	}
	es, err := s.List(ctx, My, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range es {
		listed[e.Thumbprint] = true
		if _, err := os.Stat(filepath.Join(dir, entryName(e.Thumbprint))); err != nil {
			t.Errorf("listed entry without its file: %v", err)
		}
	}
	if !listed[Thumbprint(old.Raw)] || len(written) != 5 || len(es) != 6 {
		t.Fatalf("listed %d entries (old one %v), child wrote %d", len(es), listed[Thumbprint(old.Raw)], len(written))
	}
	if r, err := s.Verify(ctx); err != nil || r.Damaged() {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

// TestListDuringBatch: while a Batch holds the lock, List returns what the
// last commit recorded, without the batch's uncommitted entries, and the
// batch's entries once it returns.
func TestListDuringBatch(t *testing.T) {
	ctx := context.Background()
	s, _, p, _ := storeWithOne(t)
	err := s.Batch(ctx, func(tx *Tx) error {
		for i := range 3 {
			c, _ := p.leaf(t, fmt.Sprintf("new%d.example", i))
			if _, _, err := tx.Add(ctx, My, c, nil, Meta{}); err != nil {
				return err
			}
		}
		if es, err := s.List(ctx, My, ListOptions{}); err != nil || len(es) != 1 {
			t.Errorf("List during the batch = %d entries, %v; want the 1 committed", len(es), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if es, err := s.List(ctx, My, ListOptions{}); err != nil || len(es) != 4 {
		t.Fatalf("List after the batch = %d entries, %v", len(es), err)
	}
}

// TestWriteRebuildsMissingIndex: a write into a store whose index.bin was
// removed (and no marker says so) keeps every entry in the new index.
func TestWriteRebuildsMissingIndex(t *testing.T) {
	ctx := context.Background()
	s, _, p, _ := storeWithOne(t)
	dir := s.storeDir(My)
	if err := os.Remove(filepath.Join(dir, indexName)); err != nil {
		t.Fatal(err)
	}
	second, _ := p.leaf(t, "second.example")
	if _, _, err := s.Add(ctx, My, second, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	if es, err := loadIndexFile(dir); err != nil || len(es) != 2 {
		t.Fatalf("index.bin holds %d entries, %v; want 2", len(es), err)
	}
}

// FuzzDecodeJournal: a hostile or truncated index.log, rows of either
// layout, gives rows that encode and read back alike, or ErrCorrupt;
// never a panic or an allocation the data does not pay for.
func FuzzDecodeJournal(f *testing.F) {
	e := &Entry{Store: My, Thumbprint: "AA", SANs: []string{"DNS:a"}, Meta: Meta{KeyStorage: KeyTPM, KeyRef: "AAAA"}}
	f.Add(encodeFrame([]logRow{{t: "AA", e: e}, {t: "BB"}}))
	if v2, err := os.ReadFile(filepath.Join("testdata", "index-v2.log")); err == nil {
		f.Add(v2)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := decodeJournal(b)
		if err != nil {
			if err != ErrCorrupt {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		again, err := decodeJournal(encodeFrame(rows))
		if err != nil || len(again) != len(rows) {
			t.Fatalf("re-encode of %d decoded rows: %d, %v", len(rows), len(again), err)
		}
	})
}

// TestWriteAfterTornJournal: a journal that ends in a frame cut short
// with no dirty marker (a truncated or tampered index.log) does not hide
// the commits after it: a later Add and Delete are listed, by this store
// and by a fresh one reading the files.
func TestWriteAfterTornJournal(t *testing.T) {
	ctx := context.Background()
	s, root, p, first := storeWithOne(t)
	dir := s.storeDir(My)
	second, _ := p.leaf(t, "second.example")
	if _, _, err := s.Add(ctx, My, second, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := appendJournal(dir, []byte{100, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	third, _ := p.leaf(t, "third.example")
	if _, _, err := s.Add(ctx, My, third, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, My, Thumbprint(first.Raw)); err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(LocationAt(root), User)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []*Store{s, fresh} {
		es, err := st.List(ctx, My, ListOptions{})
		if err != nil || len(es) != 2 {
			t.Errorf("store %d: List = %d entries, %v; want the second and third", i, len(es), err)
		}
	}
}
