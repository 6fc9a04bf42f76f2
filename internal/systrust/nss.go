package systrust

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrNotInNSS is returned by NSS.Remove when the database does not hold the
// certificate.
var ErrNotInNSS = errors.New("systrust: certificate not in the NSS database")

// NSS is an NSS shared database (cert9.db, key4.db) changed with certutil and
// pk12util from libnss3-tools. Certificates certdesk adds get the nickname
// certdesk-<thumbprint>; lookups compare the DER, so they also find
// certificates added by other programs.
type NSS struct {
	// Dir is the database directory; "" means the user's ~/.pki/nssdb,
	// the database Chromium and other NSS programs share.
	Dir string
	// Run runs certutil and pk12util; nil means ExecRunner.
	Run Runner
}

// AddRoot adds a trusted root (trust flags "C,,": a CA trusted to issue
// server certificates), creating the database if it is absent.
func (n *NSS) AddRoot(ctx context.Context, der []byte) error {
	if err := parse(der); err != nil {
		return err
	}
	dir, err := n.ensure(ctx)
	if err != nil {
		return err
	}
	err = withTemp(func(tmp string) error {
		f := filepath.Join(tmp, "root.pem")
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			return err
		}
		_, err := n.run(ctx, "certutil", "-A", "-d", "sql:"+dir, "-n", name(der), "-t", "C,,", "-i", f)
		return err
	})
	return wrap(err, "adding the root to %s", dir)
}

// AddIdentity imports an identity (certificate, key and any chain) from a
// PKCS#12 blob and its password, then gives the certificate der (the leaf of
// pfx) the nickname certdesk-<thumbprint>. The password reaches pk12util
// through a private temporary file, never through argv.
func (n *NSS) AddIdentity(ctx context.Context, der, pfx []byte, password string) error {
	if err := parse(der); err != nil {
		return err
	}
	dir, err := n.ensure(ctx)
	if err != nil {
		return err
	}
	// pk12util stores the key before the certificate, so a certificate it
	// then refuses (another with the same issuer and serial is there)
	// would leave an orphan key: refuse first, and should it fail anyway,
	// delete the keys that appeared.
	if err := n.clash(ctx, dir, der); err != nil {
		return err
	}
	before, _ := n.keyIDs(ctx, dir) // nil if unreadable: then no cleanup
	err = withTemp(func(tmp string) error {
		p12, pw := filepath.Join(tmp, "id.p12"), filepath.Join(tmp, "pw")
		if err := os.WriteFile(p12, pfx, 0o600); err != nil {
			return err
		}
		args := []string{"-i", p12, "-d", "sql:" + dir}
		if password == "" {
			args = append(args, "-W", "") // pk12util rejects an empty password file
		} else {
			if err := os.WriteFile(pw, []byte(password), 0o600); err != nil {
				return err
			}
			args = append(args, "-w", pw)
		}
		_, err := n.run(ctx, "pk12util", args...)
		return err
	})
	if err != nil {
		n.dropNewKeys(ctx, dir, before)
		return fmt.Errorf("systrust: importing the PKCS#12 into %s: %w", dir, err)
	}
	nick, err := n.isolate(ctx, dir, der)
	if err != nil {
		return wrap(err, "finding the imported certificate in %s", dir)
	}
	if nick == name(der) {
		return nil
	}
	_, err = n.run(ctx, "certutil", "--rename", "-d", "sql:"+dir, "-n", nick, "--new-n", name(der))
	return wrap(err, "naming the identity in %s", dir)
}

// Contains reports whether the database holds the certificate.
func (n *NSS) Contains(ctx context.Context, der []byte) (bool, error) {
	dir, err := n.dir()
	if err != nil {
		return false, err
	}
	if !exists(filepath.Join(dir, "cert9.db")) {
		return false, nil
	}
	nick, err := n.find(ctx, dir, der)
	return nick != "", wrap(err, "listing %s", dir)
}

// Remove deletes the certificate and, for an identity, its private key.
// It returns ErrNotInNSS if the database does not hold the certificate.
func (n *NSS) Remove(ctx context.Context, der []byte) error {
	dir, err := n.dir()
	if err != nil {
		return err
	}
	if !exists(filepath.Join(dir, "cert9.db")) {
		return ErrNotInNSS
	}
	nick, err := n.isolate(ctx, dir, der)
	if err == ErrNotInNSS {
		// A key without its certificate (pk12util failed part-way, or
		// the certificate was deleted alone) still goes.
		n.dropKeyOf(ctx, dir, der)
	}
	if err != nil {
		return wrap(err, "removing from %s", dir)
	}
	db := "sql:" + dir
	// -F deletes a key with its certificate; for a certificate without a
	// key (a root) it succeeds and changes nothing, so -D follows.
	_, _ = n.run(ctx, "certutil", "-F", "-d", db, "-n", nick)
	if left, err := n.certs(ctx, dir, nick); err != nil || len(left) == 0 {
		n.dropKeyOf(ctx, dir, der)
		return nil
	}
	_, err = n.run(ctx, "certutil", "-D", "-d", db, "-n", nick)
	if err == nil {
		n.dropKeyOf(ctx, dir, der)
	}
	return wrap(err, "removing from %s", dir)
}

// BrowserDBs returns the NSS databases of the browsers under home: the
// shared ~/.pki/nssdb first, always (NSS creates it on first use), then every
// other one that exists (snap Chromium, Firefox profiles: a directory with a
// cert9.db). Use each as NSS.Dir to reach every browser.
func BrowserDBs(home string) ([]string, error) {
	globs, err := browserGlobs()
	if err != nil {
		return nil, err
	}
	dbs := []string{filepath.Join(home, globs[0])}
	for _, g := range globs[1:] {
		matches, err := filepath.Glob(filepath.Join(home, g))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			if exists(filepath.Join(m, "cert9.db")) {
				dbs = append(dbs, m)
			}
		}
	}
	return dbs, nil
}

func (n *NSS) dir() (string, error) {
	if n.Dir != "" {
		return n.Dir, nil
	}
	return defaultNSSDir()
}

func (n *NSS) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if n.Run == nil {
		return ExecRunner(ctx, name, args...)
	}
	return n.Run(ctx, name, args...)
}

// ensure returns the database directory, creating an empty database (no
// password, as browsers create it) if there is none.
func (n *NSS) ensure(ctx context.Context) (string, error) {
	dir, err := n.dir()
	if err != nil {
		return "", err
	}
	if exists(filepath.Join(dir, "cert9.db")) {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("systrust: creating the NSS database %s: %w", dir, err)
	}
	if _, err := n.run(ctx, "certutil", "-N", "-d", "sql:"+dir, "--empty-password"); err != nil {
		return "", fmt.Errorf("systrust: creating the NSS database %s: %w", dir, err)
	}
	return dir, nil
}

// find returns the nickname under which the database holds der, or "".
func (n *NSS) find(ctx context.Context, dir string, der []byte) (string, error) {
	out, err := n.run(ctx, "certutil", "-L", "-d", "sql:"+dir)
	if err != nil {
		return "", err
	}
	for _, nick := range parseNicknames(out) {
		certs, err := n.certs(ctx, dir, nick)
		if err != nil {
			return "", err
		}
		if containsDER(certs, der) {
			return nick, nil
		}
	}
	return "", nil
}

// certs returns the DER of every certificate with the nickname; NSS gives
// certificates with the same subject the same nickname.
func (n *NSS) certs(ctx context.Context, dir, nick string) ([][]byte, error) {
	out, err := n.run(ctx, "certutil", "-L", "-d", "sql:"+dir, "-n", nick, "-a")
	if err != nil {
		return nil, err
	}
	return parsePEMs(out), nil
}

// isolate returns a nickname under which der is the only certificate.
// certutil addresses certificates only by nickname, so when several share
// one (same subject, e.g. a renewed certificate) it renames them out one at
// a time until der is alone, then gives the others their nickname back.
func (n *NSS) isolate(ctx context.Context, dir string, der []byte) (string, error) {
	nick, err := n.find(ctx, dir, der)
	if err != nil {
		return "", err
	}
	if nick == "" {
		return "", ErrNotInNSS
	}
	certs, err := n.certs(ctx, dir, nick)
	if err != nil || len(certs) == 1 {
		return nick, err
	}
	var moved []string
	defer func() {
		for _, m := range moved {
			_, _ = n.run(ctx, "certutil", "--rename", "-d", "sql:"+dir, "-n", m, "--new-n", nick)
		}
	}()
	for i := range certs {
		tmp := fmt.Sprintf("%s-certdesk-%d", nick, i)
		if _, err := n.run(ctx, "certutil", "--rename", "-d", "sql:"+dir, "-n", nick, "--new-n", tmp); err != nil {
			return "", err
		}
		got, err := n.certs(ctx, dir, tmp)
		if err != nil {
			return "", err
		}
		if containsDER(got, der) {
			return tmp, nil
		}
		moved = append(moved, tmp)
	}
	return "", fmt.Errorf("could not single out the certificate among those named %q", nick)
}

// clash returns an error if the database holds a different certificate
// with the same issuer and serial number as der.
func (n *NSS) clash(ctx context.Context, dir string, der []byte) error {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	out, err := n.run(ctx, "certutil", "-L", "-d", "sql:"+dir)
	if err != nil {
		return wrap(err, "listing %s", dir)
	}
	for _, nick := range parseNicknames(out) {
		certs, err := n.certs(ctx, dir, nick)
		if err != nil {
			return wrap(err, "listing %s", dir)
		}
		for _, o := range certs {
			oc, err := x509.ParseCertificate(o)
			if err != nil || bytes.Equal(o, der) {
				continue
			}
			if bytes.Equal(oc.RawIssuer, c.RawIssuer) && oc.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return fmt.Errorf("systrust: %s already holds %q, a different certificate with the same issuer and serial number", dir, nick)
			}
		}
	}
	return nil
}

// keyLine is one row of "certutil -K": "< 0> ec  <key id hex>  nickname".
var keyLine = regexp.MustCompile(`^<\s*\d+>\s+\S+\s+([0-9a-fA-F]+)\b`)

// keyIDs returns the ids (hex) of the private keys in the database.
func (n *NSS) keyIDs(ctx context.Context, dir string) (map[string]bool, error) {
	out, err := n.run(ctx, "certutil", "-K", "-d", "sql:"+dir)
	ids := map[string]bool{}
	if err != nil {
		if bytes.Contains(out, []byte("no keys found")) {
			return ids, nil
		}
		return nil, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if m := keyLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			ids[strings.ToLower(m[1])] = true
		}
	}
	return ids, nil
}

// dropNewKeys deletes the keys not in before (best effort; nothing if
// before is nil, unknown).
func (n *NSS) dropNewKeys(ctx context.Context, dir string, before map[string]bool) {
	after, err := n.keyIDs(ctx, dir)
	if err != nil || before == nil {
		return
	}
	for id := range after {
		if !before[id] {
			_, _ = n.run(ctx, "certutil", "-F", "-d", "sql:"+dir, "-k", id)
		}
	}
}

// keyID returns the NSS id (lower-case hex) of the private key that
// belongs to the certificate: SHA-1 of the RSA modulus or of the
// uncompressed EC point. It returns "" for other keys.
func keyID(c *x509.Certificate) string {
	var b []byte
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		b = k.N.Bytes()
	case *ecdsa.PublicKey:
		e, err := k.ECDH()
		if err != nil {
			return ""
		}
		b = e.Bytes()
	default:
		return ""
	}
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// dropKeyOf deletes (best effort) the private key of der, an identity
// (not a CA: a CA's key is never certdesk's), when the database holds it
// and no certificate there still uses it.
func (n *NSS) dropKeyOf(ctx context.Context, dir string, der []byte) {
	c, err := x509.ParseCertificate(der)
	if err != nil || c.IsCA {
		return
	}
	id := keyID(c)
	if id == "" {
		return
	}
	if ids, err := n.keyIDs(ctx, dir); err != nil || !ids[id] {
		return
	}
	out, err := n.run(ctx, "certutil", "-L", "-d", "sql:"+dir)
	if err != nil {
		return
	}
	for _, nick := range parseNicknames(out) {
		certs, err := n.certs(ctx, dir, nick)
		if err != nil {
			return
		}
		for _, o := range certs {
			oc, err := x509.ParseCertificate(o)
			if err == nil && bytes.Equal(oc.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) {
				return // still in use
			}
		}
	}
	_, _ = n.run(ctx, "certutil", "-F", "-d", "sql:"+dir, "-k", id)
}

// wrap prefixes err with "systrust: " and what was being done; ErrNotInNSS
// and nil pass unchanged.
func wrap(err error, format string, args ...any) error {
	if err == nil || err == ErrNotInNSS {
		return err
	}
	return fmt.Errorf("systrust: "+format+": %w", append(args, err)...)
}

// listLine is one row of "certutil -L": a nickname, then trust flags.
var listLine = regexp.MustCompile(`^(.*\S)\s+([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)$`)

// parseNicknames returns the distinct nicknames in "certutil -L" output.
func parseNicknames(out []byte) []string {
	var nicks []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		m := listLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		nicks = append(nicks, m[1])
	}
	return nicks
}

// parsePEMs returns the DER of every CERTIFICATE block in out.
func parsePEMs(out []byte) [][]byte {
	var ders [][]byte
	for {
		var b *pem.Block
		b, out = pem.Decode(out)
		if b == nil {
			return ders
		}
		if b.Type == "CERTIFICATE" {
			ders = append(ders, b.Bytes)
		}
	}
}

func containsDER(certs [][]byte, der []byte) bool {
	for _, c := range certs {
		if bytes.Equal(c, der) {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

// withTemp runs f with a private temporary directory it removes afterwards.
func withTemp(f func(dir string) error) error {
	tmp, err := os.MkdirTemp("", "certdesk-nss-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	return f(tmp)
}
