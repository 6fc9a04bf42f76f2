//go:build !windows

package tpmkey

import (
	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/linuxtpm"
)

// openDevice opens a TPM character device such as /dev/tpmrm0.
func openDevice(path string) (transport.TPMCloser, error) {
	return linuxtpm.Open(path)
}
