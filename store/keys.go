package store

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/certdesk/certdesk/internal/keyring"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Protection says how a context protects private keys at rest.
type Protection string

// The protections. User and app contexts default to ProtectKeyring;
// ProtectFile is the explicit opt-in for headless devices with no keyring.
// The machine context always uses ProtectFile (0600 files in 0700
// directories owned by root), since a per-user keyring cannot serve a
// system service.
const (
	ProtectKeyring Protection = "keyring" // AES-256-GCM, key-encryption key in the OS keyring
	ProtectFile    Protection = "file"    // plain PKCS#8, file permissions only
)

// Keyring is the part of the OS keyring the store uses; internal/keyring
// is the default implementation.
type Keyring interface {
	Get(ctx context.Context, service, user string) (string, error)
	Set(ctx context.Context, service, user, secret string) error
}

type osKeyring struct{}

func (osKeyring) Get(ctx context.Context, service, user string) (string, error) {
	return keyring.Get(ctx, service, user)
}
func (osKeyring) Set(ctx context.Context, service, user, secret string) error {
	return keyring.Set(ctx, service, user, secret)
}

// protectionName is the per-context file recording the protection and the
// keyring entry of the key-encryption key.
const protectionName = "protection.json"

type protectionFile struct {
	Mode        Protection `json:"mode"`
	KeyringUser string     `json:"keyringUser,omitempty"` // keyring account of the key-encryption key
}

// keyBlob is a private key as stored in an entry file.
type keyBlob struct {
	Protection string `json:"protection"` // "aes-256-gcm" or "none"
	Nonce      []byte `json:"nonce,omitempty"`
	Data       []byte `json:"data"` // sealed or plain PKCS#8 DER
}

const (
	blobSealed = "aes-256-gcm"
	blobPlain  = "none"
)

// wellFormed checks what can be checked without the key-encryption key: a
// known protection, a GCM nonce and room for its tag, or a plain key that
// parses. Verify reports a blob failing it as damage.
func (b *keyBlob) wellFormed() bool {
	switch b.Protection {
	case blobSealed:
		return len(b.Nonce) == 12 && len(b.Data) > 16
	case blobPlain:
		_, err := x509.ParsePKCS8PrivateKey(b.Data)
		return err == nil
	}
	return false
}

// Protection returns how the context protects new private keys.
func (s *Store) Protection() (Protection, error) {
	pf, err := s.readProtection()
	return pf.Mode, err
}

func (s *Store) readProtection() (protectionFile, error) {
	def := protectionFile{Mode: ProtectKeyring}
	if s.c == Machine {
		def.Mode = ProtectFile
	}
	b, err := atomicfile.ReadOwned(filepath.Join(s.dir, protectionName))
	if errors.Is(err, fs.ErrNotExist) {
		return def, nil
	}
	if err != nil {
		return def, s.opErr("read protection", "", "", err)
	}
	var pf protectionFile
	if json.Unmarshal(b, &pf) != nil || (pf.Mode != ProtectKeyring && pf.Mode != ProtectFile) {
		return def, s.opErr("read protection", "", filepath.Join(s.dir, protectionName), ErrCorrupt)
	}
	return pf, nil
}

// SetProtection chooses how the context protects private keys written from
// now on; keys already stored keep their protection. ProtectFile is the
// documented opt-in for headless devices without a keyring.
func (tx *Tx) SetProtection(ctx context.Context, p Protection) error {
	s := tx.s
	if p != ProtectKeyring && p != ProtectFile {
		return fmt.Errorf("store: unknown key protection %q (want keyring or file)", p)
	}
	if s.c == Machine && p != ProtectFile {
		return s.opErr("protect", "", "", errors.New("the machine context protects keys by file permissions only"))
	}
	pf, err := s.readProtection()
	if err != nil {
		return err
	}
	pf.Mode = p
	return s.writeProtection(pf)
}

// SetProtection is Tx.SetProtection under a lock of its own.
func (s *Store) SetProtection(ctx context.Context, p Protection) error {
	return s.withTx(ctx, func(tx *Tx) error { return tx.SetProtection(ctx, p) })
}

func (s *Store) writeProtection(pf protectionFile) error {
	b, _ := json.Marshal(pf)
	if err := writeFileAtomic(s.dir, protectionName, b); err != nil {
		return s.opErr("protect", "", filepath.Join(s.dir, protectionName), err)
	}
	return nil
}

// sealKey turns key into a keyBlob under the context's protection,
// creating the key-encryption key on first use (the Tx holds the lock, so
// two processes cannot create two).
func (tx *Tx) sealKey(ctx context.Context, thumbprint string, key crypto.PrivateKey) (*keyBlob, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	kek, err := tx.kek(ctx, true)
	if err != nil || kek == nil {
		return &keyBlob{Protection: blobPlain, Data: der}, err
	}
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	// The thumbprint is the associated data: a sealed key copied into
	// another entry's file fails to open instead of pairing with the wrong
	// certificate.
	return &keyBlob{Protection: blobSealed, Nonce: nonce, Data: aead.Seal(nil, nonce, der, []byte(thumbprint))}, nil
}

// kek returns the context's key-encryption key, or nil under ProtectFile.
// With create (only under the lock) a missing key is generated and saved.
func (tx *Tx) kek(ctx context.Context, create bool) ([]byte, error) {
	s := tx.s
	pf, err := s.readProtection()
	if err != nil || pf.Mode == ProtectFile {
		return nil, err
	}
	if pf.KeyringUser != "" || !create {
		return s.readKEK(ctx, pf)
	}
	k := make([]byte, 32)
	rand.Read(k)
	id := make([]byte, 8)
	rand.Read(id)
	// A random account name per context directory keeps two roots (tests,
	// portable installs) from sharing or overwriting each other's key.
	pf.KeyringUser = "kek:" + string(s.c) + ":" + hex.EncodeToString(id)
	if err := s.kr.Set(ctx, keyring.Service, pf.KeyringUser, base64.StdEncoding.EncodeToString(k)); err != nil {
		return nil, mapKeyringErr(err)
	}
	if err := s.writeProtection(pf); err != nil {
		return nil, err
	}
	s.kekMu.Lock()
	s.kek = k
	s.kekMu.Unlock()
	return k, nil
}

// readKEK fetches (and caches) the key-encryption key named in pf.
func (s *Store) readKEK(ctx context.Context, pf protectionFile) ([]byte, error) {
	s.kekMu.Lock()
	defer s.kekMu.Unlock()
	if s.kek != nil {
		return s.kek, nil
	}
	if pf.KeyringUser == "" {
		return nil, errors.New("no key-encryption key has been created for this context")
	}
	v, err := s.kr.Get(ctx, keyring.Service, pf.KeyringUser)
	if err != nil {
		if errors.Is(err, keyring.ErrNotFound) {
			return nil, fmt.Errorf("the key-encryption key %q is missing from the OS keyring, so stored private keys cannot be read", pf.KeyringUser)
		}
		return nil, mapKeyringErr(err)
	}
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("the key-encryption key %q in the OS keyring is damaged", pf.KeyringUser)
	}
	s.kek = k
	return k, nil
}

// mapKeyringErr turns "no keyring" into the store's sentence with both
// remedies.
func mapKeyringErr(err error) error {
	if errors.Is(err, keyring.ErrUnavailable) {
		return &wrapped{msg: ErrKeyringUnavailable.Error(), errs: []error{ErrKeyringUnavailable, err}}
	}
	return err
}

// wrapped prints msg and unwraps to several errors.
type wrapped struct {
	msg  string
	errs []error
}

func (w *wrapped) Error() string   { return w.msg }
func (w *wrapped) Unwrap() []error { return w.errs }

// openKey decrypts and parses a stored key.
func (s *Store) openKey(ctx context.Context, thumbprint string, b *keyBlob) (crypto.Signer, error) {
	der := b.Data
	switch b.Protection {
	case blobPlain:
	case blobSealed:
		pf, err := s.readProtection()
		if err != nil {
			return nil, err
		}
		kek, err := s.readKEK(ctx, pf)
		if err != nil {
			return nil, err
		}
		aead, err := newGCM(kek)
		if err != nil {
			return nil, err
		}
		if der, err = aead.Open(nil, b.Nonce, b.Data, []byte(thumbprint)); err != nil {
			return nil, fmt.Errorf("the private key cannot be decrypted with the context's key-encryption key: %w", ErrCorrupt)
		}
	default:
		return nil, ErrCorrupt
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, ErrCorrupt
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, ErrCorrupt
	}
	return signer, nil
}

func newGCM(kek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
