// Package pkcs11key keeps private keys on a PKCS#11 token (a smart card,
// an HSM, SoftHSM2 in tests): keys are generated on the token as
// non-extractable (CKA_EXTRACTABLE false, CKA_SENSITIVE true), used
// through crypto.Signer, and their certificates written beside them.
//
// It needs cgo (the module is loaded with dlopen or LoadLibrary); a build
// without cgo has the same API and every Open fails with ErrUnavailable.
package pkcs11key

import (
	"errors"
	"fmt"
	"strings"
)

// Config names the module, the token and the PIN of one session.
type Config struct {
	Module string // path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
	Token  string // the token's label
	PIN    string // the user PIN; never logged
}

// Errors Open and the Token methods wrap.
var (
	// ErrUnavailable: this build has no PKCS#11 support.
	ErrUnavailable = errors.New("this build of certdesk has no PKCS#11 support (it was built without cgo)")
	// ErrWrongPIN: the token refused the PIN.
	ErrWrongPIN = errors.New("the token refused the PIN")
	// ErrNoToken: no token with the label is present.
	ErrNoToken = errors.New("no token with that label is present")
	// ErrNoKey: no key pair with the reference is on the token.
	ErrNoKey = errors.New("the key is not on the token")
)

// Ref is where a key is on a token: the token's label and the key's
// CKA_ID, written "LABEL/IDHEX" in an entry's keyRef.
type Ref struct {
	Token string
	ID    []byte
}

// String returns "LABEL/IDHEX".
func (r Ref) String() string { return fmt.Sprintf("%s/%x", r.Token, r.ID) }

// ParseRef reads what Ref.String wrote.
func ParseRef(s string) (Ref, error) {
	i := strings.LastIndexByte(s, '/')
	var id []byte
	if i > 0 {
		_, err := fmt.Sscanf(s[i+1:], "%x", &id)
		if err == nil && len(id) > 0 {
			return Ref{Token: s[:i], ID: id}, nil
		}
	}
	return Ref{}, fmt.Errorf("%q is not a PKCS#11 key reference (LABEL/IDHEX)", s)
}
