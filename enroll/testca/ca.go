package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	DefaultName          = "certdesk Test CA"
	DefaultUser          = "alice@certdesk.test" // the account New creates when Config.Users is empty
	DefaultPassword      = "Passw0rd!"           // its password
	DefaultValidity      = 365 * 24 * time.Hour
	DefaultShortValidity = 10 * time.Minute
	DefaultShortRenewal  = 5 * time.Minute
)

// Config configures a CA. Only Dir is required.
type Config struct {
	// Dir holds the persistent state: CA keys and certificates, root.pem
	// (the file to trust) and the request database.
	Dir string
	// Name is the common name of the issuing CA; the root is "<Name> Root".
	// The CES URL paths use it sanitised ("certdesk-Test-CA_CES_…").
	Name string
	// Users maps account names (UPN or DOMAIN\user) to passwords.
	// Empty means one account, DefaultUser with DefaultPassword.
	Users map[string]string
	// Restrict maps a template name to the accounts allowed to enroll for
	// it; templates not listed are open to every account.
	Restrict map[string][]string
	// Validity is the lifetime of certificates of the long-lived templates.
	Validity time.Duration
	// ShortValidity and ShortRenewal are the validity and renewal period of
	// the ShortLived template.
	ShortValidity, ShortRenewal time.Duration
	// ExtraTemplates are served after the built-in ones (Name and OID must
	// be unique; zero Validity means Config.Validity).
	ExtraTemplates []Template
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Pending pends every request, whatever its template, until approved.
	Pending bool
	// KBR serves the key-based-renewal endpoints: the certificate CEP (it
	// lists only templates that allow key-based renewal) and the
	// renewal-only certificate CES.
	KBR bool
	// DefaultTemplate, for tests only, names the template used when a CSR
	// identifies none (a standalone CA's behaviour). Empty means AD CS's
	// behaviour: such a request is refused.
	DefaultTemplate string
	// AcceptForeignRenewals, for tests only, accepts renewal requests signed
	// with a certificate this CA did not issue (the signature, the validity
	// and the renewal attribute are still checked).
	AcceptForeignRenewals bool
	// ExtraCAs are more CAs the policy lists for every template, each with
	// a username/password CES on this server (issued by this CA), to test
	// failover and enrollPermission.
	ExtraCAs []ExtraCA
	// Lenient turns off what AD CS checks and clients get wrong: without
	// it GetPolicies filters versions as MS-XCEP says (0 hides versioned
	// templates) and a WS-Security Timestamp outside MaxClockSkew of the
	// CA's clock is refused; with it clientVersion and serverVersion 0
	// show every template (as cepces saw on real CEPs) and timestamps are
	// not checked (the spec's 2009 examples).
	Lenient bool
	// BehindProxy serves plain HTTP for a TLS-terminating reverse proxy
	// in front (Apache httpd with mod_ssl in the renegotiation test): the
	// proxy verifies the TLS client certificate and passes it in the
	// ProxyCertHeader request header. Start then listens on loopback
	// addresses only, the header is believed only from loopback peers, and
	// the certificate is verified again against this CA.
	BehindProxy bool
}

// ExtraCA is another CA of the policy (Config.ExtraCAs).
type ExtraCA struct {
	// Name is the CA's name; its CES path is /<Name>_CES_UsernamePassword/….
	Name string
	// Priority of its CES URI; the CA's own CES has priority 1.
	Priority uint32
	// NoEnrollPermission lists it with enrollPermission false; its CES
	// refuses with E_ACCESSDENIED.
	NoEnrollPermission bool
	// Unreachable makes its CES answer every request as CES does when its
	// CA is down: a fault with RPC_S_SERVER_UNAVAILABLE (0x800706BA), no
	// RequestID, InvalidRequest false.
	Unreachable bool
}

// MaxClockSkew is how far a WS-Security Timestamp may be off the CA's
// clock, WCF's default.
const MaxClockSkew = 5 * time.Minute

// CA is a two-level certificate authority with a file-based request
// database. Its methods are safe for concurrent use.
type CA struct {
	cfg        Config
	root       *x509.Certificate
	issuing    *x509.Certificate
	rootKey    crypto.Signer
	issuingKey crypto.Signer
	templates  []*Template
	db         db
	created    time.Time // policy change time for policiesNotChanged
	foreign    foreignSet
	rev        revocationState // revocation.go
}

// New opens the CA in cfg.Dir, creating its keys and certificates on first
// use.
func New(cfg Config) (*CA, error) {
	if cfg.Dir == "" {
		return nil, errors.New("testca: no state directory configured")
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	users := map[string]string{DefaultUser: DefaultPassword}
	if len(cfg.Users) > 0 { // a copy: the caller may go on using its map
		users = make(map[string]string, len(cfg.Users))
		for k, v := range cfg.Users {
			users[k] = v
		}
	}
	cfg.Users = users
	if cfg.Validity <= 0 {
		cfg.Validity = DefaultValidity
	}
	if cfg.ShortValidity <= 0 {
		cfg.ShortValidity = DefaultShortValidity
	}
	if cfg.ShortRenewal <= 0 {
		cfg.ShortRenewal = DefaultShortRenewal
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	ca := &CA{cfg: cfg, created: cfg.Clock(), templates: append(builtinTemplates(cfg), estTemplate(cfg)), db: db{dir: filepath.Join(cfg.Dir, "requests"), last: new(atomic.Int64)}}
	for _, t := range cfg.ExtraTemplates {
		if t.Name == "" || len(t.OID) == 0 || ca.template(t.Name) != nil || ca.template(t.OID.String()) != nil {
			return nil, fmt.Errorf("testca: extra template %q needs a unique name and OID", t.Name)
		}
		if t.Validity <= 0 {
			t.Validity = cfg.Validity
		}
		ca.templates = append(ca.templates, withEKUOIDs(&t))
	}
	if cfg.DefaultTemplate != "" && ca.template(cfg.DefaultTemplate) == nil {
		return nil, fmt.Errorf("testca: unknown default template %q", cfg.DefaultTemplate)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "ca"), 0o700); err != nil {
		return nil, fmt.Errorf("testca: create state directory: %w", err)
	}
	var err error
	ca.root, ca.rootKey, err = ca.loadOrCreate("root", cfg.Name+" Root", nil, nil)
	if err != nil {
		return nil, err
	}
	ca.issuing, ca.issuingKey, err = ca.loadOrCreate("issuing", cfg.Name, ca.root, ca.rootKey)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(ca.RootFile(), ca.RootPEM(), 0o644); err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	return ca, nil
}

// loadOrCreate loads Dir/ca/<name>.{pem,key} or creates a CA certificate
// signed by parent (self-signed when parent is nil).
func (ca *CA) loadOrCreate(name, cn string, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, crypto.Signer, error) {
	certPath := filepath.Join(ca.cfg.Dir, "ca", name+".pem")
	keyPath := filepath.Join(ca.cfg.Dir, "ca", name+".key")
	certPEM, err := os.ReadFile(certPath)
	if err == nil {
		return loadPair(certPEM, keyPath)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("testca: read %s: %w", certPath, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: generate %s key: %w", name, err)
	}
	now := ca.cfg.Clock()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"certdesk test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(20 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	} else {
		tmpl.NotAfter = parent.NotAfter.Add(-24 * time.Hour)
		tmpl.MaxPathLenZero = true
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: create %s certificate: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: encode %s key: %w", name, err)
	}
	if err := writeAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, nil, fmt.Errorf("testca: %w", err)
	}
	if err := writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, fmt.Errorf("testca: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: parse %s certificate: %w", name, err)
	}
	return cert, key, nil
}

// loadPair parses a PEM certificate and the PKCS#8 PEM key in keyPath.
func loadPair(certPEM []byte, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return nil, nil, errors.New("testca: CA certificate file holds no PEM block")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: parse CA certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: read CA key: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, fmt.Errorf("testca: %s holds no PEM block", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: parse CA key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("testca: CA key in %s cannot sign", keyPath)
	}
	return cert, signer, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil { // crypto/rand does not fail on supported platforms
		n = big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}

// Root returns the self-signed root certificate (the one to trust).
func (ca *CA) Root() *x509.Certificate { return ca.root }

// Issuing returns the issuing CA certificate, signed by Root; it signs
// every issued certificate and is the CA certificate advertised by CEP.
func (ca *CA) Issuing() *x509.Certificate { return ca.issuing }

// RootPEM returns Root in PEM form.
func (ca *CA) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.root.Raw})
}

// RootFile returns the path of Dir/root.pem, the CA file to trust.
func (ca *CA) RootFile() string { return filepath.Join(ca.cfg.Dir, "root.pem") }

// Name returns the issuing CA's common name.
func (ca *CA) Name() string { return ca.cfg.Name }

// Users returns the configured accounts and passwords.
func (ca *CA) Users() map[string]string {
	out := make(map[string]string, len(ca.cfg.Users))
	for k, v := range ca.cfg.Users {
		out[k] = v
	}
	return out
}

// Templates returns copies of the CA's templates.
func (ca *CA) Templates() []Template {
	out := make([]Template, len(ca.templates))
	for i, t := range ca.templates {
		out[i] = *t
	}
	return out
}

// template finds a template by name (case-insensitive) or OID string.
func (ca *CA) template(nameOrOID string) *Template {
	for _, t := range ca.templates {
		if strings.EqualFold(t.Name, nameOrOID) || t.OID.String() == nameOrOID {
			return t
		}
	}
	return nil
}

// sanitizedName is the CA name as AD CS puts it into CES paths.
func (ca *CA) sanitizedName() string { return sanitize(ca.cfg.Name) }

// sanitize replaces runs of characters other than letters, digits, '.'
// and '-' in a CA name by '-'.
func sanitize(name string) string {
	return strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	}), "-")
}

// now returns the CA's current time.
func (ca *CA) now() time.Time { return ca.cfg.Clock() }
