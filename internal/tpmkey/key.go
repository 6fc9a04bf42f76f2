package tpmkey

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	keyfile "github.com/foxboron/go-tpm-keyfiles"
	"github.com/google/go-tpm/tpm2"
)

// PEMType is the PEM block type of a TSS2 key file, which OpenSSL's tpm2
// provider, tpm2-tss-engine and GnuTLS read.
const PEMType = "TSS2 PRIVATE KEY"

// Key is a key made in or loaded for a TPM. It signs through the TPM,
// connecting to it for each signature (so no connection is held between
// operations, and two keys never wait on one simulator connection).
type Key struct {
	tcti TCTI
	file *keyfile.TPMKey
	pub  crypto.PublicKey
}

// Generate creates a key in the TPM t names: RSA 2048 or ECDSA P-256,
// under the owner hierarchy's standard storage primary, without a
// password (the blob is useless without this TPM).
func Generate(t TCTI, alg x509.PublicKeyAlgorithm, bits int) (*Key, error) {
	var ta tpm2.TPMAlgID
	switch {
	case alg == x509.RSA && bits == 2048:
		ta = tpm2.TPMAlgRSA
	case alg == x509.ECDSA && bits == 256:
		ta = tpm2.TPMAlgECC
	default:
		return nil, fmt.Errorf("certdesk makes RSA 2048 or ECDSA P-256 keys in a TPM, not %v %d", alg, bits)
	}
	tpm, err := t.open()
	if err != nil {
		return nil, err
	}
	defer tpm.Close()
	// No description in the key file: tpm2-openssl 1.1 (Debian 12) cannot
	// read a key file that has one.
	kf, err := keyfile.NewLoadableKey(tpm, ta, bits, nil)
	if err != nil {
		return nil, fmt.Errorf("create the key in the TPM at %s: %w", t, err)
	}
	return newKey(t, kf)
}

// Load returns the key whose blob (Key.Blob) is b, to be used in the TPM
// t names. A blob that is not a TPM signing key is refused in one
// sentence; one another TPM made fails when it signs.
func Load(t TCTI, b []byte) (*Key, error) {
	kf, err := keyfile.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("the TPM key blob cannot be read: %w", err)
	}
	return newKey(t, kf)
}

// newKey checks what the key file says before the library trusts it (it
// panics on a public part it cannot read).
func newKey(t TCTI, kf *keyfile.TPMKey) (*Key, error) {
	pub, err := kf.Pubkey.Contents()
	switch {
	case err != nil:
		return nil, fmt.Errorf("the TPM key blob has no readable public part: %w", err)
	case !kf.Keytype.Equal(keyfile.OIDLoadableKey):
		return nil, errors.New("the TPM key blob is not a loadable key")
	case !pub.ObjectAttributes.SignEncrypt || !pub.ObjectAttributes.FixedTPM:
		return nil, errors.New("the TPM key blob is not a signing key bound to its TPM")
	case !kf.EmptyAuth:
		return nil, errors.New("the TPM key blob needs a password, which certdesk does not set")
	case kf.Parent != tpm2.TPMRHOwner:
		return nil, errors.New("the TPM key blob's parent is not the storage hierarchy")
	}
	k, err := tpm2.Pub(*pub)
	if err != nil {
		return nil, fmt.Errorf("the TPM key blob's public key: %w", err)
	}
	return &Key{tcti: t, file: kf, pub: k}, nil
}

// Blob is the key's TSS2 key file in DER: its public part and its private
// part wrapped by the TPM, which no other TPM can load.
func (k *Key) Blob() []byte { return keyfile.Marshal(k.file) }

// Ref is Blob in base64, as an entry's keyRef keeps it.
func (k *Key) Ref() string { return base64.StdEncoding.EncodeToString(k.Blob()) }

// LoadRef is Load of what Ref wrote.
func LoadRef(t TCTI, ref string) (*Key, error) {
	b, err := base64.StdEncoding.DecodeString(ref)
	if err != nil {
		return nil, fmt.Errorf("the TPM key reference is not base64: %w", err)
	}
	return Load(t, b)
}

// PEM is the key file as a -----BEGIN TSS2 PRIVATE KEY----- block.
func (k *Key) PEM() []byte {
	var b bytes.Buffer
	_ = keyfile.Encode(&b, k.file)
	return b.Bytes()
}

// Public returns the key's public half.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest in the TPM: PKCS #1 v1.5 or PSS for RSA (per opts),
// ECDSA for EC, the digest made with SHA-256, -384 or -512.
func (k *Key) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	tpm, err := k.tcti.open()
	if err != nil {
		return nil, err
	}
	defer tpm.Close()
	s, err := k.file.Signer(tpm, nil, nil)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(rand, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("sign in the TPM at %s: %w", k.tcti, err)
	}
	return sig, nil
}
