package testca

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Status is the disposition of a request in the CA database.
type Status string

// Request dispositions, as AD CS names them.
const (
	StatusPending Status = "pending" // taken under submission, waiting for Approve or Deny
	StatusIssued  Status = "issued"
	StatusDenied  Status = "denied"
)

// Request is one row of the CA database. Requests are stored one JSON file
// each under Config.Dir/requests, so other processes can read and change
// them while a server runs.
type Request struct {
	ID        string    `json:"id"`                // decimal, as AD CS request ids
	Status    Status    `json:"status"`            // current disposition
	Template  string    `json:"template"`          // template common name
	Requester string    `json:"requester"`         // account or certificate subject that asked
	Submitted time.Time `json:"submitted"`         // when the request arrived
	CSR       []byte    `json:"csr"`               // DER PKCS#10 (the inner one for renewals)
	Renewal   []byte    `json:"renewal,omitempty"` // DER of the certificate being renewed, if any
	Cert      []byte    `json:"cert,omitempty"`    // DER of the issued certificate
	Reason    string    `json:"reason,omitempty"`  // denial reason
	// EST: the request came to the EST endpoint, which hands its answer
	// out once (Collected) to the client repeating the same request.
	EST       bool `json:"est,omitempty"`
	Collected bool `json:"collected,omitempty"`
}

// ErrUnknownRequest is returned for a request id the CA has no record of.
var ErrUnknownRequest = errors.New("testca: unknown request id")

// ErrNotPending is returned by Approve and Deny for a request that is not
// pending any more.
var ErrNotPending = errors.New("testca: request is not pending")

// db is the file-based request database of one CA directory.
type db struct {
	dir  string
	last *atomic.Int64 // highest id this process allocated: saves a directory scan per request
}

func (d db) path(id string) string { return filepath.Join(d.dir, id+".json") }

// create stores r under the next free id. Ids are allocated by creating the
// file exclusively, so concurrent processes never reuse one.
func (d db) create(r *Request) error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("create request database: %w", err)
	}
	next := int(d.last.Load()) + 1
	for {
		if next == 1 { // first request of this process, or a collision: scan
			ids, err := d.ids()
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				next = ids[len(ids)-1] + 1
			}
		}
		r.ID = strconv.Itoa(next)
		f, err := os.OpenFile(d.path(r.ID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			next = 1
			continue
		}
		if err != nil {
			return fmt.Errorf("create request %s: %w", r.ID, err)
		}
		f.Close()
		d.last.Store(int64(next))
		return d.put(r)
	}
}

// put writes r atomically (temporary file and rename).
func (d db) put(r *Request) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return writeAtomic(d.path(r.ID), data, 0o600)
}

// get reads request id.
func (d db) get(id string) (*Request, error) {
	if _, err := strconv.ParseUint(id, 10, 32); err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownRequest, id)
	}
	data, err := os.ReadFile(d.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownRequest, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read request %s: %w", id, err)
	}
	var r Request
	if len(data) == 0 { // allocated by create, not yet written
		return nil, fmt.Errorf("%w: %s", ErrUnknownRequest, id)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	return &r, nil
}

// ids lists the stored request ids in ascending order.
func (d db) ids() ([]int, error) {
	ents, err := os.ReadDir(d.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	var ids []int
	for _, e := range ents {
		if n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".json")); err == nil && strings.HasSuffix(e.Name(), ".json") {
			ids = append(ids, n)
		}
	}
	sort.Ints(ids)
	return ids, nil
}

// list returns every request with the given status.
func (d db) list(s Status) ([]Request, error) {
	ids, err := d.ids()
	if err != nil {
		return nil, err
	}
	var out []Request
	for _, id := range ids {
		r, err := d.get(strconv.Itoa(id))
		if errors.Is(err, ErrUnknownRequest) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Status == s {
			out = append(out, *r)
		}
	}
	return out, nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, so readers never see a half-written file.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}

// update applies fn to request id under a lock file, so two processes
// approving or denying the same request cannot both win.
func (d db) update(id string, fn func(*Request) error) (*Request, error) {
	if _, err := d.get(id); err != nil {
		return nil, err
	}
	unlock, err := d.lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := d.get(id)
	if err != nil {
		return nil, err
	}
	if err := fn(r); err != nil {
		return nil, err
	}
	return r, d.put(r)
}

// lock takes Dir/requests/<id>.lock; a lock older than staleLock is taken
// over, so a crashed process cannot block a request forever.
func (d db) lock(id string) (func(), error) {
	const staleLock = 10 * time.Second
	p := filepath.Join(d.dir, id+".lock")
	deadline := time.Now().Add(2 * staleLock)
	for {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(p) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock request %s: %w", id, err)
		}
		if st, serr := os.Stat(p); serr == nil && time.Since(st.ModTime()) > staleLock {
			os.Remove(p)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock request %s: timed out", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
