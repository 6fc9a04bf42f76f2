package store

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Store is one opened context: its stores, their entries, and the lock
// that serialises writers. It is safe for concurrent use.
type Store struct {
	c          Context
	dir, state string
	kr         Keyring
	now        func() time.Time

	kekMu sync.Mutex
	kek   []byte // cached key-encryption key once read from the keyring

	restricted atomic.Bool // restrictDir succeeded for dir (perm_*.go)
}

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock used for import times (tests; default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithKeyring replaces the OS keyring that holds the key-encryption key
// (for the core's own tests; the default is internal/keyring).
func WithKeyring(k Keyring) Option { return func(s *Store) { s.kr = k } }

// Open opens context c at loc. It creates nothing: directories appear with
// the first write, so opening a context never changes the disk.
func Open(loc Location, c Context, opts ...Option) (*Store, error) {
	if _, err := ParseContext(string(c)); err != nil {
		return nil, err
	}
	dir, state, err := loc.dirs(c)
	if err != nil {
		return nil, err
	}
	s := &Store{c: c, dir: dir, state: state, kr: osKeyring{}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Context returns the context this Store was opened for.
func (s *Store) Context() Context { return s.c }

// Dir returns the context's directory; the core keeps its configuration
// files (policy servers, settings) there.
func (s *Store) Dir() string { return s.dir }

// StateDir returns the context's state directory (history, logs). It may
// not exist yet.
func (s *Store) StateDir() string { return s.state }

// storeDir returns the directory of store n.
func (s *Store) storeDir(n Name) string { return filepath.Join(s.dir, "stores", string(n)) }

// Names returns the standard stores followed by any other store that
// exists in the context, sorted.
func (s *Store) Names() ([]Name, error) {
	names := append([]Name(nil), StandardNames...)
	des, err := os.ReadDir(filepath.Join(s.dir, "stores"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, s.opErr("names", "", "", err)
	}
	var extra []Name
	for _, d := range des {
		n, err := ParseName(d.Name())
		if err == nil && d.IsDir() && !isStandard(n) {
			extra = append(extra, n)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	return append(names, extra...), nil
}

func isStandard(n Name) bool {
	for _, s := range StandardNames {
		if n == s {
			return true
		}
	}
	return false
}

// ListOptions filters List.
type ListOptions struct {
	// IncludeArchived also returns archived (deleted or renewed) entries.
	IncludeArchived bool
}

// List returns the entries of store n from its index, without parsing any
// certificate, sorted by thumbprint. A store that does not exist yet is
// empty. If a writer died before updating the index, List rebuilds it.
func (s *Store) List(ctx context.Context, n Name, opt ListOptions) ([]Entry, error) {
	all, err := s.readIndex(ctx, n)
	if err != nil {
		return nil, s.opErr("list", n, "", err)
	}
	if opt.IncludeArchived {
		return all, nil
	}
	// Filter in place: the slice was just decoded and is ours, and
	// growing a copy would move every (large) entry several times.
	out := all[:0]
	for _, e := range all {
		if !e.Meta.Archived {
			out = append(out, e)
		}
	}
	return out, nil
}

// Get returns the entry with the thumbprint in store n, with its parsed
// certificate, read from the entry file itself (not the index).
func (s *Store) Get(ctx context.Context, n Name, thumbprint string) (Entry, error) {
	e, _, err := s.get(n, thumbprint)
	if errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("%s: %w", thumbprint, err) // which entry is missing
	}
	if err != nil {
		return Entry{}, s.opErr("get", n, "", err)
	}
	return e, nil
}

// get reads one entry file.
func (s *Store) get(n Name, thumbprint string) (Entry, *entryFile, error) {
	t, err := NormalizeThumbprint(thumbprint)
	if err != nil {
		return Entry{}, nil, err
	}
	ef, cert, err := readEntryFile(s.storeDir(n), t)
	if err != nil {
		return Entry{}, nil, err
	}
	e := newEntry(n, cert, ef.hasKey(), ef.Meta)
	e.Certificate = cert
	return e, ef, nil
}

// Signer returns the entry's private key when the store holds it
// (KeySoftware); a key held elsewhere is ErrKeyElsewhere, and the caller
// opens it from its storage by Meta.KeyRef. In user and app contexts this
// reads the key-encryption key from the OS keyring.
func (s *Store) Signer(ctx context.Context, n Name, thumbprint string) (crypto.Signer, error) {
	e, ef, err := s.get(n, thumbprint)
	switch {
	case err == nil && ef.Meta.HeldElsewhere():
		err = ErrKeyElsewhere
	case err == nil && ef.Key == nil:
		err = ErrNoKey
	}
	var k crypto.Signer
	if err == nil {
		k, err = s.openKey(ctx, e.Thumbprint, ef.Key)
	}
	if err != nil {
		return nil, s.opErr("read key", n, "", err)
	}
	return k, nil
}

// Find returns the entry with the thumbprint in whichever store of the
// context holds it (My first, then the others in Names order).
func (s *Store) Find(ctx context.Context, thumbprint string) (Entry, error) {
	names, err := s.Names()
	if err != nil {
		return Entry{}, err
	}
	for _, n := range names {
		e, err := s.Get(ctx, n, thumbprint)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return e, err
		}
	}
	return Entry{}, s.opErr("find", "", "", ErrNotFound)
}

func (s *Store) opErr(op string, n Name, path string, err error) error {
	var oe *OpError
	if errors.As(err, &oe) {
		return err
	}
	return &OpError{Op: op, Context: s.c, Store: n, Path: path, Err: err}
}

// entryFile is the on-disk form of an entry: the truth from which the index
// is derived. Written whole with writeFileAtomic, so it is never partial.
type entryFile struct {
	Version int      `json:"version"`
	Cert    []byte   `json:"cert"` // DER
	Key     *keyBlob `json:"key,omitempty"`
	Meta    Meta     `json:"meta"`
}

const entryVersion = 1

// hasKey reports whether the entry has a private key, in the file or
// held elsewhere.
func (ef *entryFile) hasKey() bool { return ef.Key != nil || ef.Meta.HeldElsewhere() }

// entryName is the file name of the entry with thumbprint t.
func entryName(t string) string { return t + ".json" }

// readEntryFile reads and checks the entry file of thumbprint t in dir.
func readEntryFile(dir, t string) (*entryFile, *x509.Certificate, error) {
	p := filepath.Join(dir, entryName(t))
	b, err := atomicfile.ReadOwned(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err // *fs.PathError names the file
	}
	ef, cert, err := decodeEntry(b, t)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	return ef, cert, nil
}

// decodeEntry parses an entry file and checks that it holds the certificate
// its name promises.
func decodeEntry(b []byte, t string) (*entryFile, *x509.Certificate, error) {
	var ef entryFile
	if err := json.Unmarshal(b, &ef); err != nil || ef.Version != entryVersion {
		return nil, nil, ErrCorrupt
	}
	cert, err := x509.ParseCertificate(ef.Cert)
	if err != nil || Thumbprint(ef.Cert) != t || (ef.Key != nil && !ef.Key.wellFormed()) {
		return nil, nil, ErrCorrupt
	}
	return &ef, cert, nil
}
