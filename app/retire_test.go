package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// TestPendingRenewalWithBrokenChainKeepsOld: a pending renewal answered
// with a certificate whose chain does not build is not installed; the old
// certificate stays live and the request stays to be polled again.
func TestPendingRenewalWithBrokenChainKeepsOld(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, "")
	old := e.enroll(t, testca.TemplateUser).Thumbprint
	s, _ := e.core.Store(store.User)
	tx, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Unlock()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	req, err := tx.AddRequest(ctx, key, pkix.Name{CommonName: "renewed"}, store.Meta{FriendlyName: renewalOf + old, RequestID: "9"})
	if err != nil {
		t.Fatal(err)
	}
	// Issued by a CA nobody trusts.
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := e.clock.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Rogue CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	ca, _ = x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "renewed"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	leaf, _ = x509.ParseCertificate(der)

	if _, err := e.core.acceptIssued(ctx, tx, req, leaf, nil); err == nil || !strings.Contains(err.Error(), "chain does not build") {
		t.Fatalf("accept: %v, want the chain refused", err)
	}
	if my := e.list(t, store.My); len(my) != 1 || my[0] != old {
		t.Errorf("My %v, want the old certificate alone and live", my)
	}
	if rq := e.list(t, store.Request); len(rq) != 1 || rq[0] != req.Thumbprint {
		t.Errorf("Request %v, want the pending request kept", rq)
	}
}

// TestRenewTwiceRenewsOnce: "Renew now" on a certificate that was renewed
// meanwhile (archived) is refused instead of renewing it again; and a
// certificate-auth server presenting the renewed certificate follows it.
func TestRenewTwiceRenewsOnce(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, testca.DefaultPassword)
	old := e.enroll(t, testca.TemplateShortLived).Thumbprint
	kbr, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.KBRCEPURL(), Auth: AuthCertificate, ClientCert: old})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.core.Renew(ctx, store.User, old)
	if err != nil || o.Outcome != OutcomeOK {
		t.Fatalf("first renew: %+v, %v", o, err)
	}
	issued := e.issuedCount(t)
	o2, err := e.core.Renew(ctx, store.User, old)
	if err == nil && o2.Outcome == OutcomeOK {
		t.Fatalf("second renew of the archived certificate succeeded: %+v", o2)
	}
	if n := e.issuedCount(t); n != issued {
		t.Errorf("the CA issued %d more", n-issued)
	}
	if my := e.list(t, store.My); len(my) != 2 || !slices.Contains(my, old+"+a") || !slices.Contains(my, o.NewThumbprint) {
		t.Errorf("My %v, want the old archived and one new", my)
	}
	got, _ := e.core.Server(store.User, kbr.ID)
	if got.ClientCert != o.NewThumbprint {
		t.Errorf("certificate-auth server presents %s, want the renewed %s", got.ClientCert, o.NewThumbprint)
	}
}
