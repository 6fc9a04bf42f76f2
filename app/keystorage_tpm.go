package app

import (
	"fmt"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/tpmkey"
	"github.com/certdesk/certdesk/store"
)

// Keys in a TPM 2.0 (docs/keys.md): made by internal/tpmkey in the TPM
// the tpm setting or CERTDESK_TPM names (a tpm2-tss TCTI string; the
// Linux default device /dev/tpmrm0 when neither is set); the entry keeps
// the key's TPM-wrapped blob, base64, as its keyRef.

// tpmTCTI is the TPM keys are made in and used through.
func (c *Core) tpmTCTI() (tpmkey.TCTI, error) {
	return tpmkey.ParseTCTI(c.keyConfig().tpm)
}

// checkTPM says in one sentence why template t's key cannot be made in
// the TPM, or returns nil when the TPM answers.
func (c *Core) checkTPM(t *enroll.Template) error {
	tc, err := c.tpmTCTI()
	if err == nil {
		err = tc.Check()
	}
	if err != nil {
		return fmt.Errorf("%s; %w (set CERTDESK_TPM or the tpm setting)", keyNeed(t, store.KeyTPM), err)
	}
	return nil
}

// newTPMKey makes a key of type kt in the TPM.
func (c *Core) newTPMKey(kt enroll.KeyType) (*placedKey, error) {
	tc, err := c.tpmTCTI()
	if err != nil {
		return nil, err
	}
	k, err := tpmkey.Generate(tc, kt.Algorithm, kt.Bits)
	if err != nil {
		return nil, err
	}
	return &placedKey{signer: k, storage: store.KeyTPM, ref: k.Ref(), nonExportable: true}, nil
}

// tpmKey is the key of entry e, kept in the TPM.
func (c *Core) tpmKey(e store.Entry) (*tpmkey.Key, error) {
	tc, err := c.tpmTCTI()
	if err != nil {
		return nil, err
	}
	k, err := tpmkey.LoadRef(tc, e.Meta.KeyRef)
	if err != nil {
		return nil, fmt.Errorf("the key of %s: %w", e.Thumbprint, err)
	}
	if err := checkKeyOf(e, k.Public()); err != nil {
		return nil, err
	}
	return k, nil
}

// CheckTPMSetting takes "" (the default device) or a TCTI string, and
// says in one sentence what is wrong with anything else: the tpm
// setting's one check, which the settings form uses too.
func CheckTPMSetting(v string) error {
	if v == "" {
		return nil
	}
	_, err := tpmkey.ParseTCTI(v)
	return err
}

// tpmKeyPEM is the key of entry e as a TSS2 PRIVATE KEY file, which
// OpenSSL's tpm2 provider, tpm2-tss-engine and GnuTLS load into the same
// TPM: what a deploy hook writes for a TPM key.
func (c *Core) tpmKeyPEM(e store.Entry) ([]byte, error) {
	k, err := c.tpmKey(e)
	if err != nil {
		return nil, err
	}
	return k.PEM(), nil
}
