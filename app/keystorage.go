package app

import (
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/cngkey"
	"github.com/certdesk/certdesk/internal/pkcs11key"
	"github.com/certdesk/certdesk/store"
)

// Where keys live (DESIGN.md, "key storage"; docs/keys.md). This file owns
// the rule for which place a template demands (RequiredKeyStorage), how a
// person's -key-storage may change it (chooseKeyStorage), whether the place
// is there before anything is sent (checkKeyStorage), and the one way every
// operation gets a key: newKey for a new one, entrySigner for an entry's.

// KeyStorages lists the -key-storage spellings, weakest first.
var KeyStorages = []string{store.KeySoftware, store.KeyTPM, store.KeyPKCS11}

// IsKeyStorage reports whether s is a -key-storage spelling, so the
// command line can refuse a typo as bad usage.
func IsKeyStorage(s string) bool {
	for _, k := range KeyStorages {
		if s == k {
			return true
		}
	}
	return false
}

// tpmProvider is the CSP/KSP name with which a template asks for a
// TPM-held key.
const tpmProvider = "microsoft platform crypto provider"

// providerStorage is the place a template's cryptographic provider stands
// for: the platform provider a TPM, a smart-card provider a token, any
// other software.
func providerStorage(p string) string {
	l := strings.ToLower(strings.TrimSpace(p))
	switch {
	case l == tpmProvider:
		return store.KeyTPM
	case strings.Contains(l, "smart card"):
		return store.KeyPKCS11
	}
	return store.KeySoftware
}

// RequiredKeyStorage returns where template t demands its key be kept:
// tpm when it requires key attestation or lists only the platform
// provider, pkcs11 when it lists only smart-card providers, else software
// (a client may use any provider listed, so one software provider among
// them allows software).
func RequiredKeyStorage(t *enroll.Template) string {
	if t.Flags.AttestationRequired {
		return store.KeyTPM
	}
	req := ""
	for _, p := range t.CryptoProviders {
		k := providerStorage(p)
		if req != "" && k != req {
			return store.KeySoftware
		}
		req = k
	}
	return cmp.Or(req, store.KeySoftware)
}

// chooseKeyStorage returns the place t's key is made in: the template's,
// or the asked one when it is stronger (software → tpm or pkcs11); a
// hardware place the template demands cannot be swapped for another.
func chooseKeyStorage(t *enroll.Template, want string) (string, error) {
	req := RequiredKeyStorage(t)
	switch {
	case want == "" || want == req:
		return req, nil
	case !IsKeyStorage(want):
		return "", fmt.Errorf("unknown key storage %q: use software, tpm or pkcs11", want)
	case req == store.KeySoftware:
		return want, nil
	}
	return "", fmt.Errorf("template %q requires the key to be kept %s; -key-storage %s may only ask for stronger storage", t.CommonName, placeWords[req], want)
}

// renewalStorage is where a renewal's new key is made: where the old one
// lives, unless the template now demands another hardware place.
func renewalStorage(t *enroll.Template, old string) string {
	req, old := RequiredKeyStorage(t), cmp.Or(old, store.KeySoftware)
	if req == store.KeySoftware || req == old {
		return old
	}
	return req
}

// placeWords says where a key is kept, after "kept".
var placeWords = map[string]string{
	store.KeySoftware: "in software", store.KeyTPM: "in a TPM", store.KeyPKCS11: "on a smart card or token", store.KeyCNG: "by a Windows CNG provider",
}

// keyConfig is where the hardware places are: the environment wins over
// the settings (tests, one-off runs).
type keyConfig struct {
	tpm, module, token string
}

func (c *Core) keyConfig() keyConfig {
	s := c.Settings()
	return keyConfig{
		tpm:    cmp.Or(os.Getenv("CERTDESK_TPM"), s.TPM),
		module: cmp.Or(os.Getenv("CERTDESK_PKCS11_MODULE"), s.PKCS11Module),
		token:  cmp.Or(os.Getenv("CERTDESK_PKCS11_TOKEN"), s.PKCS11Token),
	}
}

// checkKeyStorage says, in one sentence, why keys cannot be made in place
// for template t here, or returns nil: called before anything is sent.
func (c *Core) checkKeyStorage(t *enroll.Template, place string) error {
	if p, ok := c.cngProvider(place); ok {
		return checkCNG(t, place, p)
	}
	kc := c.keyConfig()
	switch place {
	case store.KeySoftware:
		return nil
	case store.KeyTPM:
		return c.checkTPM(t)
	case store.KeyPKCS11:
		switch {
		case !pkcs11key.Available:
			return fmt.Errorf("%s; %w", keyNeed(t, place), pkcs11key.ErrUnavailable)
		case kc.module == "":
			return fmt.Errorf("%s; no PKCS#11 module is configured (set CERTDESK_PKCS11_MODULE or the pkcs11Module setting)", keyNeed(t, place))
		case kc.token == "":
			return fmt.Errorf("%s; no token is chosen (set CERTDESK_PKCS11_TOKEN or the pkcs11Token setting to its label)", keyNeed(t, place))
		}
		if err := checkPKCS11Module(kc.module); err != nil {
			return err
		}
		if _, err := os.Stat(kc.module); err != nil {
			return fmt.Errorf("the PKCS#11 module %s cannot be read: %w", kc.module, errors.Unwrap(err))
		}
		return nil
	}
	return fmt.Errorf("template %q asks for keys kept %s, which certdesk cannot do on %s", t.CommonName, placeWords[place], runtime.GOOS)
}

// keyNeed begins checkKeyStorage's sentences: the template requires the
// place, or the person chose it.
func keyNeed(t *enroll.Template, place string) string {
	if RequiredKeyStorage(t) == place {
		return fmt.Sprintf("template %q requires the key to be kept %s", t.CommonName, placeWords[place])
	}
	return fmt.Sprintf("the key of template %q cannot be kept %s here", t.CommonName, placeWords[place])
}

// placedKey is a key with where it lives, open for one operation; close
// ends what it opened (a token session).
type placedKey struct {
	signer        crypto.Signer
	storage, ref  string // Meta.KeyStorage ("" for software) and Meta.KeyRef
	nonExportable bool
	tok           *pkcs11key.Token
	cng           *cngkey.Key
}

// setMeta records where the key lives in m.
func (k *placedKey) setMeta(m *store.Meta) {
	m.KeyStorage, m.KeyRef, m.NonExportable = k.storage, k.ref, k.nonExportable
}

func (k *placedKey) close() {
	if k != nil && k.tok != nil {
		k.tok.Close()
	}
	if k != nil && k.cng != nil {
		k.cng.Close()
	}
}

// discard removes a new key the CA never saw (the request failed):
// nothing is left behind on a token.
func (k *placedKey) discard() {
	if k != nil && k.cng != nil {
		_ = k.cng.Delete()
	}
	if k != nil && k.tok != nil {
		if r, err := pkcs11key.ParseRef(k.ref); err == nil {
			_ = k.tok.Delete(r)
		}
	}
}

// keepCertificate writes cert where the key lives when that place keeps
// certificates too (a token); software keys' certificates live in the store.
func (k *placedKey) keepCertificate(cert *x509.Certificate) error {
	if k.tok == nil {
		return nil
	}
	r, err := pkcs11key.ParseRef(k.ref)
	if err != nil {
		return err
	}
	return k.tok.PutCertificate(r, cert)
}

// newKey makes a key of type kt in place for template t in context cx
// (a token is unlocked as openToken says); checkKeyStorage has passed. A
// wrong PIN is one sentence, and nothing is made.
func (c *Core) newKey(ctx context.Context, cx store.Context, t *enroll.Template, place string, kt enroll.KeyType) (*placedKey, error) {
	nonExp := !t.Flags.Exportable
	if place == store.KeySoftware {
		k, err := enroll.GenerateKey(c.rand, kt)
		return &placedKey{signer: k, nonExportable: nonExp}, err
	}
	if p, ok := c.cngProvider(place); ok {
		return c.newCNGKey(ctx, cx, t, p, kt)
	}
	if place == store.KeyTPM {
		return c.newTPMKey(kt)
	}
	if place != store.KeyPKCS11 {
		return nil, c.checkKeyStorage(t, place)
	}
	tok, err := c.openToken(ctx, cx, c.keyConfig().token, fmt.Sprintf("a key for template %q", t.CommonName))
	if err != nil {
		return nil, err
	}
	k, ref, err := tok.Generate(kt.Algorithm, kt.Bits)
	if err != nil {
		tok.Close()
		return nil, err
	}
	return &placedKey{signer: k, storage: store.KeyPKCS11, ref: ref.String(), nonExportable: true, tok: tok}, nil
}

// entrySigner is the one way to the key of entry e of store n, wherever it
// lives: the CSR and CMS signatures of a renewal and TLS client
// authentication all come through here (a token is unlocked as
// openToken says).
func (c *Core) entrySigner(ctx context.Context, s *store.Store, n store.Name, e store.Entry) (*placedKey, error) {
	m := e.Meta
	switch cmp.Or(m.KeyStorage, store.KeySoftware) {
	case store.KeySoftware:
		k, err := s.Signer(ctx, n, e.Thumbprint)
		if err != nil {
			return nil, err
		}
		return &placedKey{signer: k, nonExportable: m.NonExportable}, nil
	case store.KeyPKCS11:
		r, err := pkcs11key.ParseRef(m.KeyRef)
		if err != nil {
			return nil, err
		}
		tok, err := c.openToken(ctx, s.Context(), r.Token, "the key of "+e.Thumbprint)
		if err != nil {
			return nil, err
		}
		k, err := tok.Signer(r)
		if err != nil {
			tok.Close()
			return nil, fmt.Errorf("the key of %s on token %q: %w", e.Thumbprint, r.Token, err)
		}
		if err := checkKeyOf(e, k.Public()); err != nil {
			tok.Close()
			return nil, err
		}
		return &placedKey{signer: k, storage: m.KeyStorage, ref: m.KeyRef, nonExportable: true, tok: tok}, nil
	case store.KeyTPM:
		k, err := c.tpmKey(e)
		if err != nil {
			return nil, err
		}
		return &placedKey{signer: k, storage: m.KeyStorage, ref: m.KeyRef, nonExportable: true}, nil
	case store.KeyCNG:
		return cngSigner(ctx, s.Context(), e)
	}
	return nil, fmt.Errorf("the key of %s is kept %s, which this version of certdesk cannot use", e.Thumbprint, placeWords[m.KeyStorage])
}

// checkKeyOf says in one sentence when pub, of the key an entry's keyRef
// names (in a TPM or on a token), is not the public key of the entry's
// certificate: a keyRef from a store changed outside certdesk (another
// entry's key) must never sign, nor be deployed, for this certificate.
func checkKeyOf(e store.Entry, pub crypto.PublicKey) error {
	if e.Certificate == nil || samePublicKey(pub, e.Certificate.PublicKey) {
		return nil
	}
	return fmt.Errorf("the key that the keyRef of %s names is not its certificate's key (the store was changed outside certdesk)", e.Thumbprint)
}

// checkKeyStorageSetting refuses a pkcs11Token value with a
// control character (it reaches a module and the terminal).
func checkKeyStorageSetting(name, v string) error {
	if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return fmt.Errorf("%s must not contain control characters", name)
	}
	return nil
}

// checkPKCS11Module takes "" (none) or an absolute path: a relative one
// would load whatever library the working directory offers.
func checkPKCS11Module(v string) error {
	if v != "" && !filepath.IsAbs(v) {
		return fmt.Errorf("pkcs11Module %q must be an absolute path", v)
	}
	return checkKeyStorageSetting("pkcs11Module", v)
}

// KeyStorageOption is one place a template's key may be kept, as the
// wizard's key step offers it.
type KeyStorageOption struct {
	Storage  string // software, tpm or pkcs11
	Required bool   // the place the template demands (RequiredKeyStorage)
	// Problem says in one sentence why keys cannot be made there now
	// (checkKeyStorage); nil when they can.
	Problem error
}

// KeyStorageOptions lists, weakest first, the places chooseKeyStorage
// allows for template t's key, each with whether it is available here.
// Checking a TPM talks to it: call it off the UI thread.
func (c *Core) KeyStorageOptions(t *enroll.Template) []KeyStorageOption {
	req := RequiredKeyStorage(t)
	var out []KeyStorageOption
	for _, k := range KeyStorages {
		if got, err := chooseKeyStorage(t, k); err != nil || got != k {
			continue
		}
		out = append(out, KeyStorageOption{Storage: k, Required: k == req, Problem: c.checkKeyStorage(t, k)})
	}
	return out
}
