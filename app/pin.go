package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/internal/pkcs11key"
	"github.com/certdesk/certdesk/store"
)

// Token PINs (docs/keys.md, "The token PIN"). A person gives the PIN for
// one call (-pin-stdin, -pin-file, the GUI's PIN dialog) and may opt in
// to keeping it: then it is saved, once the token has accepted it, in the
// OS keyring under the module and the token's label (the machine context,
// which has no keyring, keeps it in a root-only file as it does server
// passwords), and the scheduled pulse renews keys on that token unattended.
// Without a saved PIN an unattended renewal stops in one sentence and is
// not retried automatically: a guessed retry could only lock the card.

// TokenPIN is a token PIN a person gave for one call, and whether to keep
// it in the keyring once the token accepts it.
type TokenPIN struct {
	PIN  string
	Save bool
}

type tokenPINKey struct{}

// WithTokenPIN returns ctx carrying p: the core uses it for whatever token
// the call needs (Renew's old and new keys, a certificate-authenticated
// client key), before any saved PIN.
func WithTokenPIN(ctx context.Context, p TokenPIN) context.Context {
	return context.WithValue(ctx, tokenPINKey{}, p)
}

// tokenPINFrom returns the PIN ctx carries, if any.
func tokenPINFrom(ctx context.Context) TokenPIN {
	p, _ := ctx.Value(tokenPINKey{}).(TokenPIN)
	return p
}

// ErrNoPIN is returned by ForgetPIN (and wrapped by the saved-PIN lookup)
// when no PIN is saved for the token.
var ErrNoPIN = errors.New("no PIN is saved for the token")

// PINError says that a token's PIN is missing or was refused. Callers
// that can ask a person (the GUI) ask and call again with WithTokenPIN or
// EnrollRequest.PIN; an unattended pulse records it as permanent.
type PINError struct {
	Token string // the token's label
	What  string // what needed the PIN, e.g. "renewal of <thumbprint>"
	Wrong bool   // the token refused the PIN it was given
	Saved bool   // the refused PIN was the one saved in the keyring
	CNG   bool   // a card behind Windows' Smart Card KSP, whose PIN is not kept
	// Context is where the PIN would be saved; other than user, the
	// command in the sentence names it.
	Context store.Context
}

func (e *PINError) Error() string {
	save := "certdesk pin save -token " + shellWord(e.Token) + " -pin-stdin"
	if e.Context != "" && e.Context != store.User {
		save = "certdesk pin save -context " + shellWord(string(e.Context)) + " -token " + shellWord(e.Token) + " -pin-stdin"
	}
	switch {
	case e.CNG && e.Wrong:
		return "the smart card refused the PIN; nothing was changed"
	case e.CNG:
		return fmt.Sprintf("%s needs the PIN of the smart card; give it with -pin-stdin", cmp.Or(e.What, "the key"))
	case e.Wrong && e.Saved:
		return fmt.Sprintf("token %q refused the PIN saved for it; nothing was changed (save the right one with %q)", e.Token, save)
	case e.Wrong:
		return fmt.Sprintf("token %q refused the PIN; nothing was changed", e.Token)
	}
	return fmt.Sprintf("%s needs the PIN of token %q; give it with -pin-stdin or save it with %q", cmp.Or(e.What, "the key"), e.Token, save)
}

// shellWord quotes s for a POSIX shell when it holds more than letters,
// digits and -_.:@.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:@/", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// forRenewal names renewal of thumbprint as what needed a PIN that err
// says is missing.
func forRenewal(err error, thumbprint string) error {
	var pe *PINError
	if errors.As(err, &pe) && !pe.Wrong {
		return &PINError{Token: pe.Token, What: "renewal of " + thumbprint, Context: pe.Context}
	}
	return err
}

// pinAccount is the keyring account of the PIN of token label in module.
func pinAccount(module, label string) string {
	return fmt.Sprintf("pkcs11 PIN %q %q", module, label)
}

// pinFile is where the machine context keeps that PIN: a root-only
// directory of files named by a hash of the account.
func pinFile(s *store.Store, module, label string) string {
	sum := sha256.Sum256([]byte(pinAccount(module, label)))
	return filepath.Join(s.Dir(), "pins", hex.EncodeToString(sum[:16]))
}

// tokenLabel is label, or the configured token when label is "".
func (c *Core) tokenLabel(label string) (module, token string, err error) {
	kc := c.keyConfig()
	label = cmp.Or(label, kc.token)
	switch {
	case !pkcs11key.Available:
		return "", "", pkcs11key.ErrUnavailable
	case kc.module == "":
		return "", "", errors.New("no PKCS#11 module is configured (set CERTDESK_PKCS11_MODULE or the pkcs11Module setting)")
	case label == "":
		return "", "", errors.New("no token is named: give -token LABEL or set the pkcs11Token setting")
	}
	if err := checkPKCS11Module(kc.module); err != nil {
		return "", "", err
	}
	return kc.module, label, checkKeyStorageSetting("token label", label)
}

// SavePIN checks pin against token label ("" is the configured token)
// and, when the token accepts it, keeps it for context cx. A refused PIN
// is a *PINError and nothing is saved. A renewal of a key on the token
// that failed for want of its PIN is retried at the next pulse.
func (c *Core) SavePIN(ctx context.Context, cx store.Context, label, pin string) error {
	if pin == "" || strings.ContainsAny(pin, "\r\n") {
		return errors.New("a PIN must be one line and not empty")
	}
	_, label, err := c.tokenLabel(label)
	if err != nil {
		return err
	}
	tok, err := c.openToken(WithTokenPIN(ctx, TokenPIN{PIN: pin, Save: true}), cx, label, "")
	if err != nil {
		return err
	}
	tok.Close()
	return c.retryTokenRenewals(ctx, cx, label)
}

// ForgetPIN removes the saved PIN of token label ("" is the configured
// token) from context cx; ErrNoPIN when none was saved.
func (c *Core) ForgetPIN(ctx context.Context, cx store.Context, label string) error {
	module, label, err := c.tokenLabel(label)
	if err != nil {
		return err
	}
	if cx == store.Machine {
		s, err := c.Store(cx)
		if err != nil {
			return err
		}
		err = os.Remove(pinFile(s, module, label))
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNoPIN
		}
		return err
	}
	err = c.keyring.Delete(ctx, keyring.Service, pinAccount(module, label))
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNoPIN
	}
	return err
}

// PINToken returns the token label names ("" is the configured token),
// or one sentence on why no token's PIN can be kept here.
func (c *Core) PINToken(label string) (string, error) {
	_, label, err := c.tokenLabel(label)
	return label, err
}

// HasPIN reports whether a PIN is saved for token label ("" is the
// configured token) in context cx; an error when that cannot be told.
func (c *Core) HasPIN(ctx context.Context, cx store.Context, label string) (bool, error) {
	module, label, err := c.tokenLabel(label)
	if err != nil {
		return false, err
	}
	_, err = c.savedPIN(ctx, cx, module, label)
	if errors.Is(err, ErrNoPIN) {
		return false, nil
	}
	return err == nil, err
}

// savedPIN returns the PIN kept for the token, or an error wrapping
// ErrNoPIN.
func (c *Core) savedPIN(ctx context.Context, cx store.Context, module, label string) (string, error) {
	if cx == store.Machine {
		s, err := c.Store(cx)
		if err != nil {
			return "", err
		}
		b, err := atomicfile.ReadOwned(pinFile(s, module, label))
		if errors.Is(err, fs.ErrNotExist) {
			return "", ErrNoPIN
		}
		if err != nil {
			return "", fmt.Errorf("read the saved PIN of token %q: %w", label, err)
		}
		return string(b), nil
	}
	p, err := c.keyring.Get(ctx, keyring.Service, pinAccount(module, label))
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoPIN
	}
	if err != nil {
		return "", fmt.Errorf("read the saved PIN of token %q: %w", label, err)
	}
	return p, nil
}

// storePIN keeps pin for the token in context cx. It takes no lock: the
// caller may hold the context's, and one file or keyring item is
// replaced whole.
func (c *Core) storePIN(ctx context.Context, cx store.Context, module, label, pin string) error {
	if cx == store.Machine {
		s, err := c.Store(cx)
		if err != nil {
			return err
		}
		f := pinFile(s, module, label)
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			return fmt.Errorf("save the PIN of token %q: %w", label, err)
		}
		return atomicfile.Write(f, []byte(pin), 0o600)
	}
	if err := c.keyring.Set(ctx, keyring.Service, pinAccount(module, label), pin); err != nil {
		return fmt.Errorf("save the PIN of token %q: %w", label, err)
	}
	return nil
}

// openToken logs in to the token labelled label: with the PIN ctx
// carries (saved once accepted, when asked), else the saved one, else a
// *PINError naming what needed it.
func (c *Core) openToken(ctx context.Context, cx store.Context, label, what string) (*pkcs11key.Token, error) {
	kc := c.keyConfig()
	given := tokenPINFrom(ctx)
	pin, saved := given.PIN, false
	if pin == "" {
		p, err := c.savedPIN(ctx, cx, kc.module, label)
		switch {
		case errors.Is(err, ErrNoPIN):
			return nil, &PINError{Token: label, What: what, Context: cx}
		case err != nil:
			return nil, err
		}
		pin, saved = p, true
	}
	tok, err := pkcs11key.Open(pkcs11key.Config{Module: kc.module, Token: label, PIN: pin})
	switch {
	case errors.Is(err, pkcs11key.ErrWrongPIN):
		return nil, &PINError{Token: label, What: what, Wrong: true, Saved: saved, Context: cx}
	case errors.Is(err, pkcs11key.ErrNoToken):
		return nil, fmt.Errorf("no token labelled %q is present in %s", label, kc.module)
	case err != nil:
		return nil, fmt.Errorf("open token %q through %s: %w", label, kc.module, err)
	}
	if given.PIN != "" && given.Save {
		if err := c.storePIN(ctx, cx, kc.module, label, given.PIN); err != nil {
			tok.Close()
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
	}
	return tok, nil
}

// checkTokenPIN logs in to the token e's key is on and out again, so an
// explicit renewal asks for a missing or wrong PIN (a *PINError) before
// anything is sent or recorded; other problems are left to the renewal.
func (c *Core) checkTokenPIN(ctx context.Context, cx store.Context, e store.Entry) error {
	if e.Meta.KeyStorage != store.KeyPKCS11 {
		return nil
	}
	r, err := pkcs11key.ParseRef(e.Meta.KeyRef)
	if err != nil {
		return nil
	}
	tok, err := c.openToken(ctx, cx, r.Token, "renewal of "+e.Thumbprint)
	var pe *PINError
	if errors.As(err, &pe) {
		return err
	}
	if tok != nil {
		tok.Close()
	}
	return nil
}

// retryTokenRenewals resets the permanent renewal failures of keys on
// token label in cx (ResetRetry), so the next pulse renews them with the
// PIN now saved.
func (c *Core) retryTokenRenewals(ctx context.Context, cx store.Context, label string) error {
	s, err := c.Store(cx)
	if err != nil {
		return err
	}
	retry, err := readRetry(s)
	if err != nil {
		return err
	}
	for tp, st := range retry {
		if !st.Permanent {
			continue
		}
		e, err := s.Get(ctx, store.My, tp)
		if err != nil || e.Meta.KeyStorage != store.KeyPKCS11 {
			continue
		}
		if r, err := pkcs11key.ParseRef(e.Meta.KeyRef); err == nil && r.Token == label {
			if err := c.ResetRetry(ctx, cx, tp); err != nil {
				return err
			}
		}
	}
	return nil
}
