package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"time"
)

// Expiry is a certificate's validity relative to a moment.
type Expiry string

// The expiry statuses.
const (
	Valid       Expiry = "valid"
	Expiring    Expiry = "expiring" // valid, but ends within the window
	Expired     Expiry = "expired"
	NotYetValid Expiry = "not yet valid"
)

// ExpiringWithin is how close to its end a valid certificate counts as
// expiring soon, wherever a status is shown.
const ExpiringWithin = 30 * 24 * time.Hour

// ExpiryStatus classifies a validity period at now; within is the
// "expiring soon" window (for example 30 days).
func ExpiryStatus(notBefore, notAfter, now time.Time, within time.Duration) Expiry {
	switch {
	case now.Before(notBefore):
		return NotYetValid
	case now.After(notAfter):
		return Expired
	case notAfter.Sub(now) <= within:
		return Expiring
	}
	return Valid
}

// ChainElement is one certificate of a built chain, leaf first.
type ChainElement struct {
	Thumbprint string `json:"thumbprint"`
	Subject    string `json:"subject"`
	Source     string `json:"source"` // the store it came from ("My", "CA", "Root", ...) or "system"
	Expiry     Expiry `json:"expiry"`
	// Status is "ok", or why this element breaks the chain: "expired",
	// "not yet valid", "issuer not found", "untrusted root".
	Status string `json:"status"`

	Certificate *x509.Certificate `json:"-"`
}

// Chain is the result of building an entry's chain.
type Chain struct {
	Valid    bool           `json:"valid"`
	Error    string         `json:"error,omitempty"` // why not, from crypto/x509
	Elements []ChainElement `json:"elements"`
}

// Chain builds and validates the chain of entry thumbprint in store n at
// now, against the context's Root store plus the system roots, with the
// context's CA store (and the entry's own store, unless it is My, which can
// be large and holds no CA certificates) as intermediates. When
// validation fails it still walks issuers by name and signature, so each
// element shows where the chain breaks.
func (s *Store) Chain(ctx context.Context, n Name, thumbprint string, now time.Time) (*Chain, error) {
	e, err := s.Get(ctx, n, thumbprint)
	if err != nil {
		return nil, err
	}
	sets, err := s.ChainSets(ctx, n)
	if err != nil {
		return nil, err
	}
	return LeafFrom(BuildChain(e.Certificate, now, sets...), n), nil
}

// ChainSets returns what Chain builds the chain of an entry of store n
// from: the context's Root (trusted) and CA stores, and n itself unless it
// is My, Root or CA. Callers building many chains load them once.
func (s *Store) ChainSets(ctx context.Context, n Name) ([]ChainSet, error) {
	names := []Name{Root, CA}
	if n != My && n != Root && n != CA {
		names = append(names, n)
	}
	var sets []ChainSet
	for _, sn := range names {
		es, err := s.List(ctx, sn, ListOptions{})
		if err != nil {
			return nil, err
		}
		set := ChainSet{Source: string(sn), Trusted: sn == Root}
		for _, le := range es {
			if ge, err := s.Get(ctx, sn, le.Thumbprint); err == nil {
				set.Certs = append(set.Certs, ge.Certificate)
			}
		}
		sets = append(sets, set)
	}
	return sets, nil
}

// LeafFrom sets the source of ch's leaf to store n when no set named it
// (BuildChain leaves it empty: the leaf is the caller's, not the
// system's), and returns ch.
func LeafFrom(ch *Chain, n Name) *Chain {
	if len(ch.Elements) > 0 && ch.Elements[0].Source == "" {
		ch.Elements[0].Source = string(n)
	}
	return ch
}

// ChainSet is a set of certificates BuildChain may use, named by where
// they come from (a store name); Trusted ones are roots.
type ChainSet struct {
	Source  string
	Trusted bool
	Certs   []*x509.Certificate
}

// BuildChain builds and validates leaf's chain at now against the system
// roots plus the trusted sets, with the other sets as intermediates (the
// first set naming a certificate is its source). When validation fails it
// still walks issuers by name and signature, so each element shows where
// the chain breaks.
func BuildChain(leaf *x509.Certificate, now time.Time, sets ...ChainSet) *Chain {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	src := map[string]string{} // thumbprint -> source
	var candidates []*x509.Certificate
	inters := x509.NewCertPool()
	for _, set := range sets {
		for _, c := range set.Certs {
			t := Thumbprint(c.Raw)
			if _, dup := src[t]; dup {
				continue
			}
			src[t] = set.Source
			candidates = append(candidates, c)
			if set.Trusted {
				roots.AddCert(c)
			} else {
				inters.AddCert(c)
			}
		}
	}
	ch := &Chain{}
	chains, verr := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inters, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	var path []*x509.Certificate
	if verr == nil {
		ch.Valid, path = true, chains[0]
	} else {
		ch.Error = verr.Error()
		path = walk(leaf, candidates)
	}
	for i, c := range path {
		t := Thumbprint(c.Raw)
		el := ChainElement{Thumbprint: t, Subject: c.Subject.String(), Source: src[t], Certificate: c,
			Expiry: ExpiryStatus(c.NotBefore, c.NotAfter, now, 0), Status: "ok"}
		if el.Source == "" && i > 0 {
			el.Source = "system" // an issuer found among the system roots
		}
		if el.Expiry == Expired || el.Expiry == NotYetValid {
			el.Status = string(el.Expiry)
		} else if !ch.Valid && i == len(path)-1 {
			if isSelfSigned(c) {
				el.Status = "untrusted root"
			} else {
				el.Status = "issuer not found"
			}
		}
		ch.Elements = append(ch.Elements, el)
	}
	return ch
}

// walk follows issuers among candidates by name and signature, for a
// chain that did not validate; it stops at a self-signed certificate, a
// missing issuer or a loop.
func walk(leaf *x509.Certificate, candidates []*x509.Certificate) []*x509.Certificate {
	path := []*x509.Certificate{leaf}
	for c := leaf; !isSelfSigned(c) && len(path) < 10; {
		var next *x509.Certificate
		for _, p := range candidates {
			if bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil && !bytes.Equal(p.Raw, c.Raw) {
				next = p
				break
			}
		}
		if next == nil {
			break
		}
		path = append(path, next)
		c = next
	}
	return path
}
