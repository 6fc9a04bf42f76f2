//go:build !cgo

package pkcs11key

import (
	"crypto"
	"crypto/x509"
)

// Available reports whether this build can reach PKCS#11 modules.
const Available = false

// Token is a logged-in session with one token; without cgo none opens.
type Token struct{}

// Open fails: this build has no PKCS#11 support.
func Open(Config) (*Token, error) { return nil, ErrUnavailable }

// Generate fails: this build has no PKCS#11 support.
func (*Token) Generate(x509.PublicKeyAlgorithm, int) (crypto.Signer, Ref, error) {
	return nil, Ref{}, ErrUnavailable
}

// Signer fails: this build has no PKCS#11 support.
func (*Token) Signer(Ref) (crypto.Signer, error) { return nil, ErrUnavailable }

// PutCertificate fails: this build has no PKCS#11 support.
func (*Token) PutCertificate(Ref, *x509.Certificate) error { return ErrUnavailable }

// Delete fails: this build has no PKCS#11 support.
func (*Token) Delete(Ref) error { return ErrUnavailable }

// Close does nothing.
func (*Token) Close() error { return nil }
