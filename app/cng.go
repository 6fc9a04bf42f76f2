package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/cngkey"
	"github.com/certdesk/certdesk/store"
)

// Windows CNG keys (docs/keys.md, "Windows CNG"). On Windows a template
// that demands a TPM gets its key from the Microsoft Platform Crypto
// Provider unless a TPM address is configured, and one that demands a
// smart card from the Microsoft Smart Card Key Storage Provider unless a
// PKCS#11 module is configured; the entry's keyStorage is then cng and
// its keyRef "PROVIDER/NAME". Elsewhere cngkey is not Available and none
// of this applies.

// cngProvider returns the CNG provider that keeps keys for place here.
func (c *Core) cngProvider(place string) (string, bool) {
	if !cngkey.Available {
		return "", false
	}
	kc := c.keyConfig()
	switch {
	case place == store.KeyTPM && kc.tpm == "", place == store.KeyCNG:
		return cngkey.PlatformProvider, true
	case place == store.KeyPKCS11 && kc.module == "":
		return cngkey.SmartCardProvider, true
	}
	return "", false
}

// cngOptions are the NCrypt options of context cx with the PIN ctx
// carries (a smart card's; CNG keys no PIN in the keyring).
func cngOptions(ctx context.Context, cx store.Context) cngkey.Options {
	return cngkey.Options{Machine: cx == store.Machine, PIN: tokenPINFrom(ctx).PIN}
}

// cngError says in one sentence what went wrong with provider; a smart
// card's missing or refused PIN is a *PINError, so the GUI asks for it.
func cngError(what, provider string, err error) error {
	switch {
	case errors.Is(err, cngkey.ErrPINNeeded):
		return &PINError{Token: "smart card", What: what, CNG: true}
	case errors.Is(err, cngkey.ErrWrongPIN):
		return &PINError{Token: "smart card", What: what, CNG: true, Wrong: true}
	case errors.Is(err, cngkey.ErrNoProvider):
		return fmt.Errorf("%s: the Windows provider %q is not available on this computer (%w)", what, provider, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// newCNGKey makes a key of type kt for template t in provider.
func (c *Core) newCNGKey(ctx context.Context, cx store.Context, t *enroll.Template, provider string, kt enroll.KeyType) (*placedKey, error) {
	k, err := cngkey.Generate(provider, kt.Algorithm, kt.Bits, cngOptions(ctx, cx))
	if err != nil {
		return nil, cngError(fmt.Sprintf("a key for template %q", t.CommonName), provider, err)
	}
	return &placedKey{signer: k, storage: store.KeyCNG, ref: k.Ref().String(), nonExportable: true, cng: k}, nil
}

// cngSigner opens the CNG key of entry e of context cx.
func cngSigner(ctx context.Context, cx store.Context, e store.Entry) (*placedKey, error) {
	r, err := cngkey.ParseRef(e.Meta.KeyRef)
	if err != nil {
		return nil, err
	}
	k, err := cngkey.Open(r, cngOptions(ctx, cx))
	if err != nil {
		return nil, cngError("the key of "+e.Thumbprint, r.Provider, err)
	}
	return &placedKey{signer: k, storage: store.KeyCNG, ref: e.Meta.KeyRef, nonExportable: true, cng: k}, nil
}

// checkCNG says, before anything is sent, why keys for template t cannot
// be made in provider here.
func checkCNG(t *enroll.Template, place, provider string) error {
	if err := cngkey.Check(provider); err != nil {
		return fmt.Errorf("%s; the Windows provider %q is not available on this computer", keyNeed(t, place), provider)
	}
	return nil
}
