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
	"time"

	"github.com/gofrs/flock"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// lockName is the per-context lock file every writer holds.
const lockName = ".lock"

// lockRetry is how often Lock polls a lock held by another process.
const lockRetry = 10 * time.Millisecond

// Tx is a write session holding the context's lock, from Lock until
// Unlock. The core holds one across a renewal so that no other process
// (the GUI, a scheduled pulse) writes the context meanwhile. Every method
// leaves the disk consistent on return; a Tx is not safe for concurrent
// use.
type Tx struct {
	s     *Store
	fl    *flock.Flock
	idx   map[Name][]Entry  // whole indexes this Tx needed, with its rows applied
	rows  map[Name][]logRow // index rows changed since the last commit
	dirty map[Name]bool     // stores with an uncommitted change (index.dirty is on disk)
	batch bool              // inside Batch: commit once, when it ends
}

// Lock waits for the context's file lock (or ctx) and returns the Tx that
// holds it. Call Unlock when done. A Tx from the same process blocks a
// second Lock like one from another process does.
func (s *Store) Lock(ctx context.Context) (*Tx, error) {
	if err := mkdirDurable(s.dir); err != nil {
		return nil, s.opErr("lock", "", s.dir, err)
	}
	if !s.restricted.Load() {
		if err := restrictDir(s.dir, s.c == Machine); err != nil {
			return nil, s.opErr("lock", "", s.dir, fmt.Errorf("keeping other users out: %w", err))
		}
		s.restricted.Store(true)
	}
	lockPath := filepath.Join(s.dir, lockName)
	if err := prepareLock(lockPath); err != nil {
		return nil, s.opErr("lock", "", lockPath, err)
	}
	fl := flock.New(lockPath, flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(ctx, lockRetry)
	if err == nil && !ok {
		err = errors.New("lock not acquired")
	}
	if err != nil {
		return nil, s.opErr("lock", "", fl.Path(), err)
	}
	return &Tx{s: s, fl: fl, idx: map[Name][]Entry{}, rows: map[Name][]logRow{}, dirty: map[Name]bool{}}, nil
}

// Unlock writes any pending index and releases the lock. It is safe to
// call more than once.
func (tx *Tx) Unlock() error {
	if tx.fl == nil {
		return nil
	}
	err := tx.flush()
	if uerr := tx.fl.Unlock(); err == nil {
		err = uerr
	}
	tx.fl = nil
	return err
}

// Store returns the Store the Tx writes to.
func (tx *Tx) Store() *Store { return tx.s }

// index returns the whole index of store n, with this Tx's uncommitted
// rows applied. Only lookups that need every row call it (a key without
// its certificate, Verify, the rewrite of a compaction); a plain write
// does not, so that its cost does not grow with the store.
func (tx *Tx) index(n Name) ([]Entry, error) {
	if es, ok := tx.idx[n]; ok {
		return es, nil
	}
	dir := tx.s.storeDir(n)
	var es []Entry
	var err error
	if tx.dirty[n] {
		// The marker on disk is this Tx's own: index.bin and the journal
		// are as the last commit left them, unless missing or damaged
		// (a new store, or a file removed by hand); then the entry files,
		// this Tx's included, are the index (the rows applied below
		// change nothing more).
		if es, err = loadIndexFile(dir); err != nil {
			es, _, err = scanEntries(n, dir)
		}
	} else {
		es, err = repairIndex(n, dir)
	}
	if err != nil {
		return nil, err
	}
	es = applyRows(es, tx.rows[n])
	tx.idx[n] = es
	return es, nil
}

// markDirty creates the store directory and, once per commit and store,
// the durable dirty marker, before any entry of store n changes. A marker
// already there was left by a writer that died: the index is rebuilt
// first, so this Tx's journal frame does not land on a stale index.
func (tx *Tx) markDirty(n Name) error {
	if tx.fl == nil {
		return errors.New("store: Tx used after Unlock")
	}
	if tx.dirty[n] {
		return nil
	}
	if _, err := ParseName(string(n)); err != nil {
		// A Name made by conversion rather than ParseName never becomes a
		// directory unchecked (reserved Windows names included).
		return err
	}
	dir := tx.s.storeDir(n)
	if _, err := os.Lstat(filepath.Join(dir, dirtyName)); err == nil {
		if _, err := tx.index(n); err != nil {
			return err
		}
	}
	if err := mkdirDurable(dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, dirtyName), nil, 0o600); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	tx.dirty[n] = true
	return nil
}

// commit makes this Tx's changes durable in the index now, unless the Tx
// is a Batch, which commits once when it ends.
func (tx *Tx) commit() error {
	if tx.batch {
		return nil
	}
	return tx.flush()
}

// flush commits the changed rows of every store this Tx changed.
func (tx *Tx) flush() error {
	for n := range tx.dirty {
		if err := tx.commitStore(n); err != nil {
			return tx.s.opErr("write index", n, "", err)
		}
		delete(tx.dirty, n)
		delete(tx.rows, n)
	}
	return nil
}

// commitStore records the changed rows of store n: one journal frame,
// fsynced, then one directory fsync, which also makes the entry files'
// renames durable (put skips theirs); or, when the journal is due for
// compaction, index.bin rewritten whole. Either way the dirty marker goes
// last, so a crash before it makes the next reader rebuild from the entry
// files.
func (tx *Tx) commitStore(n Name) error {
	dir := tx.s.storeDir(n)
	frame := encodeFrame(tx.rows[n])
	compact, err := needsCompaction(dir, len(frame))
	if err != nil {
		return err
	}
	if compact {
		es, err := tx.index(n)
		if err != nil {
			return err
		}
		return writeIndex(dir, es)
	}
	if len(tx.rows[n]) > 0 {
		if err := appendJournal(dir, frame); err != nil {
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, dirtyName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// put writes an entry file and records its index row.
func (tx *Tx) put(n Name, ef *entryFile, cert *x509.Certificate) (Entry, error) {
	if err := tx.markDirty(n); err != nil {
		return Entry{}, err
	}
	b, err := json.Marshal(ef)
	if err != nil {
		return Entry{}, err
	}
	e := newEntry(n, cert, ef.hasKey(), ef.Meta)
	// No directory fsync here: the commit fsyncs the directory once for
	// every entry it records, before the marker goes and before the
	// operation (or the Batch) returns.
	if err := writeFileRenamed(tx.s.storeDir(n), entryName(e.Thumbprint), b); err != nil {
		return Entry{}, err
	}
	tx.setIndex(n, e.Thumbprint, &e)
	e.Certificate = cert
	return e, nil
}

// setIndex records the new row (e != nil) or the removal of thumbprint t,
// for the next commit and in the whole index if this Tx loaded it.
func (tx *Tx) setIndex(n Name, t string, e *Entry) {
	r := logRow{t: t}
	if e != nil {
		c := *e
		r.e = &c
	}
	tx.rows[n] = append(tx.rows[n], r)
	if es, ok := tx.idx[n]; ok {
		tx.idx[n] = applyRow(es, r)
	}
}

// Change says what Add did.
type Change string

// The outcomes of Add.
const (
	Added     Change = "added"     // a new entry
	Attached  Change = "attached"  // the key was added to an entry that had none
	Unchanged Change = "unchanged" // the entry already existed as given
)

// Add puts cert (with key, if not nil) into store n with meta. Adding a
// certificate that is already there changes nothing; adding it with a key
// it lacked attaches the key; adding an archived one restores it (Added).
// The key must match the certificate. When meta.KeyStorage names a place
// other than KeySoftware, key is that place's signer: it is matched but not
// stored, and meta.KeyRef says where it is.
func (tx *Tx) Add(ctx context.Context, n Name, cert *x509.Certificate, key crypto.PrivateKey, meta Meta) (Entry, Change, error) {
	e, ch, err := tx.add(ctx, n, cert, key, meta)
	if err == nil {
		err = tx.commit()
	}
	if err != nil {
		return Entry{}, "", tx.s.opErr("add", n, "", err)
	}
	return e, ch, nil
}

func (tx *Tx) add(ctx context.Context, n Name, cert *x509.Certificate, key crypto.PrivateKey, meta Meta) (Entry, Change, error) {
	if key != nil && !keyMatches(key, cert) {
		return Entry{}, "", errors.New("the private key does not match the certificate")
	}
	t := Thumbprint(cert.Raw)
	old, _, err := readEntryFile(tx.s.storeDir(n), t)
	switch {
	case err == nil && old.Meta.Archived:
		// Adding an archived (deleted) certificate again brings it back,
		// with the key it had or the one given now.
		old.Meta.Archived = false
		if !old.hasKey() && key != nil {
			old.Meta.setKeyPlace(meta)
			if !old.Meta.HeldElsewhere() {
				if old.Key, err = tx.sealKey(ctx, t, key); err != nil {
					return Entry{}, "", err
				}
			}
		}
		e, err := tx.put(n, old, cert)
		return e, Added, err
	case err == nil && (old.hasKey() || key == nil):
		e := newEntry(n, cert, old.hasKey(), old.Meta)
		e.Certificate = cert
		return e, Unchanged, nil
	case err == nil:
		// attach: keep what is known about the entry, and where the key
		// given now lives
		place := meta
		meta, err = old.Meta, nil
		meta.setKeyPlace(place)
	case !errors.Is(err, ErrNotFound):
		return Entry{}, "", err
	}
	ef := &entryFile{Version: entryVersion, Cert: cert.Raw, Meta: meta}
	if ef.Meta.ImportedAt.IsZero() {
		ef.Meta.ImportedAt = tx.s.now().UTC().Truncate(time.Second)
	}
	// A key held elsewhere (meta.KeyStorage) was matched above and stays
	// where it is; only its reference is written.
	if key != nil && !ef.Meta.HeldElsewhere() {
		if ef.Key, err = tx.sealKey(ctx, t, key); err != nil {
			return Entry{}, "", err
		}
	}
	e, err := tx.put(n, ef, cert)
	if old != nil {
		return e, Attached, err
	}
	return e, Added, err
}

// UpdateMeta applies f to the metadata of an entry and writes it back,
// atomically with respect to every other writer (the Tx holds the lock).
func (tx *Tx) UpdateMeta(ctx context.Context, n Name, thumbprint string, f func(*Meta) error) (Entry, error) {
	e, err := tx.updateMeta(n, thumbprint, f)
	if err == nil {
		err = tx.commit()
	}
	if err != nil {
		return Entry{}, tx.s.opErr("update", n, "", err)
	}
	return e, nil
}

func (tx *Tx) updateMeta(n Name, thumbprint string, f func(*Meta) error) (Entry, error) {
	t, err := NormalizeThumbprint(thumbprint)
	if err != nil {
		return Entry{}, err
	}
	ef, cert, err := readEntryFile(tx.s.storeDir(n), t)
	if err != nil {
		return Entry{}, err
	}
	if err := f(&ef.Meta); err != nil {
		return Entry{}, err
	}
	return tx.put(n, ef, cert)
}

// Delete archives the entry: it stays on disk, hidden from List unless
// IncludeArchived, as Windows keeps archived certificates. Purge removes it.
func (tx *Tx) Delete(ctx context.Context, n Name, thumbprint string) error {
	_, err := tx.UpdateMeta(ctx, n, thumbprint, func(m *Meta) error { m.Archived = true; return nil })
	return err
}

// Purge removes the entry and its key from disk for good.
func (tx *Tx) Purge(ctx context.Context, n Name, thumbprint string) error {
	err := tx.purge(n, thumbprint)
	if err == nil {
		err = tx.commit()
	}
	if err != nil {
		return tx.s.opErr("purge", n, "", err)
	}
	return nil
}

func (tx *Tx) purge(n Name, thumbprint string) error {
	t, err := NormalizeThumbprint(thumbprint)
	if err != nil {
		return err
	}
	dir := tx.s.storeDir(n)
	if _, err := os.Stat(filepath.Join(dir, entryName(t))); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err := tx.markDirty(n); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, entryName(t))); err != nil {
		return err
	}
	tx.setIndex(n, t, nil)
	return nil // the commit fsyncs the directory
}

// withTx runs f holding the lock; the convenience methods below use it.
func (s *Store) withTx(ctx context.Context, f func(*Tx) error) error {
	tx, err := s.Lock(ctx)
	if err != nil {
		return err
	}
	err = f(tx)
	if uerr := tx.Unlock(); err == nil {
		err = uerr
	}
	return err
}

// Batch runs f in one Tx and commits what it wrote once, when f returns:
// one journal frame (or one index rewrite) and one directory fsync per
// store changed, instead of one per call, so that a command writing many
// entries (certdesk store import FILE...) costs what it writes. Inside f
// the Tx's methods do not commit; until Batch returns, readers in other
// processes find the dirty marker and rebuild from the entry files, as
// after a crash. What f wrote is committed even if f returns an error
// (every entry file is whole, and the entry files are the truth); Batch
// returns f's error, else the commit's.
func (s *Store) Batch(ctx context.Context, f func(*Tx) error) error {
	return s.withTx(ctx, func(tx *Tx) error {
		tx.batch = true
		defer func() { tx.batch = false }()
		return f(tx)
	})
}

// Add is Tx.Add under a lock of its own.
func (s *Store) Add(ctx context.Context, n Name, cert *x509.Certificate, key crypto.PrivateKey, meta Meta) (e Entry, ch Change, err error) {
	err = s.withTx(ctx, func(tx *Tx) error { e, ch, err = tx.Add(ctx, n, cert, key, meta); return err })
	return e, ch, err
}

// UpdateMeta is Tx.UpdateMeta under a lock of its own.
func (s *Store) UpdateMeta(ctx context.Context, n Name, thumbprint string, f func(*Meta) error) (e Entry, err error) {
	err = s.withTx(ctx, func(tx *Tx) error { e, err = tx.UpdateMeta(ctx, n, thumbprint, f); return err })
	return e, err
}

// Delete is Tx.Delete (archive) under a lock of its own.
func (s *Store) Delete(ctx context.Context, n Name, thumbprint string) error {
	return s.withTx(ctx, func(tx *Tx) error { return tx.Delete(ctx, n, thumbprint) })
}

// Purge is Tx.Purge under a lock of its own.
func (s *Store) Purge(ctx context.Context, n Name, thumbprint string) error {
	return s.withTx(ctx, func(tx *Tx) error { return tx.Purge(ctx, n, thumbprint) })
}

// keyMatches reports whether key is the private half of cert's public key.
func keyMatches(key crypto.PrivateKey, cert *x509.Certificate) bool {
	s, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// prepareLock creates the lock file if need be, refusing a symbolic link
// or anything but a regular file at its path, so flock (which opens the
// path itself) never follows a link planted there.
func prepareLock(path string) error {
	f, err := atomicfile.OpenNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}
