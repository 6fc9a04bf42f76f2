package app

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// TestIssuedChainThroughCAStore: an intermediate of the response whose
// path goes through one already in the CA store is kept, as is a chain
// complete in itself; an unrelated CA is dropped either way.
func TestIssuedChainThroughCAStore(t *testing.T) {
	c := newCore(t, t.TempDir(), &fakeClock{t: time.Now()}, 0)
	ctx := context.Background()
	s, _ := c.Store(store.User)
	certs := certChain(t, "Root", "Upper CA", "Lower CA", "leaf")
	root, upper, lower, leaf := certs[0], certs[1], certs[2], certs[3]
	other := certChain(t, "Other CA", "")[0]
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
