package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// chainCert issues a certificate named cn by parent (self-signed when
// parent is nil).
func chainCert(t *testing.T, cn string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true, IsCA: isCA,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

// TestIssuedChainThroughCAStore: an intermediate of the response whose
// path goes through one already in the CA store is kept, as is a chain
// complete in itself; an unrelated CA is dropped either way.
func TestIssuedChainThroughCAStore(t *testing.T) {
	c := newCore(t, t.TempDir(), &fakeClock{t: time.Now()}, 0)
	ctx := context.Background()
	s, _ := c.Store(store.User)
	root, rootKey := chainCert(t, "Root", true, nil, nil)
	upper, upperKey := chainCert(t, "Upper CA", true, root, rootKey)
	lower, lowerKey := chainCert(t, "Lower CA", true, upper, upperKey)
	leaf, _ := chainCert(t, "leaf", false, lower, lowerKey)
	other, _ := chainCert(t, "Other CA", true, nil, nil)
	tx, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Unlock()
	if _, _, err := tx.Add(ctx, store.Root, root, nil, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	check := func(name string, chain []*x509.Certificate, want []*x509.Certificate, wantDropped int) {
		t.Helper()
		keep, dropped, err := c.issuedChain(ctx, s, leaf, chain)
		if err != nil || dropped != wantDropped || len(keep) != len(want) {
			t.Fatalf("%s: kept %d, dropped %d, %v; want %d kept, %d dropped", name, len(keep), dropped, err, len(want), wantDropped)
		}
		for i := range want {
			if !keep[i].Equal(want[i]) {
				t.Fatalf("%s: kept %s, want %s", name, keep[i].Subject, want[i].Subject)
			}
		}
	}
	check("whole chain", []*x509.Certificate{lower, upper, root, other}, []*x509.Certificate{lower, upper}, 1)
	check("upper CA not known", []*x509.Certificate{lower, other}, nil, 2)
	if _, _, err := tx.Add(ctx, store.CA, upper, nil, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	check("upper CA in the CA store", []*x509.Certificate{lower, other}, []*x509.Certificate{lower}, 1)
}
