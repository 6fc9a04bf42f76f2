package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// HistoryFile is the name of the history file inside a context's state
// directory.
const HistoryFile = "history.jsonl"

// DefaultHistoryMaxBytes bounds the history file: past it, the oldest half
// is dropped.
const DefaultHistoryMaxBytes = 1 << 20

// Action is what a history record is about.
type Action string

// The actions recorded in the history.
const (
	ActionCheck   Action = "check"   // a renewal check of a certificate
	ActionRenew   Action = "renew"   // a renewal request
	ActionPoll    Action = "poll"    // a status poll of a pending request
	ActionEnroll  Action = "enroll"  // a first enrollment
	ActionInstall Action = "install" // an issued certificate installed
	ActionDeny    Action = "deny"    // the CA denied a request
	ActionHook    Action = "hook"    // a deploy hook after a renewal
	ActionPolicy  Action = "policy"  // a policy server's answer that was not taken
	ActionManaged Action = "managed" // problems of the managed file (reported once)
)

// Outcome is how it ended.
type Outcome string

// The outcomes recorded in the history.
const (
	OutcomeOK         Outcome = "ok"
	OutcomeNothingDue Outcome = "nothing-due"
	OutcomeFailed     Outcome = "failed"
	OutcomePending    Outcome = "pending"
	OutcomeDenied     Outcome = "denied"
)

// Outcomes lists the outcomes in the order the command line and the GUI
// offer them as filters.
var Outcomes = []Outcome{OutcomeOK, OutcomeFailed, OutcomePending, OutcomeDenied, OutcomeNothingDue}

// ParseOutcome parses an outcome's name ("ok", "nothing-due", …); ""
// stands for every outcome.
func ParseOutcome(s string) (Outcome, error) {
	if o := Outcome(s); o == "" || slices.Contains(Outcomes, o) {
		return o, nil
	}
	return "", fmt.Errorf("unknown outcome %q: use ok, nothing-due, failed, pending or denied", s)
}

// Text is the outcome in words, as the command line and the GUI show it.
func (o Outcome) Text() string {
	switch o {
	case OutcomeOK:
		return "Succeeded"
	case OutcomeNothingDue:
		return "Nothing due"
	case OutcomeFailed:
		return "Failed"
	case OutcomePending:
		return "Pending"
	case OutcomeDenied:
		return "Denied"
	}
	return string(o)
}

// Record is one line of the history. Its JSON form is the stable shape of
// "certdesk history -json" (docs/renewal.md).
type Record struct {
	Time       time.Time `json:"time"`
	Context    string    `json:"context"`
	Thumbprint string    `json:"thumbprint,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Action     Action    `json:"action"`
	Outcome    Outcome   `json:"outcome"`
	Reason     string    `json:"reason,omitempty"`
}

// HistoryFilter selects records; zero fields select everything.
type HistoryFilter struct {
	Outcome Outcome
	Since   time.Time // records at or after Since
}

func (f HistoryFilter) match(r Record) bool {
	return (f.Outcome == "" || r.Outcome == f.Outcome) &&
		(f.Since.IsZero() || !r.Time.Before(f.Since))
}

// History is the append-only log of one context's checks and renewals, a
// JSON-lines file. It is safe for concurrent use within a process. Across
// processes each record is one O_APPEND write, so appends from a GUI and a
// scheduled pulse interleave whole lines; trimming rewrites the file, and a
// record appended by another process during that instant can be lost, which
// is acceptable for a log (and renewals already hold the context lock).
type History struct {
	path     string
	maxBytes int64
	mu       sync.Mutex
}

// NewHistory returns the history kept in dir (the context's state
// directory), bounded to maxBytes (DefaultHistoryMaxBytes when ≤ 0). The
// directory is created on the first Append.
func NewHistory(dir string, maxBytes int64) *History {
	if maxBytes <= 0 {
		maxBytes = DefaultHistoryMaxBytes
	}
	return &History{path: filepath.Join(dir, HistoryFile), maxBytes: maxBytes}
}

// Path returns the history file's path.
func (h *History) Path() string { return h.path }

// Append adds r to the history with one write and an fsync, then trims the
// file if it grew past its bound.
func (h *History) Append(r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode history record: %w", err)
	}
	line = append(line, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("create history directory: %w", err)
	}
	f, err := atomicfile.OpenNoFollow(h.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open history: %w", err)
	}
	// After a crash mid-write the file may end in a partial line: start on
	// a fresh line so this record is not glued to (and lost with) it.
	if st, serr := f.Stat(); serr == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, rerr := f.ReadAt(last, st.Size()-1); rerr == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	// One Write call per record: with O_APPEND the kernel places it whole
	// at the end, even with another process appending too.
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	var size int64
	if st, serr := f.Stat(); serr == nil {
		size = st.Size()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to history %s: %w", h.path, err)
	}
	if size > h.maxBytes {
		return h.trim()
	}
	return nil
}

// trim keeps the newest records that fit in half the bound, so trimming
// happens once per half-bound of appends rather than at every append.
func (h *History) trim() error {
	data, err := atomicfile.ReadOwned(h.path)
	if err != nil {
		return fmt.Errorf("trim history: %w", err)
	}
	keep := data
	for int64(len(keep)) > h.maxBytes/2 {
		i := bytes.IndexByte(keep, '\n')
		if i < 0 {
			keep = nil
			break
		}
		keep = keep[i+1:]
	}
	if err := atomicfile.Write(h.path, keep, 0o600); err != nil {
		return fmt.Errorf("trim history: %w", err)
	}
	return nil
}

// Read returns the records that match f, oldest first. A missing file is an
// empty history. Lines that do not parse (a torn write after a crash) are
// skipped rather than making the whole history unreadable.
func (h *History) Read(f HistoryFilter) ([]Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	file, err := atomicfile.OpenNoFollow(h.path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer file.Close()
	var out []Record
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 64<<10), int(h.maxBytes)+1)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil && f.match(r) {
			out = append(out, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read history %s: %w", h.path, err)
	}
	return out, nil
}
