package store

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"

	"github.com/certdesk/certdesk/store/internal/capi"
	"github.com/certdesk/certdesk/store/internal/keychain"
)

// ErrUnsupported: the operating system has no such native store (Linux,
// application contexts, Request on macOS).
var ErrUnsupported = errors.New("this operating system has no such native certificate store")

// System is the operating system's own certificate store for one context
// and store name, the one other programs use: on Windows a crypt32 system
// store (CurrentUser or LocalMachine × MY, Root, CA, REQUEST, as
// certmgr.msc shows them), on macOS the login or System keychain through
// security(1). certdesk's file stores (Open) stay the default; the core
// uses System to show and change what the OS itself trusts and holds.
type System interface {
	// List returns the store's entries with their parsed Certificate;
	// Meta holds only the friendly name.
	List(ctx context.Context) ([]Entry, error)
	// Add adds a certificate without a key (Root, CA). Windows asks the
	// user before adding to CurrentUser\Root; macOS asks for authorisation.
	Add(ctx context.Context, cert *x509.Certificate) error
	// Delete removes the certificate with the thumbprint (a My entry
	// together with its key: the keychain identity, the Windows CNG key).
	Delete(ctx context.Context, thumbprint string) error
	// ImportPFX imports a PFX's certificate with its key (Windows:
	// PFXImportCertStore, intermediates into CA; macOS: security import).
	ImportPFX(ctx context.Context, data []byte, password string) error
	// Close releases the store.
	Close() error
}

// OpenSystem opens the native store n of context c. Where there is none it
// returns an *OpError wrapping ErrUnsupported.
func OpenSystem(c Context, n Name) (System, error) {
	s, err := openSystem(c, n)
	if err != nil {
		return nil, &OpError{Op: "open", Context: c, Store: n, Err: nativeErr(err)}
	}
	return s, nil
}

// nativeCert is a certificate as a native backend lists it.
type nativeCert struct {
	der          []byte
	hasKey       bool
	friendlyName string
}

// nativeEntries converts native certificates to entries of store n,
// skipping any that do not parse.
func nativeEntries(n Name, certs []nativeCert) []Entry {
	var out []Entry
	for _, c := range certs {
		cert, err := x509.ParseCertificate(c.der)
		if err != nil {
			continue
		}
		e := newEntry(n, cert, c.hasKey, Meta{FriendlyName: c.friendlyName})
		e.Certificate = cert
		out = append(out, e)
	}
	return out
}

// nativeError keeps a backend's message and adds the store sentinel.
type nativeError struct{ err, kind error }

func (e *nativeError) Error() string   { return e.err.Error() }
func (e *nativeError) Unwrap() []error { return []error{e.err, e.kind} }

// nativeErrs maps the backends' sentinels to the store's.
var nativeErrs = []struct{ from, to error }{
	{capi.ErrUnsupported, ErrUnsupported},
	{capi.ErrNotFound, ErrNotFound},
	{capi.ErrWrongPassword, ErrWrongPassword},
	{capi.ErrBadData, ErrMalformed},
	{keychain.ErrUnsupported, ErrUnsupported},
	{keychain.ErrNotFound, ErrNotFound},
	{keychain.ErrNeedsKey, ErrNoKey},
}

// nativeErr adds the store sentinel matching a backend error, so callers
// test errors.Is(err, store.ErrNotFound) whatever the OS.
func nativeErr(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range nativeErrs {
		if errors.Is(err, m.from) {
			return &nativeError{err: err, kind: m.to}
		}
	}
	return err
}

// pfxFailure explains a native PFX import failure that came without a
// reason (Wine's crypt32 fails a wrong password so): where certdesk's own
// parser finds the password wrong or the data damaged, that is the error.
// Any other failure, or one the OS already explained, stays as it was.
func pfxFailure(err error, data []byte, password string) error {
	if err == nil {
		return nil
	}
	for _, known := range []error{capi.ErrAccessDenied, capi.ErrCancelled, capi.ErrExists, capi.ErrUnsupported,
		capi.ErrWrongPassword, capi.ErrBadData, capi.ErrNotFound} {
		if errors.Is(err, known) {
			return err
		}
	}
	if _, perr := ParsePFX(data, password); errors.Is(perr, ErrWrongPassword) || errors.Is(perr, ErrMalformed) {
		return perr
	}
	return err
}

// oneTimePFX re-encrypts a PFX under a fresh random password with the
// Compatible profile (3DES, SHA-1 MAC), which every macOS keychain reads.
// security(1) takes the password in argv, so the one it sees protects only
// a private temporary file, never the user's own password.
func oneTimePFX(data []byte, password string) ([]byte, string, error) {
	b, err := ParsePFX(data, password)
	if err != nil {
		return nil, "", err
	}
	if len(b.Keys) != 1 || len(b.Certs) == 0 {
		return nil, "", ErrNoKey
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	pw := hex.EncodeToString(raw)
	pfx, err := encoders[Compatible].Encode(b.Keys[0], b.Certs[0], b.Certs[1:], pw)
	return pfx, pw, err
}
