// Package capi is certdesk's glue to the Windows system certificate stores
// through crypt32 (golang.org/x/sys/windows): CurrentUser and LocalMachine ×
// MY, Root, CA, REQUEST, the stores certmgr.msc shows. It lists, adds and
// deletes certificates and imports PFX files with PFXImportCertStore.
//
// Only the calls into crypt32 live in capi_windows.go; the mapping of
// certdesk's names, the error mapping, the filtering of listings and the
// placement of PFX contents live here and are tested on every OS. Elsewhere
// Open returns ErrUnsupported.
package capi

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Location is a system store location; its value is the CertOpenStore flag.
type Location uint32

// The locations certdesk's contexts map to.
const (
	CurrentUser  Location = 0x00010000 // CERT_SYSTEM_STORE_CURRENT_USER: the user context
	LocalMachine Location = 0x00020000 // CERT_SYSTEM_STORE_LOCAL_MACHINE: the machine context
)

// String returns the name certmgr and PowerShell (Cert:\CurrentUser) use.
func (l Location) String() string {
	switch l {
	case CurrentUser:
		return "CurrentUser"
	case LocalMachine:
		return "LocalMachine"
	}
	return fmt.Sprintf("Location(%#x)", uint32(l))
}

// Errors, matched with errors.Is; crypt32's codes map to them in mapCode.
var (
	ErrUnsupported   = errors.New("the Windows certificate stores are not available on this system")
	ErrNotFound      = errors.New("no such certificate in the Windows store")
	ErrExists        = errors.New("the certificate is already in the Windows store")
	ErrAccessDenied  = errors.New("access denied to the Windows store (the machine context needs an elevated process)")
	ErrCancelled     = errors.New("the user declined the Windows security prompt")
	ErrWrongPassword = errors.New("wrong password for the PFX")
	ErrBadData       = errors.New("the data is not a certificate or PFX that Windows accepts")
)

// Windows error codes (HRESULTs and Win32 errors) that mapCode knows.
const (
	codeAccessDenied    = 5          // ERROR_ACCESS_DENIED
	codeInvalidPassword = 86         // ERROR_INVALID_PASSWORD: PFXImportCertStore with a wrong password
	codeCancelled       = 1223       // ERROR_CANCELLED: the Root add confirmation was declined
	codeEAccessDenied   = 0x80070005 // E_ACCESSDENIED
	codeECancelled      = 0x800704C7 // HRESULT_FROM_WIN32(ERROR_CANCELLED)
	codeNotFound        = 0x80092004 // CRYPT_E_NOT_FOUND
	codeExists          = 0x80092005 // CRYPT_E_EXISTS
	codeBadEncode       = 0x80092002 // CRYPT_E_BAD_ENCODE
	codeASN1Bad         = 0x8009310B // CRYPT_E_ASN1_BADTAG
	codeBadData         = 0x80090005 // NTE_BAD_DATA
	codeInvalidArg      = 0x80070057 // E_INVALIDARG
	codeNone            = 0          // failed without setting a last error (Wine's refusal of flags)
)

// mapCode turns a crypt32 error code into one of the package's errors, or
// nil if the code has no better meaning than its own message.
func mapCode(code uint32) error {
	switch code {
	case codeAccessDenied, codeEAccessDenied:
		return ErrAccessDenied
	case codeCancelled, codeECancelled:
		return ErrCancelled
	case codeInvalidPassword:
		return ErrWrongPassword
	case codeNotFound:
		return ErrNotFound
	case codeExists:
		return ErrExists
	case codeBadEncode, codeASN1Bad, codeBadData, codeInvalidArg:
		return ErrBadData
	}
	return nil
}

// Error is a failed crypt32 operation on one store.
type Error struct {
	Op    string   // "open", "list", "add", "delete", "import"
	Loc   Location // the location
	Store string   // the system store name ("MY", "Root", ...)
	Err   error    // one of the package's errors, or the Windows error
}

// Error returns "capi: OP LOCATION\STORE: REASON".
func (e *Error) Error() string {
	return fmt.Sprintf(`Windows store %s\%s: %s: %v`, e.Loc, e.Store, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// wrap builds an *Error, replacing a known code by the package's error.
func wrap(op string, loc Location, store string, code uint32, err error) error {
	if err == nil {
		return nil
	}
	if m := mapCode(code); m != nil {
		err = m
	}
	return &Error{Op: op, Loc: loc, Store: store, Err: err}
}

// storeNames maps certdesk's store names to the Windows system store names.
var storeNames = map[string]string{"My": "MY", "Root": "Root", "CA": "CA", "Request": "REQUEST"}

// SystemName returns the Windows system store name for a certdesk store name
// (case-insensitive): My→MY, Root, CA, Request→REQUEST.
func SystemName(name string) (string, error) {
	for k, v := range storeNames {
		if strings.EqualFold(k, name) {
			return v, nil
		}
	}
	return "", fmt.Errorf("capi: no Windows system store for %q (want My, Root, CA or Request): %w", name, ErrUnsupported)
}

// LocationOf returns the location of a certdesk context: user→CurrentUser,
// machine→LocalMachine. Application contexts have no system store.
func LocationOf(context string) (Location, error) {
	switch context {
	case "user":
		return CurrentUser, nil
	case "machine":
		return LocalMachine, nil
	}
	return 0, fmt.Errorf("capi: context %q has no Windows system store: %w", context, ErrUnsupported)
}

// Cert is one certificate of a system store with the properties certdesk shows.
type Cert struct {
	DER          []byte // the encoded certificate
	Thumbprint   string // SHA-1, upper-case hex, as certmgr shows it
	FriendlyName string // CERT_FRIENDLY_NAME_PROP_ID, if set
	HasKey       bool   // CERT_KEY_PROV_INFO_PROP_ID is set: a private key is associated
	Archived     bool   // CERT_ARCHIVED_PROP_ID is set: hidden by certmgr (renewed)
}

// Thumbprint returns the SHA-1 thumbprint of der in upper-case hex.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// ListOptions filters List.
type ListOptions struct {
	IncludeArchived bool // also return archived certificates, as certmgr's "Archived certificates" view
}

// filter applies opt to raw, the certificates as enumerated, dropping the
// ones whose DER does not parse (crypt32 also stores CRL-less oddities
// certdesk cannot show) and any duplicate thumbprint.
func filter(raw []Cert, opt ListOptions) []Cert {
	out := raw[:0:0]
	seen := map[string]bool{}
	for _, c := range raw {
		if c.Archived && !opt.IncludeArchived {
			continue
		}
		if _, err := x509.ParseCertificate(c.DER); err != nil {
			continue
		}
		c.Thumbprint = Thumbprint(c.DER)
		if seen[c.Thumbprint] {
			continue
		}
		seen[c.Thumbprint] = true
		out = append(out, c)
	}
	return out
}

// NormalizeThumbprint accepts a thumbprint as users paste it (lower case,
// spaces or colons) and returns it as 40 upper-case hex digits.
func NormalizeThumbprint(s string) (string, error) {
	t := strings.ToUpper(strings.NewReplacer(" ", "", ":", "", "\u200e", "").Replace(s))
	if _, err := hex.DecodeString(t); err != nil || len(t) != 40 {
		return "", fmt.Errorf("capi: %q is not a SHA-1 thumbprint (40 hex digits)", s)
	}
	return t, nil
}

// openFlags returns the CertOpenStore flags to try in turn: read-write,
// then read-only, so an unelevated process can still list LocalMachine.
func openFlags(loc Location) []uint32 {
	const readOnly = 0x00008000 // CERT_STORE_READONLY_FLAG
	return []uint32{uint32(loc), uint32(loc) | readOnly}
}

// pfxFlags returns the PFXImportCertStore flags to try in turn: keys go
// to the location's key set, exportable only when asked, first always in
// a CNG provider (which ECDSA and RSA-PSS keys need) with the PFX's
// extended properties, then, where those flags are refused as an invalid
// argument (older crypt32 implementations, Wine), without them.
func pfxFlags(loc Location, exportable bool) []uint32 {
	const (
		cryptExportable  = 0x00000001 // CRYPT_EXPORTABLE
		cryptUserKeyset  = 0x00001000 // CRYPT_USER_KEYSET
		cryptMachKeyset  = 0x00000020 // CRYPT_MACHINE_KEYSET
		pkcs12AlwaysCNG  = 0x00000200 // PKCS12_ALWAYS_CNG_KSP: modern keys (ECDSA, RSA-PSS)
		pkcs12IncludeExt = 0x00000010 // PKCS12_INCLUDE_EXTENDED_PROPERTIES
	)
	f := uint32(cryptUserKeyset)
	if loc == LocalMachine {
		f = cryptMachKeyset
	}
	if exportable {
		f |= cryptExportable
	}
	return []uint32{f | pkcs12AlwaysCNG | pkcs12IncludeExt, f}
}

// retryPFX reports whether a PFXImportCertStore failure with code means
// the flags were refused, so the next set in pfxFlags is worth trying.
func retryPFX(code uint32) bool {
	return code == codeInvalidArg || code == 87 /* ERROR_INVALID_PARAMETER */ || code == codeNone
}

// pfxCert is a certificate PFXImportCertStore returned.
type pfxCert struct {
	der    []byte
	hasKey bool // CERT_KEY_PROV_INFO_PROP_ID is set
}

// placements says where each certificate from an imported PFX goes, as the
// Windows import wizard does: one with a key into the target store,
// intermediates into CA, self-signed roots nowhere (trusting a root is a
// separate, explicit step that prompts the user). "" means skip. Windows
// marks only the certificate matching the key; Wine marks the whole
// chain, so where an end-entity certificate has the key, CA certificates
// marked too are placed as if they had none.
func placements(certs []pfxCert, target string) []string {
	parsed := make([]*x509.Certificate, len(certs))
	leafKeyed := false
	for i, c := range certs {
		parsed[i], _ = x509.ParseCertificate(c.der)
		if parsed[i] != nil && c.hasKey && !parsed[i].IsCA {
			leafKeyed = true
		}
	}
	out := make([]string, len(certs))
	for i, c := range parsed {
		switch {
		case c == nil:
		case certs[i].hasKey && !(leafKeyed && c.IsCA):
			out[i] = target
		case c.CheckSignatureFrom(c) == nil && string(c.RawIssuer) == string(c.RawSubject):
		case c.IsCA:
			out[i] = "CA"
		}
	}
	return out
}
