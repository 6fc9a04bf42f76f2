package tpmkey

import (
	"errors"

	"github.com/google/go-tpm/tpm2/transport"
)

// openDevice fails: Windows has no TPM device file (its TPM is reached
// through TBS or the Platform Crypto Provider).
func openDevice(string) (transport.TPMCloser, error) {
	return nil, errors.New("Windows has no TPM device file; use swtpm:host=H,port=P or the Windows CNG key storage")
}
