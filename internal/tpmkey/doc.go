// Package tpmkey keeps private keys in a TPM 2.0: RSA 2048 and ECDSA
// P-256 keys are created under the storage hierarchy, below a primary
// key the TPM derives afresh from the standard ECC template (the SRK of
// the TPM 2.0 key file draft) each time it is needed, so nothing but the
// TPM's own seed is ever persistent in the TPM. What certdesk keeps is
// the key's wrapped blob, a TSS2 key file (the public part and the
// private part encrypted by the TPM), which only the TPM that made it
// can load; the private key itself never leaves the TPM.
//
// The TPM is named by a tpm2-tss TCTI string (ParseTCTI), the same one
// tpm2-tools and OpenSSL's tpm2 provider take. The key file format is
// github.com/foxboron/go-tpm-keyfiles's, the TPM commands
// github.com/google/go-tpm's; both are pure Go.
package tpmkey
