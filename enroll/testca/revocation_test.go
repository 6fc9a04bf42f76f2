package testca

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"testing"

	"github.com/certdesk/certdesk/internal/revocation"
)

// TestRevoke: issued certificates name the CA's OCSP responder and CRL;
// both say good, then revoked with the reason once Revoke ran, in a CA
// opened again from the same directory (another process's server).
func TestRevoke(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	got := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, p256Key(t), TemplateUserP256, ""))
	cert := got.cert
	if len(cert.OCSPServer) != 1 || len(cert.CRLDistributionPoints) != 1 {
		t.Fatalf("AIA %v, CDP %v", cert.OCSPServer, cert.CRLDistributionPoints)
	}
	ocspOnly, crlOnly := *cert, *cert
	ocspOnly.CRLDistributionPoints, crlOnly.OCSPServer = nil, nil
	check := func(want revocation.Status, reason string) {
		t.Helper()
		for source, cc := range map[string]*x509.Certificate{"ocsp": &ocspOnly, "crl": &crlOnly} {
			a, asked := (&revocation.Checker{Now: ca.now}).Check(context.Background(), cc, ca.Issuing(), ca.now().AddDate(0, 0, -1))
			if !asked || a.Status != want || a.Reason != reason || a.Source != source {
				t.Errorf("%s: %+v", source, a)
			}
		}
	}
	check(revocation.StatusGood, "")
	sum := sha1.Sum(cert.Raw)
	other, err := New(Config{Dir: ca.cfg.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Revoke(hex.EncodeToString(sum[:]), "keyCompromise"); err != nil {
		t.Fatal(err)
	}
	check(revocation.StatusRevoked, "keyCompromise")
	if _, err := other.Revoke("00", ""); err != ErrUnknownCertificate {
		t.Errorf("Revoke(unknown) = %v", err)
	}
	if _, err := other.Revoke(hex.EncodeToString(sum[:]), "bogus"); err == nil {
		t.Error("Revoke accepted an unknown reason")
	}
}
