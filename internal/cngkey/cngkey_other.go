//go:build !windows

package cngkey

import (
	"crypto"
	"crypto/x509"
	"io"
)

// Available reports whether this build can reach CNG providers.
const Available = false

// Key is a CNG key; off Windows none opens.
type Key struct{}

// Check fails: CNG is Windows only.
func Check(string) error { return ErrUnavailable }

// Generate fails: CNG is Windows only.
func Generate(string, x509.PublicKeyAlgorithm, int, Options) (*Key, error) {
	return nil, ErrUnavailable
}

// Open fails: CNG is Windows only.
func Open(Ref, Options) (*Key, error) { return nil, ErrUnavailable }

// Ref returns the zero Ref.
func (*Key) Ref() Ref { return Ref{} }

// Public returns nil.
func (*Key) Public() crypto.PublicKey { return nil }

// Sign fails: CNG is Windows only.
func (*Key) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, ErrUnavailable }

// Delete fails: CNG is Windows only.
func (*Key) Delete() error { return ErrUnavailable }

// Close does nothing.
func (*Key) Close() error { return nil }
