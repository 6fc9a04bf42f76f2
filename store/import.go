package store

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/certdesk/certdesk/internal/keyring"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// MaxImportSize caps the bytes Import reads from one file: real PFX and
// P7B files are kilobytes, and a huge file must not exhaust memory.
const MaxImportSize = 8 << 20

// ImportOptions steer Import.
type ImportOptions struct {
	Password   string // PFX password
	Store      Name   // put everything here instead of the automatic placement
	TrustRoots bool   // put self-signed roots into Root (the GUI asks the person first)
	Meta       Meta   // metadata for the leaf (the file's first certificate, the one with the key in a PFX)
}

// ImportItem is what happened to one certificate of the file.
type ImportItem struct {
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	Store      Name   `json:"store,omitempty"` // empty when skipped
	Result     string `json:"result"`          // "added", "attached", "unchanged" or "skipped"
	Reason     string `json:"reason,omitempty"`
}

// ImportResult reports an import.
type ImportResult struct {
	File          string       `json:"file"`
	Format        Format       `json:"format"`
	PFXAlgorithms string       `json:"pfxAlgorithms,omitempty"`
	Items         []ImportItem `json:"items"`
}

// Skipped is the Result of a certificate Import did not store.
const Skipped = "skipped"

// ReadImportFile reads a file for Import, refusing anything but a regular
// file (a directory, FIFO, device or socket: without blocking on it) and
// files larger than MaxImportSize with an *ImportError.
func ReadImportFile(path string) ([]byte, error) {
	data, err := atomicfile.Read(path, MaxImportSize)
	var nr *atomicfile.NotRegularError
	switch {
	case err == nil:
		return data, nil
	case errors.As(err, &nr):
		return nil, &ImportError{File: path, Reason: "it is " + atomicfile.Kind(nr.Mode) + ", not a regular file", Err: ErrUnknownFormat}
	case errors.Is(err, atomicfile.ErrTooLarge):
		return nil, &ImportError{File: path, Reason: fmt.Sprintf("%s (over %d MiB)", ErrTooLarge, MaxImportSize>>20), Err: ErrTooLarge}
	default:
		return nil, &ImportError{File: path, Reason: "cannot open the file: " + atomicfile.StripPath(err).Error(), Err: err}
	}
}

// ImportFile is ReadImportFile followed by Import.
func (s *Store) ImportFile(ctx context.Context, path string, opt ImportOptions) (*ImportResult, error) {
	data, err := ReadImportFile(path)
	if err != nil {
		return nil, err
	}
	return s.Import(ctx, path, data, opt)
}

// Import stores the certificates and keys of one file (data; name is used
// in messages). The placement: a certificate with its key goes to My;
// other CA certificates to CA; other end-entity certificates to My;
// self-signed roots to Root only with TrustRoots, else they are skipped.
// opt.Store overrides the placement. A key whose certificate is not in the
// file is attached to the matching entry of the target store (or My).
// Import is all-or-nothing for bad input: the file is fully parsed and
// matched before the first write, so a bad file leaves the store
// unchanged.
func (s *Store) Import(ctx context.Context, name string, data []byte, opt ImportOptions) (res *ImportResult, err error) {
	b, err := s.prepareImport(ctx, name, data, opt)
	if err != nil {
		return nil, err
	}
	err = s.withTx(ctx, func(tx *Tx) error { res, err = tx.importParsed(ctx, name, b, opt); return err })
	if err != nil {
		return nil, importErr(name, err) // a lock or index failure still names the file
	}
	return res, nil
}

// FileImport is the outcome of one file of ImportFiles: its result, or
// the *ImportError that kept it out of the store.
type FileImport struct {
	Result *ImportResult
	Err    error
}

// ImportFiles imports several files as one batch, with one outcome per
// path, in order. Every file is read and parsed first, without the lock;
// the good ones are then placed under one lock and reach the index in one
// commit per store (Batch). As with Import, a file that cannot be read,
// parsed or matched has its error and changes nothing, and the other
// files still import. If the commit itself fails, every file that was
// placed gets that error.
func (s *Store) ImportFiles(ctx context.Context, paths []string, opt ImportOptions) []FileImport {
	out := make([]FileImport, len(paths))
	bundles := make([]*Bundle, len(paths))
	good := 0
	for i, p := range paths {
		data, err := ReadImportFile(p)
		if err == nil {
			bundles[i], err = s.prepareImport(ctx, p, data, opt)
		}
		if err == nil {
			good++
		}
		out[i].Err = err
	}
	if good == 0 {
		return out // nothing to write: not even the lock file is created
	}
	err := s.Batch(ctx, func(tx *Tx) error {
		for i, b := range bundles {
			if b != nil {
				out[i].Result, out[i].Err = tx.importParsed(ctx, paths[i], b, opt)
			}
		}
		return nil
	})
	if err != nil {
		for i := range out {
			if bundles[i] != nil && out[i].Err == nil {
				out[i] = FileImport{Err: importErr(paths[i], err)}
			}
		}
	}
	return out
}

// Import is Store.Import inside a Tx the caller holds (for example the
// core installing an issued certificate during a renewal).
func (tx *Tx) Import(ctx context.Context, name string, data []byte, opt ImportOptions) (*ImportResult, error) {
	b, err := tx.s.prepareImport(ctx, name, data, opt)
	if err != nil {
		return nil, err
	}
	return tx.importParsed(ctx, name, b, opt)
}

// prepareImport parses the file and checks the keyring, before any lock
// or write, so that bad input and a missing keyring change nothing.
func (s *Store) prepareImport(ctx context.Context, name string, data []byte, opt ImportOptions) (*Bundle, error) {
	s.prefetchKEK(ctx, data)
	b, err := Parse(data, opt.Password)
	if err == nil && len(b.Keys) > 0 {
		err = s.checkKeyring(ctx)
	}
	if err != nil {
		return nil, importErr(name, err)
	}
	return b, nil
}

// importParsed places a parsed bundle, holding the lock.
func (tx *Tx) importParsed(ctx context.Context, name string, b *Bundle, opt ImportOptions) (*ImportResult, error) {
	res := &ImportResult{File: name, Format: b.Format, PFXAlgorithms: b.PFXAlgorithms}
	if err := tx.importBundle(ctx, b, opt, res); err != nil {
		return nil, importErr(name, err)
	}
	return res, nil
}

// importErr wraps a cause as the one-sentence *ImportError.
func importErr(name string, err error) error {
	var ie *ImportError
	if errors.As(err, &ie) {
		return err
	}
	return &ImportError{File: name, Reason: reason(err), Err: err}
}

// reason turns a cause into the clause after "import FILE: ".
func reason(err error) string {
	var oe *OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	return err.Error()
}

// planned is one write Import will make.
type planned struct {
	cert *x509.Certificate
	key  crypto.PrivateKey
	to   Name
	meta Meta
}

// importBundle places b's contents, holding the lock.
func (tx *Tx) importBundle(ctx context.Context, b *Bundle, opt ImportOptions, res *ImportResult) error {
	keys := map[*x509.Certificate]crypto.PrivateKey{}
	var orphans []crypto.PrivateKey
	for _, k := range b.Keys {
		found := false
		for _, c := range b.Certs {
			if keyMatches(k, c) {
				keys[c], found = k, true
				break
			}
		}
		if !found {
			orphans = append(orphans, k)
		}
	}
	var plan []planned
	for i, c := range b.Certs {
		p := planned{cert: c, key: keys[c], to: opt.Store}
		if i == 0 {
			p.meta = opt.Meta
		}
		if p.to == "" {
			switch {
			case p.key != nil:
				p.to = My
			case isSelfSigned(c) && !opt.TrustRoots:
				res.Items = append(res.Items, ImportItem{Thumbprint: Thumbprint(c.Raw), Subject: c.Subject.String(),
					Result: Skipped, Reason: "self-signed root certificate; roots are added only when asked to trust them"})
				continue
			case isSelfSigned(c):
				p.to = Root
			case c.IsCA:
				p.to = CA
			default:
				p.to = My
			}
		}
		plan = append(plan, p)
	}
	for _, k := range orphans {
		p, err := tx.findCertFor(ctx, k, opt.Store)
		if err != nil {
			return err
		}
		plan = append(plan, p)
	}
	if len(plan) == 0 && len(res.Items) == 0 {
		return ErrNoCertificates
	}
	for _, p := range plan {
		if p.key != nil { // fail before the first write if keys cannot be protected
			if _, err := tx.kek(ctx, true); err != nil {
				return err
			}
			break
		}
	}
	for _, p := range plan {
		e, ch, err := tx.add(ctx, p.to, p.cert, p.key, p.meta)
		if err != nil {
			return err
		}
		res.Items = append(res.Items, ImportItem{Thumbprint: e.Thumbprint, Subject: e.Subject, Store: p.to, Result: string(ch)})
	}
	return tx.commit()
}

// findCertFor finds the entry without a key whose certificate matches k, in
// store n or, when n is empty, in My and Request.
func (tx *Tx) findCertFor(ctx context.Context, k crypto.PrivateKey, n Name) (planned, error) {
	names := []Name{n}
	if n == "" {
		names = []Name{My, Request}
	}
	for _, n := range names {
		es, err := tx.index(n)
		if err != nil {
			return planned{}, err
		}
		for _, e := range es {
			if e.HasKey {
				continue
			}
			_, ef, err := tx.s.get(n, e.Thumbprint)
			if err != nil {
				continue
			}
			if c, err := x509.ParseCertificate(ef.Cert); err == nil && keyMatches(k, c) {
				return planned{cert: c, key: k, to: n, meta: e.Meta}, nil
			}
		}
	}
	return planned{}, ErrKeyWithoutCert
}

// prefetchKEK starts reading the key-encryption key from the keyring while
// the file is decoded, when the file may hold a key: the D-Bus round trips
// and the PFX key derivation then overlap instead of adding up. Errors are
// ignored here; the write path asks again and reports them.
func (s *Store) prefetchKEK(ctx context.Context, data []byte) {
	f := Sniff(data)
	if f != FormatPFX && (f != FormatPEM || !bytes.Contains(data, []byte("PRIVATE KEY"))) {
		return
	}
	pf, err := s.readProtection()
	if err != nil || pf.Mode != ProtectKeyring || pf.KeyringUser == "" {
		return
	}
	go s.readKEK(ctx, pf)
}

// CheckKeyring reports whether a private key could be stored in this
// context now: it fails with the keyring error a write would meet (nil
// under file protection). Callers check before work that cannot be undone,
// such as asking a CA to issue a certificate for a fresh key.
func (s *Store) CheckKeyring(ctx context.Context) error {
	return s.checkKeyring(ctx)
}

// checkKeyring fails early, before the lock file or any directory is
// created, when keys must be sealed and the keyring is out of reach.
func (s *Store) checkKeyring(ctx context.Context) error {
	pf, err := s.readProtection()
	if err != nil || pf.Mode != ProtectKeyring {
		return err
	}
	if pf.KeyringUser != "" {
		_, err = s.readKEK(ctx, pf)
		return err
	}
	// No key-encryption key yet: probe the service with a lookup that is
	// expected to find nothing.
	_, err = s.kr.Get(ctx, keyring.Service, "probe")
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return mapKeyringErr(err)
}
