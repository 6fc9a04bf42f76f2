// Package systrust connects certdesk's stores to the places other programs
// look for certificates on Linux: the distribution's system-wide trust
// anchors (machine context, "also trust system-wide") and the NSS shared
// database ~/.pki/nssdb that Chromium and other NSS programs read (user
// context, "make available to browsers").
//
// Both take certificates as DER (identities as a PKCS#12 blob and its
// password) and run the distribution's own tools (update-ca-certificates,
// update-ca-trust, trust, certutil, pk12util) through an injectable Runner.
// Files are named after the certificate's thumbprint, so removal undoes
// exactly what was added. On other systems the defaults return ErrUnsupported.
package systrust

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// ErrUnsupported is returned where this system has no known trust store.
var ErrUnsupported = errors.New("systrust: not supported on this system")

// Runner runs the named program with args and returns its combined output.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// ExecRunner is the default Runner: it runs the program with os/exec and
// turns a failure into an error naming the program and its first output
// line ("certutil: <line>: exit status 255").
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		return out, fmt.Errorf("%s: %s: %w", name, msg, err)
	}
	return out, nil
}

// Anchors describes where a distribution keeps extra trust anchors and how
// it rebuilds its system bundle from them.
type Anchors struct {
	Name   string   // distribution family, for messages: "debian", "fedora", ...
	Dir    string   // directory of the anchor files
	Ext    string   // file name extension its tool picks up (".crt" or ".pem")
	Update []string // command that rebuilds the bundle, e.g. update-ca-certificates
}

// System is the distribution's system-wide trust store. Changing it needs root.
type System struct {
	// Anchors is where anchors go; nil means detect it, like mkcert: the
	// first entry of the platform's table whose directory exists and whose
	// update command is installed.
	Anchors *Anchors
	// Run runs the update command; nil means ExecRunner.
	Run Runner
}

// Thumbprint returns the certificate's SHA-1 thumbprint in upper-case hex,
// the id certdesk shows and uses in file names and NSS nicknames.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// name is the file name stem and NSS nickname of a certificate.
func name(der []byte) string { return "certdesk-" + Thumbprint(der) }

// parse checks that der is one X.509 certificate.
func parse(der []byte) error {
	if _, err := x509.ParseCertificate(der); err != nil {
		return fmt.Errorf("systrust: not a DER certificate: %w", err)
	}
	return nil
}

// Path returns the anchor file a certificate is (or would be) written to.
func (s *System) Path(der []byte) (string, error) {
	a, err := s.anchors()
	if err != nil {
		return "", err
	}
	return filepath.Join(a.Dir, name(der)+a.Ext), nil
}

// Trust writes the certificate as a PEM anchor file where the distribution
// looks and rebuilds the system bundle, so every program using it trusts
// the certificate. Trusting an already trusted certificate is not an error.
func (s *System) Trust(ctx context.Context, der []byte) error {
	if err := parse(der); err != nil {
		return err
	}
	a, err := s.anchors()
	if err != nil {
		return err
	}
	path := filepath.Join(a.Dir, name(der)+a.Ext)
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFile(path, data, 0o644); err != nil {
		return fmt.Errorf("systrust: writing the anchor %s: %w", path, err)
	}
	return s.update(ctx, a)
}

// Untrust removes the certificate's anchor file and rebuilds the system
// bundle. Removing a certificate that is not trusted is not an error.
func (s *System) Untrust(ctx context.Context, der []byte) error {
	a, err := s.anchors()
	if err != nil {
		return err
	}
	path := filepath.Join(a.Dir, name(der)+a.Ext)
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("systrust: removing the anchor %s: %w", path, err)
	}
	return s.update(ctx, a)
}

// Trusted reports whether certdesk wrote an anchor for the certificate.
func (s *System) Trusted(der []byte) (bool, error) {
	path, err := s.Path(der)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (s *System) anchors() (Anchors, error) {
	if s.Anchors != nil {
		return *s.Anchors, nil
	}
	table, err := systemAnchors()
	if err != nil {
		return Anchors{}, err
	}
	return detect(table, isDir, lookPath)
}

func (s *System) update(ctx context.Context, a Anchors) error {
	run := s.Run
	if run == nil {
		run = ExecRunner
	}
	if _, err := run(ctx, a.Update[0], a.Update[1:]...); err != nil {
		return fmt.Errorf("systrust: rebuilding the %s trust bundle: %w", a.Name, err)
	}
	return nil
}

// detect returns the first table entry whose directory exists and whose
// update command is installed.
func detect(table []Anchors, isDir func(string) bool, lookPath func(string) bool) (Anchors, error) {
	for _, a := range table {
		if isDir(a.Dir) && lookPath(a.Update[0]) {
			return a, nil
		}
	}
	return Anchors{}, fmt.Errorf("%w: no known system trust store (install ca-certificates or p11-kit)", ErrUnsupported)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func lookPath(p string) bool {
	_, err := exec.LookPath(p)
	return err == nil
}

// writeFile writes data to path atomically (internal/atomicfile).
func writeFile(path string, data []byte, perm fs.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
