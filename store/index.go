package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gofrs/flock"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// The index of a store is index.bin beside the entry files, in the
// compact format of indexcodec.go, plus the journal of later commits
// (index.log, journal.go): List and the nothing-due pulse over 100,000
// entries are on the benchmark (the entry files stay JSON, for people and
// for repair). A writer creates index.dirty before it touches an entry and removes it after the
// index is rewritten, so a marker found while nobody holds the lock means a
// writer died in between and the index may be stale.
const (
	indexName    = "index.bin"
	dirtyName    = "index.dirty"
	indexVersion = 3 // 2: key storage, key reference, non-exportable; 3: no renewal state
)

// readIndex returns the entries of store n for a reader that holds no
// lock. A stale or missing index is rebuilt from the entry files and
// written back when the lock is free (a crashed writer); while a writer
// is at work, the index as its last commit left it is returned (scanned
// in memory only if missing or damaged; the writer will write it itself).
func (s *Store) readIndex(ctx context.Context, n Name) ([]Entry, error) {
	dir := s.storeDir(n)
	if _, err := os.Stat(filepath.Join(dir, dirtyName)); errors.Is(err, fs.ErrNotExist) {
		entries, err := loadIndexFile(dir)
		if err == nil {
			return entries, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			if _, derr := os.Stat(dir); errors.Is(derr, fs.ErrNotExist) {
				return nil, nil // the store was never written to
			}
		}
	}
	fl := flock.New(filepath.Join(s.dir, lockName))
	if err := atomicfile.CheckTarget(fl.Path()); err != nil {
		return nil, err
	}
	if ok, err := fl.TryLock(); err == nil && ok {
		defer fl.Unlock()
		return repairIndex(n, dir)
	}
	// A writer is at work (a Batch may run for long): its uncommitted
	// entries are not listed yet. What the last commit recorded serves,
	// so a reader does not parse every entry file of a large store while
	// an import runs; only a missing or damaged index is scanned.
	if entries, err := loadIndexFile(dir); err == nil {
		return entries, nil
	}
	entries, _, err := scanEntries(n, dir)
	return entries, err
}

// loadIndexFile reads the index, index.bin with the journal applied;
// fs.ErrNotExist if index.bin is absent, ErrCorrupt if undecodable. A
// reader holds no lock, so a writer may fold the journal into a new
// index.bin between the two reads: if index.bin was replaced meanwhile,
// the pair is read again.
func loadIndexFile(dir string) ([]Entry, error) {
	base := filepath.Join(dir, indexName)
	for range 5 {
		before, err := os.Lstat(base)
		if err != nil {
			return nil, err
		}
		b, err := atomicfile.ReadNoFollow(base, maxIndexRead)
		if err != nil {
			return nil, err
		}
		j, err := atomicfile.ReadNoFollow(filepath.Join(dir, journalName), maxIndexRead)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if after, err := os.Lstat(base); err != nil || !os.SameFile(before, after) || after.ModTime() != before.ModTime() {
			continue
		}
		entries, err := decodeIndex(b)
		if err != nil {
			return nil, err
		}
		rows, err := decodeJournal(j)
		if err != nil {
			return nil, err
		}
		return applyRows(entries, rows), nil
	}
	return nil, ErrCorrupt // rewritten on every attempt: let the caller rebuild
}

// repairIndex (lock held) returns a fresh index for store n, rewriting it
// and clearing the marker if it was stale, missing or damaged.
func repairIndex(n Name, dir string) ([]Entry, error) {
	_, merr := os.Stat(filepath.Join(dir, dirtyName))
	entries, err := loadIndexFile(dir)
	if err == nil && errors.Is(merr, fs.ErrNotExist) {
		return entries, nil
	}
	if _, derr := os.Stat(dir); errors.Is(derr, fs.ErrNotExist) {
		return nil, nil
	}
	entries, _, err = scanEntries(n, dir)
	if err != nil {
		return nil, err
	}
	if err := writeIndex(dir, entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// writeIndex (lock held) writes the whole index durably, drops the
// journal it supersedes and then clears the dirty marker. While a journal
// exists the marker is made to exist first: a crash between the new
// index.bin and the journal's removal must not leave old rows to be
// applied over newer ones without a rebuild.
func writeIndex(dir string, entries []Entry) error {
	marker := filepath.Join(dir, dirtyName)
	if _, err := os.Lstat(filepath.Join(dir, journalName)); err == nil {
		if _, err := os.Lstat(marker); errors.Is(err, fs.ErrNotExist) {
			if err := os.WriteFile(marker, nil, 0o600); err != nil {
				return err
			}
			if err := syncDir(dir); err != nil {
				return err
			}
		}
	}
	if err := writeFileAtomic(dir, indexName, encodeIndex(entries)); err != nil {
		return err
	}
	switch err := os.Remove(filepath.Join(dir, journalName)); {
	case err == nil:
		// The removal must be durable before the marker's: old rows must
		// never come back over the new index.bin without a rebuild.
		if err := syncDir(dir); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// damaged names an entry file that could not be read.
type damaged struct {
	path string
	err  error
}

// scanEntries parses every entry file of the store: the slow path that
// rebuilds the index. Damaged files are skipped and returned.
func scanEntries(n Name, dir string) ([]Entry, []damaged, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var entries []Entry
	var bad []damaged
	for _, d := range des {
		t, ok := strings.CutSuffix(d.Name(), ".json")
		if !ok {
			continue
		}
		if _, err := NormalizeThumbprint(t); err != nil || t != strings.ToUpper(t) {
			continue
		}
		ef, cert, err := readEntryFile(dir, t)
		if err != nil {
			bad = append(bad, damaged{filepath.Join(dir, d.Name()), err})
			continue
		}
		entries = append(entries, newEntry(n, cert, ef.hasKey(), ef.Meta))
	}
	sortEntries(entries)
	return entries, bad, nil
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].Thumbprint < es[j].Thumbprint })
}
