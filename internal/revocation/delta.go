package revocation

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// oidFreshestCRL names the delta CRLs of a certificate or a base CRL
// (RFC 5280 §4.2.1.15); AD CS writes it in both.
var oidFreshestCRL = asn1.ObjectIdentifier{2, 5, 29, 46}

// distributionPoint is RFC 5280's DistributionPoint, as crypto/x509 reads
// the CDP extension, which shares the syntax.
type distributionPoint struct {
	DistributionPoint distributionPointName `asn1:"optional,tag:0"`
	Reason            asn1.BitString        `asn1:"optional,tag:1"`
	CRLIssuer         asn1.RawValue         `asn1:"optional,tag:2"`
}

type distributionPointName struct {
	FullName     []asn1.RawValue  `asn1:"optional,tag:0"`
	RelativeName pkix.RDNSequence `asn1:"optional,tag:1"`
}

// freshestCRL returns the URIs of a FreshestCRL extension among exts; a
// malformed extension names none.
func freshestCRL(exts []pkix.Extension) []string {
	var urls []string
	for _, e := range exts {
		if !e.Id.Equal(oidFreshestCRL) {
			continue
		}
		var dps []distributionPoint
		if rest, err := asn1.Unmarshal(e.Value, &dps); err != nil || len(rest) != 0 {
			return nil
		}
		for _, dp := range dps {
			for _, n := range dp.DistributionPoint.FullName {
				if n.Class == asn1.ClassContextSpecific && n.Tag == 6 { // uniformResourceIdentifier
					urls = append(urls, string(n.Bytes))
				}
			}
		}
	}
	return urls
}

// VerifyDeltaCRL parses delta CRL der and verifies it against base, a
// verified base CRL of issuer: same issuer, signed by it, current at now,
// and a delta of base or of an older CRL (its BaseCRLNumber at most base's
// number, its own number above it).
func VerifyDeltaCRL(der []byte, issuer *x509.Certificate, base *CRL, now time.Time) (*CRL, error) {
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("revocation: delta CRL: %w", err)
	}
	if !bytes.Equal(l.RawIssuer, issuer.RawSubject) {
		return nil, errors.New("revocation: the delta CRL is not the issuer's: its issuer name differs")
	}
	if err := l.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("revocation: delta CRL not signed by the issuer: %w", err)
	}
	var baseNumber *big.Int
	for _, e := range l.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			if rest, err := asn1.Unmarshal(e.Value, &baseNumber); err != nil || len(rest) != 0 {
				return nil, errors.New("revocation: the delta CRL's indicator is malformed")
			}
		}
	}
	switch {
	case baseNumber == nil:
		return nil, errors.New("revocation: the delta CRL has no delta CRL indicator")
	case base.Number == nil || l.Number == nil:
		return nil, errors.New("revocation: a base or delta CRL has no CRL number")
	case baseNumber.Cmp(base.Number) > 0:
		return nil, errors.New("revocation: the delta CRL is newer than the base CRL it needs")
	case l.Number.Cmp(base.Number) <= 0:
		return nil, errors.New("revocation: the delta CRL is older than the base CRL")
	case l.NextUpdate.IsZero():
		return nil, errors.New("revocation: the delta CRL has no nextUpdate")
	}
	if err := current(l.ThisUpdate, l.NextUpdate, now, 0); err != nil {
		return nil, err
	}
	return newCRL(l), nil
}

// withDelta is the answer for serial from base and its delta: the delta's
// entry wins (removeFromCRL takes a certificate off hold); the answer is
// valid until the earlier nextUpdate.
func withDelta(base, delta *CRL, serial *big.Int) Answer {
	a := base.Lookup(serial)
	if _, ok := delta.revoked[serial.Text(16)]; ok {
		a = delta.Lookup(serial)
		a.ThisUpdate = base.ThisUpdate
	}
	if delta.NextUpdate.Before(base.NextUpdate) {
		a.NextUpdate = delta.NextUpdate
	}
	return a
}
