package store

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Entry is one certificate in a store as List returns it: everything a
// listing shows, read from the index without parsing the certificate. Its
// JSON form is the stable shape of "certdesk store list -json"
// (docs/store.md).
type Entry struct {
	Store      Name      `json:"store"`
	Thumbprint string    `json:"thumbprint"` // SHA-1 of the DER, upper-case hex
	SHA256     string    `json:"sha256"`     // SHA-256 of the DER, upper-case hex
	Subject    string    `json:"subject"`    // RFC 2253 distinguished name
	SubjectCN  string    `json:"subjectCN"`
	Issuer     string    `json:"issuer"`
	IssuerCN   string    `json:"issuerCN"`
	SANs       []string  `json:"sans,omitempty"` // "DNS:x", "IP:x", "email:x", "URI:x"
	Serial     string    `json:"serial"`         // upper-case hex
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	KeyType    string    `json:"keyType"` // RSA, ECDSA, Ed25519 or the x509 name
	KeySize    int       `json:"keySize"` // bits (curve size for ECDSA)
	HasKey     bool      `json:"hasKey"`
	// KeyStorage is where the private key lives (KeySoftware, KeyTPM,
	// KeyPKCS11, KeyCNG); empty when the entry has no key.
	KeyStorage string `json:"keyStorage,omitempty"`
	SelfSigned bool   `json:"selfSigned"`
	IsCA       bool   `json:"isCA"`
	Meta       Meta   `json:"meta"`

	// Certificate is the parsed certificate; set by Get, nil from List.
	Certificate *x509.Certificate `json:"-"`
}

// Meta is what certdesk knows about an entry beyond the certificate.
type Meta struct {
	FriendlyName string       `json:"friendlyName,omitempty"`
	TemplateName string       `json:"templateName,omitempty"`
	TemplateOID  string       `json:"templateOID,omitempty"`
	PolicyServer string       `json:"policyServer,omitempty"` // policy server id
	RequestID    string       `json:"requestID,omitempty"`    // CES request id (pending or issued)
	PollURL      string       `json:"pollURL,omitempty"`      // the CES URI a pending request was submitted to, where it is polled
	Renewal      RenewalState `json:"renewal,omitzero"`
	Archived     bool         `json:"archived"` // deleted (or replaced by renewal) but kept, as Windows does
	ImportedAt   time.Time    `json:"importedAt"`
	// KeyStorage is where the private key lives; "" is KeySoftware (sealed
	// in the entry file). For the others the entry file holds no key, only
	// KeyRef, which names it in its storage.
	KeyStorage string `json:"keyStorage,omitempty"`
	KeyRef     string `json:"keyRef,omitempty"`
	// NonExportable: the template did not allow the key to be exported
	// (privateKeyFlags without 0x10), so Export refuses it.
	NonExportable bool `json:"nonExportable,omitempty"`
}

// The key storages (DESIGN.md, "key storage"): where an entry's private
// key lives.
const (
	KeySoftware = "software" // wrapped by the context's key-encryption key
	KeyTPM      = "tpm"      // TPM 2.0
	KeyPKCS11   = "pkcs11"   // a PKCS#11 token or smart card
	KeyCNG      = "cng"      // a Windows CNG provider
)

// HeldElsewhere reports whether the key of an entry with meta m lives
// outside the entry file (in a TPM, on a token, in CNG): such a key is
// never exported.
func (m Meta) HeldElsewhere() bool { return m.KeyStorage != "" && m.KeyStorage != KeySoftware }

// KeyExportable reports whether the private key of an entry with meta m
// may be exported (in a PFX, or a PEM with the key): not when it is held
// elsewhere or its template marked it non-exportable.
func (m Meta) KeyExportable() bool { return !m.NonExportable && !m.HeldElsewhere() }

// setKeyPlace takes where the key lives from p, for a key attached to an
// entry that had none.
func (m *Meta) setKeyPlace(p Meta) {
	m.KeyStorage, m.KeyRef, m.NonExportable = p.KeyStorage, p.KeyRef, p.NonExportable
}

// RenewalState is the renewal bookkeeping the core keeps per entry.
type RenewalState struct {
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	Failures    int       `json:"failures,omitempty"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	Permanent   bool      `json:"permanent,omitempty"` // stop retrying (e.g. template withdrawn)
}

// Thumbprint returns the SHA-1 thumbprint of a DER certificate in
// upper-case hex, as Windows shows it.
func Thumbprint(der []byte) string {
	s := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// NormalizeThumbprint accepts a thumbprint as users paste it (any case,
// spaces or colons) and returns it in canonical form.
func NormalizeThumbprint(s string) (string, error) {
	t := strings.ToUpper(strings.NewReplacer(" ", "", ":", "", "\u200e", "").Replace(s))
	if len(t) != 40 || strings.Trim(t, "0123456789ABCDEF") != "" {
		return "", fmt.Errorf("%q is not a SHA-1 thumbprint (40 hex digits)", s)
	}
	return t, nil
}

// newEntry describes cert for the index.
func newEntry(name Name, cert *x509.Certificate, hasKey bool, meta Meta) Entry {
	s256 := sha256.Sum256(cert.Raw)
	e := Entry{
		Store:      name,
		Thumbprint: Thumbprint(cert.Raw),
		SHA256:     strings.ToUpper(hex.EncodeToString(s256[:])),
		Subject:    cert.Subject.String(),
		SubjectCN:  cert.Subject.CommonName,
		Issuer:     cert.Issuer.String(),
		IssuerCN:   cert.Issuer.CommonName,
		Serial:     strings.ToUpper(cert.SerialNumber.Text(16)),
		NotBefore:  cert.NotBefore.UTC(),
		NotAfter:   cert.NotAfter.UTC(),
		HasKey:     hasKey,
		IsCA:       cert.IsCA,
		SelfSigned: isSelfSigned(cert),
		Meta:       meta,
	}
	if hasKey {
		e.KeyStorage = KeySoftware
		if meta.KeyStorage != "" {
			e.KeyStorage = meta.KeyStorage
		}
	}
	e.KeyType, e.KeySize = keyInfo(cert)
	if meta.TemplateName == "" && meta.TemplateOID == "" {
		// Certificates from AD CS name their template; keep it so imported
		// ones show and renew like enrolled ones.
		e.Meta.TemplateName, e.Meta.TemplateOID = CertificateTemplate(cert)
	}
	for _, d := range cert.DNSNames {
		e.SANs = append(e.SANs, "DNS:"+d)
	}
	for _, ip := range cert.IPAddresses {
		e.SANs = append(e.SANs, "IP:"+ip.String())
	}
	for _, m := range cert.EmailAddresses {
		e.SANs = append(e.SANs, "email:"+m)
	}
	for _, u := range cert.URIs {
		e.SANs = append(e.SANs, "URI:"+u.String())
	}
	return e
}

// isSelfSigned reports a certificate whose issuer is its subject and whose
// signature its own key verifies (a name match alone is not enough: a
// cross-signed CA can share its subject with its issuer).
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// keyInfo names the certificate's public key type and size.
func keyInfo(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return c.PublicKeyAlgorithm.String(), 0
}
