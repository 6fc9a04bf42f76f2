package enroll_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestE2ERenewalOneSignature: testca issues the renewal of an RSA and an
// ECDSA certificate to a new key that signed its request once.
func TestE2ERenewalOneSignature(t *testing.T) {
	_, srv, roots := e2e(t, testca.Config{})
	ctx := context.Background()
	c := passwordClient(roots)
	for _, name := range []string{testca.TemplateUser, testca.TemplateUserP256} {
		t.Run(name, func(t *testing.T) {
			req, uris := request(t, c, srv.CEPURL(), name)
			res, err := c.Enroll(ctx, uris, req)
			if err != nil || res.Pending() {
				t.Fatalf("got %+v %v", res, err)
			}
			kt, _ := req.Template.KeyType()
			key, err := enroll.GenerateKey(rand.Reader, kt)
			if err != nil {
				t.Fatal(err)
			}
			newKey := &enroll.CountingSigner{Signer: key}
			renewed, err := c.Renew(ctx, uris, enroll.RenewalRequest{OldCert: res.Certificate, OldKey: req.Key, NewKey: newKey, Template: req.Template})
			if err != nil || renewed.Pending() {
				t.Fatalf("got %+v %v", renewed, err)
			}
			if newKey.N != 1 {
				t.Errorf("the new key signed %d times", newKey.N)
			}
			if renewed.Certificate.SerialNumber.Cmp(res.Certificate.SerialNumber) == 0 || renewed.Certificate.Subject.String() != res.Certificate.Subject.String() {
				t.Errorf("renewed %s from %s", renewed.Certificate.Subject, res.Certificate.Subject)
			}
			verifyChain(t, renewed, roots)
		})
	}
}
