//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// Available reports whether this build can reach PKCS#11 modules.
const Available = true

// Token is a logged-in session with one token; Close ends it. Signers it
// returned stop working after Close.
type Token struct {
	label string
	ctx   *crypto11.Context
}

// Open loads the module, finds the token by label and logs in with the
// PIN. A wrong PIN is ErrWrongPIN and leaves the token as it was.
func Open(c Config) (*Token, error) {
	if c.Module == "" || c.Token == "" {
		return nil, errors.New("a PKCS#11 module and a token label are needed")
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: c.Module, TokenLabel: c.Token, Pin: c.PIN})
	if err != nil {
		return nil, mapErr(err)
	}
	return &Token{label: c.Token, ctx: ctx}, nil
}

// mapErr turns the module's codes people meet into this package's errors.
func mapErr(err error) error {
	var pe pkcs11.Error
	switch {
	case errors.As(err, &pe) && (pe == pkcs11.CKR_PIN_INCORRECT || pe == pkcs11.CKR_PIN_LEN_RANGE || pe == pkcs11.CKR_PIN_INVALID):
		return ErrWrongPIN
	case errors.As(err, &pe) && pe == pkcs11.CKR_PIN_LOCKED:
		return errors.New("the token's PIN is locked")
	case strings.Contains(err.Error(), "could not find PKCS#11 token"):
		return ErrNoToken
	}
	return err
}

// Generate makes a key pair on the token, private half non-extractable
// and sensitive (crypto11's defaults, checked by the tests): RSA of bits,
// or ECDSA on P-256 or P-384 (bits 256, 384). Its CKA_ID is random.
func (t *Token) Generate(alg x509.PublicKeyAlgorithm, bits int) (crypto.Signer, Ref, error) {
	id := make([]byte, 16)
	rand.Read(id)
	var (
		k   crypto.Signer
		err error
	)
	switch {
	case alg == x509.RSA:
		k, err = t.ctx.GenerateRSAKeyPairWithLabel(id, []byte("certdesk"), bits)
	case alg == x509.ECDSA && bits == 256:
		k, err = t.ctx.GenerateECDSAKeyPairWithLabel(id, []byte("certdesk"), elliptic.P256())
	case alg == x509.ECDSA && bits == 384:
		k, err = t.ctx.GenerateECDSAKeyPairWithLabel(id, []byte("certdesk"), elliptic.P384())
	default:
		return nil, Ref{}, fmt.Errorf("the token cannot make a %v %d key for certdesk", alg, bits)
	}
	if err != nil {
		return nil, Ref{}, fmt.Errorf("generate the key on token %q: %w", t.label, mapErr(err))
	}
	return k, Ref{Token: t.label, ID: id}, nil
}

// Signer returns the key pair r names.
func (t *Token) Signer(r Ref) (crypto.Signer, error) {
	k, err := t.ctx.FindKeyPair(r.ID, nil)
	if err != nil {
		return nil, mapErr(err)
	}
	if k == nil {
		return nil, ErrNoKey
	}
	return k, nil
}

// PutCertificate writes cert to the token beside the key r names (same
// CKA_ID), labelled with its subject's common name.
func (t *Token) PutCertificate(r Ref, cert *x509.Certificate) error {
	label := cert.Subject.CommonName
	if label == "" {
		label = "certdesk"
	}
	if err := t.ctx.ImportCertificateWithLabel(r.ID, []byte(label), cert); err != nil {
		return fmt.Errorf("write the certificate to token %q: %w", t.label, mapErr(err))
	}
	return nil
}

// Delete removes the key pair r names (an enrollment that failed before
// the CA issued anything).
func (t *Token) Delete(r Ref) error {
	k, err := t.ctx.FindKeyPair(r.ID, nil)
	if err != nil || k == nil {
		return err
	}
	return k.Delete()
}

// Close logs out and ends the session.
func (t *Token) Close() error { return t.ctx.Close() }
