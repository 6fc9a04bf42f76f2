package tpmkey

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/tcp"

	"github.com/certdesk/certdesk/enroll"
)

// DefaultDevice is the TPM of a Linux machine, behind the kernel's
// resource manager.
const DefaultDevice = "/dev/tpmrm0"

// TCTI is a parsed tpm2-tss TCTI string: the device TCTI (Path) or a
// simulator reached over TCP (swtpm or mssim: Host and Port, the
// command port; the platform/control port is Port+1, as in tpm2-tss).
type TCTI struct {
	Kind string // "device", "swtpm" or "mssim"
	Path string // device
	Host string // swtpm, mssim
	Port int    // swtpm, mssim
}

// String returns the TCTI in tpm2-tss syntax.
func (t TCTI) String() string {
	if t.Kind == "device" {
		return "device:" + t.Path
	}
	return fmt.Sprintf("%s:host=%s,port=%d", t.Kind, t.Host, t.Port)
}

// ParseTCTI reads a TCTI string: "" or "device" (DefaultDevice),
// "device:/dev/tpmrm0", "swtpm:host=H,port=P" or "mssim:host=H,port=P"
// (host defaults to localhost, port to 2321, as in tpm2-tss). Anything
// else is refused in one sentence: the value comes from the environment.
func ParseTCTI(s string) (TCTI, error) {
	bad := func(why string) (TCTI, error) {
		return TCTI{}, fmt.Errorf("the TPM address %q is not a TCTI string (device:/dev/tpmrm0, swtpm:host=H,port=P or mssim:host=H,port=P): %s", s, why)
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return bad("it contains control characters")
	}
	kind, conf, _ := strings.Cut(s, ":")
	switch kind {
	case "", "device":
		p := conf
		if p == "" {
			p = DefaultDevice
		}
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return bad("the device must be an absolute, clean path")
		}
		return TCTI{Kind: "device", Path: p}, nil
	case "swtpm", "mssim":
	default:
		return bad(fmt.Sprintf("certdesk does not know the TCTI %q", kind))
	}
	t := TCTI{Kind: kind, Host: "localhost", Port: 2321}
	seen := map[string]bool{}
	for _, kv := range strings.Split(conf, ",") {
		if kv == "" && conf == "" {
			break
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || seen[k] {
			return bad(fmt.Sprintf("%q is not one key=value", kv))
		}
		seen[k] = true
		switch k {
		case "host":
			if strings.ContainsAny(v, "/[]@ *") || net.ParseIP(v) == nil && enroll.CheckDNSName(v) != nil {
				return bad(fmt.Sprintf("%q is not a host name or IP address", v))
			}
			t.Host = v
		case "port":
			p, err := strconv.Atoi(v)
			if err != nil || p < 1 || p > 65534 || strconv.Itoa(p) != v {
				return bad(fmt.Sprintf("%q is not a port between 1 and 65534", v))
			}
			t.Port = p
		default:
			return bad(fmt.Sprintf("%q is not host or port", k))
		}
	}
	return t, nil
}

// ErrNoTPM wraps every failure to reach the TPM a TCTI names.
var ErrNoTPM = errors.New("the TPM cannot be reached")

// open connects to the TPM t names.
func (t TCTI) open() (transport.TPMCloser, error) { return t.openFor(commandTimeout) }

// openFor is open with each command bounded by timeout (read by the
// caller, so a connection abandoned by Check never reads the setting).
func (t TCTI) openFor(timeout time.Duration) (transport.TPMCloser, error) {
	var (
		tpm transport.TPMCloser
		err error
	)
	switch t.Kind {
	case "device":
		tpm, err = openDevice(t.Path)
	default:
		// swtpm and the reference simulator take TPM commands on Port
		// and platform (swtpm: control) commands on Port+1. Neither is
		// powered on or started here, as tpm2-tss's swtpm TCTI does not.
		tpm, err = tcp.Open(tcp.Config{
			CommandAddress:  net.JoinHostPort(t.Host, strconv.Itoa(t.Port)),
			PlatformAddress: net.JoinHostPort(t.Host, strconv.Itoa(t.Port+1)),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("%w at %s (%v)", ErrNoTPM, t, reason(err))
	}
	return retrying{tpm, timeout}, nil
}

// checkTimeout bounds Check: a host that drops packets, or a simulator
// that accepts and never answers, must not hold an enrollment for minutes.
var checkTimeout = 10 * time.Second

// Check connects to the TPM t names and asks it for a few random bytes:
// nil when it answers within checkTimeout.
func (t TCTI) Check() error {
	done := make(chan error, 1)
	d := commandTimeout
	go func() { done <- t.check(d) }()
	select {
	case err := <-done:
		return err
	case <-time.After(checkTimeout):
		// the connection is left to time out on its own
		return fmt.Errorf("%w at %s (it did not answer within %v)", ErrNoTPM, t, checkTimeout)
	}
}

func (t TCTI) check(timeout time.Duration) error {
	tpm, err := t.openFor(timeout)
	if err != nil {
		return err
	}
	defer tpm.Close()
	if _, err := (tpm2.GetRandom{BytesRequested: 8}).Execute(tpm); err != nil {
		return fmt.Errorf("%w at %s (it does not answer: %v)", ErrNoTPM, t, err)
	}
	return nil
}

// reason is the part of a connection error a person can act on: the
// system's words ("connect: connection refused", "no such file or
// directory") without the layers that name the address again.
func reason(err error) error {
	var op *net.OpError
	var pe *fs.PathError
	switch {
	case errors.As(err, &op):
		return op.Err
	case errors.As(err, &pe):
		return pe.Err
	}
	return err
}
