package store

import (
	"errors"
	"io/fs"
)

// Sentinels wrapped by *OpError; match them with errors.Is.
var (
	// ErrNotFound: no such entry or store. It matches fs.ErrNotExist too.
	ErrNotFound error = notFound{}
	// ErrNoKey: the entry has no private key.
	ErrNoKey = errors.New("the entry has no private key")
	// ErrKeyElsewhere: the entry's key is held outside the store (a TPM,
	// a token); open it from there (Meta.KeyStorage, Meta.KeyRef).
	ErrKeyElsewhere = errors.New("the private key is held outside the store (see its keyStorage)")
	// ErrNotExportable: the key may not leave where it is kept.
	ErrNotExportable = errors.New("the private key is not exportable; export the certificate alone (-format der, p7b, or pem without the key)")
	// ErrCorrupt: a store file cannot be decoded.
	ErrCorrupt = errors.New("the file is damaged")
	// ErrKeyringUnavailable: the context protects keys with the OS keyring
	// and none is reachable. The message gives both remedies.
	ErrKeyringUnavailable = errors.New(`no OS keyring is reachable to protect private keys: start a Secret Service (gnome-keyring or KeePassXC, unlocked) in this session, or on a headless device opt in to file-permission-only protection with "certdesk store protect -mode file"`)
	// ErrPasswordRequired: a PFX export of a private key needs a password.
	ErrPasswordRequired = errors.New("exporting a private key to PFX needs a password")
)

type notFound struct{}

func (notFound) Error() string        { return "no such entry" }
func (notFound) Is(target error) bool { return target == fs.ErrNotExist }

// OpError records a failed store operation: the operation, where, and why.
// Its message reads "OP CONTEXT/STORE[ FILE]: REASON".
type OpError struct {
	Op      string  // "list", "add", "get", ...
	Context Context // the context
	Store   Name    // the store, if any
	Path    string  // the file involved, if any
	Err     error   // the cause
}

// Error returns "OP CONTEXT/STORE[ FILE]: REASON".
func (e *OpError) Error() string {
	where := string(e.Context)
	if e.Store != "" {
		where += "/" + string(e.Store)
	}
	if e.Path != "" {
		where += " " + e.Path
	}
	return e.Op + " " + where + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// ImportError reports why a file could not be imported, in one sentence
// naming the file ("import client.pfx: wrong password or unsupported PFX
// encryption"). Err is a sentinel below or an underlying error.
type ImportError struct {
	File   string // the file as the caller named it
	Reason string // one clause, lower-case, no trailing period
	Err    error  // the cause, for errors.Is/As; may be nil
}

// Error returns the one sentence "import FILE: REASON".
func (e *ImportError) Error() string { return "import " + e.File + ": " + e.Reason }

// Unwrap returns the cause.
func (e *ImportError) Unwrap() error { return e.Err }

// Import failure causes, wrapped by *ImportError. Their messages are the
// reason clause users read, so they name no Go types. A wrong password and
// a corrupted PFX cannot be told apart (both fail the MAC), hence one
// message for both.
var (
	// ErrWrongPassword: the PFX MAC or decryption failed.
	ErrWrongPassword = errors.New("wrong password or unsupported PFX encryption")
	// ErrUnknownFormat: the content is none of the formats Sniff knows.
	ErrUnknownFormat = errors.New("not a certificate, PFX, PEM or P7B file")
	// ErrNoCertificates: a well-formed file without certificates (an empty P7B).
	ErrNoCertificates = errors.New("the file holds no certificates")
	// ErrKeyWithoutCert: a key whose certificate is neither in the file nor in the store.
	ErrKeyWithoutCert = errors.New("a private key matches no certificate in the file or the store")
	// ErrTooLarge: over MaxImportSize.
	ErrTooLarge = errors.New("the file is too large to be a certificate file")
	// ErrEmpty: nothing but whitespace.
	ErrEmpty = errors.New("the file is empty")
	// ErrMalformed: the format was recognised but its structure is broken.
	ErrMalformed = errors.New("the file is damaged or truncated")
	// ErrUnsupportedData: a well-formed file certdesk cannot use; the
	// *ImportError's reason says which case (encrypted PEM key, PFX with
	// several keys, certificates-only PFX).
	ErrUnsupportedData = errors.New("the file holds data certdesk cannot use")
)
