// Package keychain is certdesk's glue to the macOS keychains through the
// security(1) tool: the login keychain for the user context and the System
// keychain for the machine context; in each, identities (My), trusted roots
// (Root) and other certificates (CA).
//
// Everything runs through an injectable Runner, so the command lines and
// the parsing of security's output live here and are tested on every OS
// with recorded output (testdata/). keychain_darwin.go only says where the
// keychains and the tool are; elsewhere Open returns ErrUnsupported.
package keychain

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Errors, matched with errors.Is.
var (
	ErrUnsupported = errors.New("the macOS keychains are not available on this system")
	ErrNotFound    = errors.New("no such certificate in the keychain")
	ErrNeedsKey    = errors.New("an identity needs its private key: import a PFX instead")
)

// Runner runs the named program with args and returns its standard output.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// ExecRunner runs the program with os/exec; a failure names the program and
// the first line it wrote to standard error.
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		return out, fmt.Errorf("%s %s: %s: %w", filepath.Base(name), args[0], msg, err)
	}
	return out, nil
}

// Cert is one certificate of a keychain store.
type Cert struct {
	DER        []byte
	Thumbprint string // SHA-1, upper-case hex (security's -Z hash)
	Identity   bool   // a private key in the keychain matches it
	Trusted    bool   // it has trust settings in the store's domain (user or admin)
}

// Store is one certdesk store in a keychain.
type Store struct {
	Keychain string // the keychain file
	Admin    bool   // the admin trust domain (machine context, System keychain) rather than the user's
	Name     string // "My", "Root" or "CA"
	Tool     string // path of security(1)
	Run      Runner // nil means ExecRunner
}

// Open returns the store name ("My", "Root", "CA") of context ("user": the
// login keychain; "machine": the System keychain, which needs an admin).
func Open(context, name string) (*Store, error) {
	switch name {
	case "My", "Root", "CA":
	default:
		return nil, fmt.Errorf("keychain: no %s store in the macOS keychains (want My, Root or CA): %w", name, ErrUnsupported)
	}
	kc, admin, err := keychainPath(context)
	if err != nil {
		return nil, err
	}
	return &Store{Keychain: kc, Admin: admin, Name: name, Tool: securityTool}, nil
}

// List returns the certificates of the store: My the identities, Root the
// self-signed certificates with trust settings, CA the other certificates
// without a key.
func (s *Store) List(ctx context.Context) ([]Cert, error) {
	out, err := s.run(ctx, "find-certificate", "-a", "-Z", "-p", s.Keychain)
	if err != nil {
		return nil, err
	}
	certs := parseFindCertificate(out)
	out, err = s.run(ctx, "find-identity", s.Keychain)
	if err != nil {
		return nil, err
	}
	ids := parseFindIdentity(out)
	trusted, err := s.trusted(ctx)
	if err != nil {
		return nil, err
	}
	for i := range certs {
		certs[i].Identity = ids[certs[i].Thumbprint]
		certs[i].Trusted = trusted[certs[i].Thumbprint]
	}
	return classify(certs, s.Name), nil
}

// Add adds a certificate: to Root as a trusted root (add-trusted-cert,
// which asks for authorisation), to CA as a plain certificate. My entries
// need a key, so they come in through ImportPFX.
func (s *Store) Add(ctx context.Context, der []byte) error {
	if _, err := x509.ParseCertificate(der); err != nil {
		return fmt.Errorf("keychain: not a DER certificate: %w", err)
	}
	if s.Name == "My" {
		return ErrNeedsKey
	}
	return withFile(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), "cert.pem", func(f string) error {
		_, err := s.run(ctx, addArgs(s, f)...)
		return err
	})
}

// Delete removes the certificate with the thumbprint: for My the identity
// (certificate and key), for Root also its trust settings.
func (s *Store) Delete(ctx context.Context, thumbprint string) error {
	certs, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, c := range certs {
		if c.Thumbprint != strings.ToUpper(thumbprint) {
			continue
		}
		if s.Name == "Root" {
			err := withFile(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}), "cert.pem", func(f string) error {
				_, err := s.run(ctx, untrustArgs(s, f)...)
				return err
			})
			if err != nil {
				return err
			}
		}
		_, err := s.run(ctx, deleteArgs(s, c.Thumbprint)...)
		return err
	}
	return fmt.Errorf("keychain: %s in %s: %w", thumbprint, s.Keychain, ErrNotFound)
}

// ImportPFX imports an identity into the keychain (My only). security takes
// the password in argv, so callers pass a PFX re-encrypted with a one-time
// password (which also avoids the PBES2 PFX files older macOS rejects).
func (s *Store) ImportPFX(ctx context.Context, pfx []byte, password string) error {
	if s.Name != "My" {
		return fmt.Errorf("keychain: PFX files go into My, not %s: %w", s.Name, ErrUnsupported)
	}
	return withFile(pfx, "id.p12", func(f string) error {
		_, err := s.run(ctx, "import", f, "-k", s.Keychain, "-f", "pkcs12", "-P", password)
		return err
	})
}

func (s *Store) run(ctx context.Context, args ...string) ([]byte, error) {
	run := s.Run
	if run == nil {
		run = ExecRunner
	}
	out, err := run(ctx, s.Tool, args...)
	if err != nil {
		return nil, fmt.Errorf("keychain: %s: %w", s.Keychain, err)
	}
	return out, nil
}

// trusted returns the thumbprints with trust settings in the store's domain.
func (s *Store) trusted(ctx context.Context) (map[string]bool, error) {
	dir, err := os.MkdirTemp("", "certdesk-keychain-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "trust.plist")
	args := []string{"trust-settings-export"}
	if s.Admin {
		args = append(args, "-d")
	}
	if _, err := s.run(ctx, append(args, f)...); err != nil {
		// security fails with "No Trust Settings were found" when there are none.
		if strings.Contains(err.Error(), "No Trust Settings") {
			return map[string]bool{}, nil
		}
		return nil, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, err
	}
	return parseTrustSettings(b), nil
}

// addArgs is the security command line that adds the PEM file to s.
func addArgs(s *Store, file string) []string {
	if s.Name == "Root" {
		args := []string{"add-trusted-cert"}
		if s.Admin {
			args = append(args, "-d")
		}
		return append(args, "-r", "trustRoot", "-k", s.Keychain, file)
	}
	return []string{"add-certificates", "-k", s.Keychain, file}
}

// untrustArgs is the security command line that removes the trust settings of the PEM file.
func untrustArgs(s *Store, file string) []string {
	if s.Admin {
		return []string{"remove-trusted-cert", "-d", file}
	}
	return []string{"remove-trusted-cert", file}
}

// deleteArgs is the security command line that deletes the certificate
// (for My, the identity with its key) by SHA-1 hash.
func deleteArgs(s *Store, thumbprint string) []string {
	if s.Name == "My" {
		return []string{"delete-identity", "-Z", thumbprint, s.Keychain}
	}
	return []string{"delete-certificate", "-Z", thumbprint, s.Keychain}
}

// classify keeps the certificates that belong to store name.
func classify(certs []Cert, name string) []Cert {
	var out []Cert
	for _, c := range certs {
		selfSigned := false
		if x, err := x509.ParseCertificate(c.DER); err == nil {
			selfSigned = bytes.Equal(x.RawIssuer, x.RawSubject) && x.CheckSignatureFrom(x) == nil
		}
		var in bool
		switch name {
		case "My":
			in = c.Identity
		case "Root":
			in = !c.Identity && selfSigned && c.Trusted
		case "CA":
			in = !c.Identity && !(selfSigned && c.Trusted)
		}
		if in {
			out = append(out, c)
		}
	}
	return out
}

// parseFindCertificate parses "security find-certificate -a -Z -p": per
// certificate, hash lines ("SHA-256 hash: …", "SHA-1 hash: …") then PEM.
// Thumbprints are computed from the DER, not trusted from the text.
func parseFindCertificate(out []byte) []Cert {
	var certs []Cert
	seen := map[string]bool{}
	for {
		var b *pem.Block
		b, out = pem.Decode(out)
		if b == nil {
			return certs
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			continue
		}
		t := thumbprint(b.Bytes)
		if seen[t] {
			continue
		}
		seen[t] = true
		certs = append(certs, Cert{DER: b.Bytes, Thumbprint: t})
	}
}

// identityLine is one identity of "security find-identity":
// `  1) <SHA-1> "<name>"` with an optional "(CSSMERR_…)" for invalid ones.
var identityLine = regexp.MustCompile(`^\s*\d+\)\s+([0-9A-Fa-f]{40})\s+"`)

// parseFindIdentity returns the SHA-1 hashes of the identities in
// "security find-identity" output (both its sections, valid or not).
func parseFindIdentity(out []byte) map[string]bool {
	ids := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := identityLine.FindStringSubmatch(line); m != nil {
			ids[strings.ToUpper(m[1])] = true
		}
	}
	return ids
}

// trustKey is a certificate entry of a trust settings plist: its key is the
// certificate's SHA-1 hash.
var trustKey = regexp.MustCompile(`<key>([0-9A-Fa-f]{40})</key>`)

// parseTrustSettings returns the SHA-1 hashes listed in the plist written by
// "security trust-settings-export".
func parseTrustSettings(plist []byte) map[string]bool {
	hashes := map[string]bool{}
	for _, m := range trustKey.FindAllSubmatch(plist, -1) {
		hashes[strings.ToUpper(string(m[1]))] = true
	}
	return hashes
}

func thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// withFile writes data to a private temporary file and runs f with its path.
func withFile(data []byte, name string, f func(path string) error) error {
	dir, err := os.MkdirTemp("", "certdesk-keychain-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return err
	}
	return f(p)
}
