package app

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/certdesk/certdesk/store"
)

// SummaryFile, in a context's state directory, remembers when the next
// certificate of My becomes due, and on what that answer depended.
const SummaryFile = "pulse.json"

// racyWindow: an index written this close before the summary may have
// been rewritten since within the same file-system timestamp, so such a
// summary is not trusted (git's "racy index" rule).
const racyWindow = 2 * time.Second

// fileStamp identifies one version of a file by size and modification
// time. Every store write replaces the index by rename (docs/store.md),
// which changes its modification time.
type fileStamp struct {
	Size  int64 `json:"size"`
	MTime int64 `json:"mtime"` // Unix nanoseconds
}

// summary is the result of a full pulse that found nothing due: until
// NextDue, and as long as the index, the cached policies and the renewal
// policy are the ones it was computed from, nothing is due either. It
// lets a pulse with nothing to do skip reading the index, the part that
// grows with the number of certificates. The index stays the truth.
type summary struct {
	Index    fileStamp            `json:"index"`
	Policies map[string]fileStamp `json:"policies"` // by server id
	Policy   RenewalPolicy        `json:"policy"`
	NextDue  time.Time            `json:"nextDue"` // zero: nothing linked
	Checked  int                  `json:"checked"`
}

// stamp returns the stamp of path; ok is false if it cannot be read.
func stamp(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	return fileStamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}, true
}

// myIndex is the path of My's index (docs/store.md).
func myIndex(s *store.Store) string {
	return filepath.Join(s.Dir(), "stores", string(store.My), "index.gob")
}

// fresh reports whether the summary of s still answers "nothing due" at
// now for pol; every doubt (a writer at work, a changed file, an
// autoenrolling server) sends the pulse down the full path.
func (c *Core) freshSummary(s *store.Store, now time.Time, pol RenewalPolicy) (summary, bool) {
	var sum summary
	data, err := os.ReadFile(filepath.Join(s.StateDir(), SummaryFile))
	if err != nil || json.Unmarshal(data, &sum) != nil || sum.Policy != pol {
		return sum, false
	}
	if !sum.NextDue.IsZero() && !now.Before(sum.NextDue) {
		return sum, false
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(myIndex(s)), "index.dirty")); !errors.Is(err, fs.ErrNotExist) {
		return sum, false
	}
	if st, ok := stamp(myIndex(s)); !ok || st != sum.Index {
		return sum, false
	}
	for id, want := range sum.Policies {
		if st, _ := stamp(policyCachePath(s, id)); st != want {
			return sum, false
		}
	}
	servers, err := readServers(filepath.Join(s.Dir(), ServersFile))
	if err != nil {
		return sum, false
	}
	for _, srv := range servers {
		if srv.AutoEnroll {
			return sum, false
		}
	}
	return sum, true
}

// saveSummary records a full pulse's "nothing due until next" for the
// index stamped before it was listed. Failing to save only costs speed.
func (c *Core) saveSummary(s *store.Store, index fileStamp, policyIDs map[string]bool, pol RenewalPolicy, next time.Time, checked int) {
	path := filepath.Join(s.StateDir(), SummaryFile)
	sum := summary{Index: index, Policies: map[string]fileStamp{}, Policy: pol, NextDue: next, Checked: checked}
	for id := range policyIDs {
		sum.Policies[id], _ = stamp(policyCachePath(s, id))
	}
	data, err := json.Marshal(sum)
	if err != nil || os.MkdirAll(s.StateDir(), 0o700) != nil || writeFileAtomic(path, data, 0o600) != nil {
		return
	}
	// Racy: the index changed too shortly before now to be told apart
	// from a rewrite in the same timestamp tick. Compare file times with
	// file times, not with the core's (possibly fake) clock.
	if own, ok := stamp(path); !ok || own.MTime-index.MTime < racyWindow.Nanoseconds() {
		_ = os.Remove(path)
	}
}
