package tpmkey

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/go-tpm/tpm2/transport"
)

// Warning codes with which a TPM asks for the same command again
// (TPM 2.0 Part 2, 6.6.3): TPM_RC_RETRY, TPM_RC_YIELDED, TPM_RC_TESTING.
// tpm2-tss's ESYS resends on them; go-tpm leaves it to its caller.
var retryCodes = map[uint32]bool{0x922: true, 0x908: true, 0x90a: true}

// retrying resends a command the TPM asked to be sent again, a few times,
// and gives up on one that takes longer than timeout.
type retrying struct {
	transport.TPMCloser
	timeout time.Duration
}

func (r retrying) Send(cmd []byte) ([]byte, error) {
	for i := 0; ; i++ {
		rsp, err := r.send(cmd)
		if err != nil || len(rsp) < 10 || !retryCodes[binary.BigEndian.Uint32(rsp[6:10])] || i == 20 {
			return rsp, err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
}

// commandTimeout bounds one TPM command: a TPM (or simulator) that stops
// answering must not hold a renewal, and the store lock it holds, for
// ever. A real TPM's slowest command, an RSA key generation, takes
// seconds.
var commandTimeout = 2 * time.Minute

// send sends cmd once; past r.timeout the connection is closed, which
// ends the wait.
func (r retrying) send(cmd []byte) ([]byte, error) {
	d := r.timeout
	timer := time.AfterFunc(d, func() { _ = r.TPMCloser.Close() })
	rsp, err := r.TPMCloser.Send(cmd)
	if !timer.Stop() {
		return nil, fmt.Errorf("%w (it did not answer within %v)", ErrNoTPM, d)
	}
	return rsp, err
}
