// Package revocation asks whether a certificate has been revoked: OCSP
// from the certificate's AIA extension first, then the CRL from its CDP
// extension with the delta CRL its FreshestCRL extension names. Every answer is verified against the issuing CA (or an OCSP
// signer the CA delegated with id-kp-OCSPSigning) and must be current;
// anything else is StatusUnknown, never StatusGood.
//
// URLs come from certificates, which anyone can make: only http and https
// are fetched, without credentials, cookies or redirects to another scheme,
// with a timeout and a size limit. Caching belongs to the caller (app), which
// keeps Answers until their NextUpdate.
package revocation

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Status is the answer to "is this certificate revoked?".
type Status string

// The statuses.
const (
	StatusGood    Status = "good"
	StatusRevoked Status = "revoked"
	StatusUnknown Status = "unknown" // no trustworthy answer could be had
)

// MaxSkew is how far in the future a thisUpdate may be (the responder's
// clock against ours) before the answer is refused.
const MaxSkew = 5 * time.Minute

// DefaultMaxAge is how old an OCSP response without nextUpdate may be; such
// a response says "newer information is always available", so it is only
// believed briefly, and kept in a cache that long.
const DefaultMaxAge = time.Hour

// Answer is a verified revocation status of one certificate.
type Answer struct {
	Status Status `json:"status"`
	// Reason is the CRL reason of a revoked certificate (keyCompromise, …)
	// or why the status is unknown.
	Reason    string    `json:"reason,omitempty"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	Source    string    `json:"source,omitempty"` // "ocsp" or "crl"
	URL       string    `json:"url,omitempty"`
	// ThisUpdate and NextUpdate bound the answer; it is not believed after
	// NextUpdate.
	ThisUpdate time.Time `json:"thisUpdate,omitzero"`
	NextUpdate time.Time `json:"nextUpdate,omitzero"`
}

// unknown is an unknown answer saying why.
func unknown(format string, a ...any) Answer {
	return Answer{Status: StatusUnknown, Reason: fmt.Sprintf(format, a...)}
}

// reasons names the CRL reason codes of RFC 5280 §5.3.1.
var reasons = map[int]string{
	0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged", 4: "superseded",
	5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL", 9: "privilegeWithdrawn", 10: "aACompromise",
}

// ReasonName returns the RFC 5280 name of CRL reason code n.
func ReasonName(n int) string {
	if s, ok := reasons[n]; ok {
		return s
	}
	return fmt.Sprintf("reason %d", n)
}

// ReasonCode returns the code of an RFC 5280 reason name, case-sensitive
// as OpenSSL spells them.
func ReasonCode(name string) (int, bool) {
	for n, s := range reasons {
		if s == name {
			return n, true
		}
	}
	return 0, false
}

// ErrNotCurrent is wrapped by answers refused for their times: stale
// (nextUpdate passed), from the future, or too old without a nextUpdate.
var ErrNotCurrent = errors.New("revocation: answer not current")

// current checks an answer's validity period at now.
func current(thisUpdate, nextUpdate, now time.Time, maxAge time.Duration) error {
	switch {
	case thisUpdate.After(now.Add(MaxSkew)):
		return fmt.Errorf("%w: thisUpdate %s is in the future", ErrNotCurrent, thisUpdate.UTC().Format(time.RFC3339))
	case !nextUpdate.IsZero() && now.After(nextUpdate):
		return fmt.Errorf("%w: nextUpdate %s has passed", ErrNotCurrent, nextUpdate.UTC().Format(time.RFC3339))
	case nextUpdate.IsZero() && now.Sub(thisUpdate) > maxAge:
		return fmt.Errorf("%w: thisUpdate %s is too old and there is no nextUpdate", ErrNotCurrent, thisUpdate.UTC().Format(time.RFC3339))
	}
	return nil
}

// VerifyOCSP parses and verifies OCSP response der about cert, issued by
// issuer, at now. The response must be signed by issuer itself or by a
// certificate issuer signed that carries id-kp-OCSPSigning and is valid
// at now (RFC 6960 §4.2.2.2); it must be current (see current), and newer
// than notBefore when that is set (a response older than one already
// seen is a replay).
func VerifyOCSP(der []byte, cert, issuer *x509.Certificate, now, notBefore time.Time) (Answer, error) {
	// No issuer here: x/crypto/ocsp would accept any certificate the issuer
	// signed as the responder, without looking for id-kp-OCSPSigning.
	r, err := ocsp.ParseResponseForCert(der, cert, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("revocation: OCSP response: %w", err)
	}
	switch {
	case r.Certificate == nil || bytes.Equal(r.Certificate.Raw, issuer.Raw):
		err = r.CheckSignatureFrom(issuer)
	default:
		err = delegated(r, issuer, now)
	}
	if err != nil {
		return Answer{}, fmt.Errorf("revocation: OCSP response not signed by the issuer: %w", err)
	}
	if err := current(r.ThisUpdate, r.NextUpdate, now, DefaultMaxAge); err != nil {
		return Answer{}, err
	}
	if !notBefore.IsZero() && r.ThisUpdate.Before(notBefore) {
		return Answer{}, fmt.Errorf("%w: thisUpdate %s is older than an answer already seen", ErrNotCurrent, r.ThisUpdate.UTC().Format(time.RFC3339))
	}
	a := Answer{Source: "ocsp", ThisUpdate: r.ThisUpdate, NextUpdate: r.NextUpdate}
	if a.NextUpdate.IsZero() {
		a.NextUpdate = r.ThisUpdate.Add(DefaultMaxAge)
	}
	switch r.Status {
	case ocsp.Good:
		a.Status = StatusGood
	case ocsp.Revoked:
		a.Status, a.RevokedAt, a.Reason = StatusRevoked, r.RevokedAt, ReasonName(r.RevocationReason)
	default:
		a.Status, a.Reason = StatusUnknown, "the OCSP responder does not know the certificate"
	}
	return a, nil
}

// delegated checks a response signed by a certificate other than the
// issuer: issuer signed it, it is an OCSP signer and valid now.
func delegated(r *ocsp.Response, issuer *x509.Certificate, now time.Time) error {
	signer := r.Certificate
	if err := signer.CheckSignatureFrom(issuer); err != nil {
		return err
	}
	ok := false
	for _, u := range signer.ExtKeyUsage {
		ok = ok || u == x509.ExtKeyUsageOCSPSigning
	}
	switch {
	case !ok:
		return errors.New("the responder certificate lacks id-kp-OCSPSigning")
	case now.Before(signer.NotBefore) || now.After(signer.NotAfter):
		return errors.New("the responder certificate is not valid now")
	}
	return r.CheckSignatureFrom(signer)
}

// CRL is a verified certificate revocation list.
type CRL struct {
	*x509.RevocationList
	revoked map[string]x509.RevocationListEntry // serial (hex) → entry
}

// VerifyCRL parses CRL der and verifies it was issued and signed by issuer
// (which must be a CA allowed to sign CRLs) and is current at now.
// A delta CRL is refused here: alone it cannot say a certificate is good
// (VerifyDeltaCRL).
func VerifyCRL(der []byte, issuer *x509.Certificate, now time.Time) (*CRL, error) {
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("revocation: CRL: %w", err)
	}
	if !bytes.Equal(l.RawIssuer, issuer.RawSubject) {
		return nil, errors.New("revocation: the CRL is not the issuer's: its issuer name differs")
	}
	if err := l.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("revocation: CRL not signed by the issuer: %w", err)
	}
	for _, e := range l.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			return nil, errors.New("revocation: the CRL is a delta CRL")
		}
	}
	if l.NextUpdate.IsZero() {
		return nil, errors.New("revocation: the CRL has no nextUpdate")
	}
	if err := current(l.ThisUpdate, l.NextUpdate, now, 0); err != nil {
		return nil, err
	}
	return newCRL(l), nil
}

// newCRL indexes a verified list by serial.
func newCRL(l *x509.RevocationList) *CRL {
	c := &CRL{RevocationList: l, revoked: make(map[string]x509.RevocationListEntry, len(l.RevokedCertificateEntries))}
	for _, e := range l.RevokedCertificateEntries {
		c.revoked[e.SerialNumber.Text(16)] = e
	}
	return c
}

// oidDeltaCRLIndicator marks a delta CRL (RFC 5280 §5.2.4).
var oidDeltaCRLIndicator = []int{2, 5, 29, 27}

// Lookup returns the answer the CRL gives for serial.
func (c *CRL) Lookup(serial *big.Int) Answer {
	a := Answer{Status: StatusGood, Source: "crl", ThisUpdate: c.ThisUpdate, NextUpdate: c.NextUpdate}
	if e, ok := c.revoked[serial.Text(16)]; ok {
		a.Status, a.RevokedAt, a.Reason = StatusRevoked, e.RevocationTime, ReasonName(e.ReasonCode)
		if a.Reason == "removeFromCRL" {
			a.Status, a.RevokedAt, a.Reason = StatusGood, time.Time{}, ""
		}
	}
	return a
}
