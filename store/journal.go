package store

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// The journal, index.log beside index.bin, makes the index update of a
// write cost what the write changed rather than what the store holds
// (issue #15): a commit appends one frame holding the rows it changed and
// fsyncs it, instead of rewriting index.bin. Readers apply the frames to
// index.bin in order. When the journal would outgrow a quarter of index.bin
// (and compactMin), the committing writer folds it in: it rewrites
// index.bin whole and removes the journal. That O(n) rewrite comes at most
// once per n/4 rows written, so its cost per entry stays constant, and a
// reader never decodes more than 1.25 times the store.
//
// Layout: a sequence of frames, each a uvarint length and then that many
// bytes: a uvarint row count, then per row rowPut and the entry as
// encodeEntry writes it (rowPutV2: in the layout of index version 2, as
// journals written before it hold), or rowRemove and the thumbprint as a
// string. A row
// is an entry's whole index row, so applying a frame again changes nothing.
// A frame cut short at the end of the file is a commit still being written
// (its writer holds the lock, or died and left index.dirty, which makes the
// next reader rebuild): readers ignore it.
const (
	journalName = "index.log"
	rowPutV2    = 1 // an entry in the layout of index version 2 (read only)
	rowRemove   = 2
	rowPut      = 3 // an entry as encodeEntry writes it
	// compactMin keeps small stores from rewriting their index every few
	// writes: below this size the journal is always appended to.
	compactMin = 256 << 10
)

// maxIndexRead caps reading index.bin and index.log, far above the ~40 MB
// index of 100,000 entries (atomicfile.MaxOwned, 64 MiB, is not).
const maxIndexRead = 1 << 30

// logRow is one change to an index: the entry's new row, or its removal.
type logRow struct {
	t string // thumbprint
	e *Entry // nil: removed
}

// encodeFrame serialises rows as one journal frame.
func encodeFrame(rows []logRow) []byte {
	p := binary.AppendUvarint(make([]byte, 0, 16+len(rows)*640), uint64(len(rows)))
	for _, r := range rows {
		if r.e == nil {
			p = append(p, rowRemove)
			p = binary.AppendUvarint(p, uint64(len(r.t)))
			p = append(p, r.t...)
			continue
		}
		p = append(p, rowPut)
		p = encodeEntry(p, r.e)
	}
	return append(binary.AppendUvarint(make([]byte, 0, len(p)+binary.MaxVarintLen64), uint64(len(p))), p...)
}

// decodeJournal parses the complete frames of a journal into rows; a
// frame cut short at the end is left out, any other damage is ErrCorrupt.
func decodeJournal(data []byte) ([]logRow, error) {
	r := &indexReader{s: string(data)}
	var rows []logRow
	for len(r.s) > 0 {
		n := r.uvarint()
		if r.err != nil || n > uint64(len(r.s)) {
			break // a commit still being written (or abandoned)
		}
		f := &indexReader{s: r.s[:n]}
		r.s = r.s[n:]
		count := f.uvarint()
		if count > uint64(len(f.s)) {
			return nil, ErrCorrupt
		}
		for range count {
			switch kind := f.byte(); kind {
			case rowPut, rowPutV2:
				e := new(Entry)
				f.entry(e, kind == rowPutV2)
				rows = append(rows, logRow{t: e.Thumbprint, e: e})
			case rowRemove:
				rows = append(rows, logRow{t: f.str()})
			default:
				return nil, ErrCorrupt
			}
		}
		if f.err != nil || len(f.s) != 0 {
			return nil, ErrCorrupt
		}
	}
	return rows, nil
}

// applyRows returns entries (sorted by thumbprint) with rows applied in
// order, sorted again.
func applyRows(entries []Entry, rows []logRow) []Entry {
	if len(rows) == 0 {
		return entries
	}
	at := make(map[string]int, len(entries))
	for i := range entries {
		at[entries[i].Thumbprint] = i
	}
	removed := map[int]bool{}
	appended := false
	entries = slices.Grow(entries, len(rows)) // appended rows, without regrowing per row
	for _, r := range rows {
		i, ok := at[r.t]
		switch {
		case r.e == nil && ok:
			removed[i] = true
		case r.e != nil && ok:
			entries[i], removed[i] = *r.e, false
		case r.e != nil:
			at[r.t] = len(entries)
			entries = append(entries, *r.e)
			appended = true
		}
	}
	if len(removed) > 0 {
		out := entries[:0]
		for i := range entries {
			if !removed[i] {
				out = append(out, entries[i])
			}
		}
		entries = out
	}
	if appended {
		sortEntries(entries)
	}
	return entries
}

// applyRow applies one row to a sorted index in place (binary search, so a
// batch into a loaded index does not scan it per entry).
func applyRow(es []Entry, r logRow) []Entry {
	i := sort.Search(len(es), func(i int) bool { return es[i].Thumbprint >= r.t })
	found := i < len(es) && es[i].Thumbprint == r.t
	switch {
	case found && r.e == nil:
		return append(es[:i], es[i+1:]...)
	case found:
		es[i] = *r.e
	case r.e != nil:
		es = append(es, Entry{})
		copy(es[i+1:], es[i:])
		es[i] = *r.e
	}
	return es
}

// appendJournal appends frame to the journal of dir and fsyncs it. The
// caller fsyncs the directory afterwards (the journal may be new).
func appendJournal(dir string, frame []byte) error {
	f, err := atomicfile.OpenNoFollow(filepath.Join(dir, journalName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(frame)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fileSize returns the size of dir/name, or -1 if it does not exist.
func fileSize(dir, name string) (int64, error) {
	fi, err := os.Lstat(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// needsCompaction reports whether a commit that appends frameLen bytes
// should rewrite index.bin instead: when there is none yet, or when the
// journal would pass a quarter of it (and compactMin).
func needsCompaction(dir string, frameLen int) (bool, error) {
	base, err := fileSize(dir, indexName)
	if err != nil || base < 0 {
		return true, err
	}
	journal, err := fileSize(dir, journalName)
	if err != nil {
		return false, err
	}
	return max(journal, 0)+int64(frameLen) > max(compactMin, base/4), nil
}
