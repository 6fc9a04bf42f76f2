package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Problem is one finding of Verify.
type Problem struct {
	Store Name   `json:"store,omitempty"`
	File  string `json:"file,omitempty"`
	What  string `json:"problem"`
	// Damage is true for lost or unreadable data; false for leftovers of
	// an interrupted write that Verify repaired (stale index, temp files).
	Damage   bool `json:"damage"`
	Repaired bool `json:"repaired"`
}

// Report is the result of Verify.
type Report struct {
	Context  Context   `json:"context"`
	Entries  int       `json:"entries"`
	Problems []Problem `json:"problems"`
}

// Damaged reports whether any problem is damage (not a repaired leftover).
func (r *Report) Damaged() bool {
	for _, p := range r.Problems {
		if p.Damage {
			return true
		}
	}
	return false
}

// Verify checks every store of the context, holding the lock: each entry
// file must decode and hold the certificate its name promises, with a
// well-formed key blob; the index must match the entries. Repairable
// leftovers of an interrupted write (a stale index, temporary files) are
// fixed and reported with Damage false.
func (s *Store) Verify(ctx context.Context) (*Report, error) {
	r := &Report{Context: s.c, Problems: []Problem{}}
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	err = s.withTx(ctx, func(tx *Tx) error {
		for _, n := range names {
			if err := tx.verifyStore(n, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.opErr("verify", "", "", err)
	}
	return r, nil
}

func (tx *Tx) verifyStore(n Name, r *Report) error {
	dir := tx.s.storeDir(n)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		r.Problems = append(r.Problems, Problem{Store: n, File: dir, What: atomicfile.StripPath(err).Error(), Damage: true})
		return nil
	}
	for _, d := range des {
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			p := filepath.Join(dir, d.Name())
			err := os.Remove(p)
			r.Problems = append(r.Problems, Problem{Store: n, File: p, What: "temporary file left by an interrupted write", Repaired: err == nil})
		}
	}
	entries, bad, err := scanEntries(n, dir)
	if err != nil {
		return err
	}
	r.Entries += len(entries)
	for _, b := range bad {
		r.Problems = append(r.Problems, Problem{Store: n, File: b.path, What: "entry file cannot be read: " + atomicfile.StripPath(b.err).Error(), Damage: true})
	}
	_, markerErr := os.Stat(filepath.Join(dir, dirtyName))
	idx, ierr := loadIndexFile(dir)
	if ierr != nil || markerErr == nil || !sameIndex(idx, entries) {
		werr := writeIndex(dir, entries)
		tx.idx[n] = entries
		r.Problems = append(r.Problems, Problem{Store: n, File: filepath.Join(dir, indexName),
			What: "index out of step with the entries (rebuilt)", Repaired: werr == nil, Damage: werr != nil})
	}
	return nil
}

// sameIndex compares index rows by their JSON form, which is what the
// index stores (so time zone representations do not matter).
func sameIndex(a, b []Entry) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
