// Package store holds certdesk's certificate stores: contexts (machine, user,
// app:<id>), the stores inside them (My, Root, CA, Request and user-created
// names) and their entries, with import and export of PFX, PEM, DER and P7B.
//
// # Layout
//
// A Location says where contexts live (CERTDESK_ROOT or the platform
// defaults). Open returns a *Store for one context; every store of that
// context is a directory of entry files, one per certificate, named by its
// SHA-1 thumbprint, plus an index that List reads so listing never parses
// certificates. docs/store.md describes the files.
//
// # Concurrency
//
// Readers (List, Get, Signer, Chain) take no lock and may run at any time.
// Writers take the per-context file lock (Lock returns a *Tx holding it), so
// writers in different processes serialise; the convenience methods on
// *Store (Add, Import, UpdateMeta, Delete, Purge) take and release it
// themselves. An entry file is written atomically and is the truth; the
// index is derived from the entries and rebuilt when a writer died before
// updating it. A *Store is safe for concurrent use; a *Tx is not.
//
// # Errors
//
// Operations return *OpError (operation, context, store, file) wrapping a
// sentinel such as ErrNotFound or ErrKeyringUnavailable, or an
// *ImportError naming the file and the reason in one sentence.
package store
