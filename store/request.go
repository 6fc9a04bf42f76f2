package store

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"
)

// AddRequest records a pending request the way Windows (certreq) does: a
// self-signed placeholder certificate for subject, signed by key, holding
// the key in the Request store until the issued certificate arrives. meta
// should carry the request id and the CES URI it was submitted to
// (PollURL). When the certificate is issued the core adds it (with the
// same key, from Signer) to My and purges or archives the placeholder.
func (tx *Tx) AddRequest(ctx context.Context, key crypto.Signer, subject pkix.Name, meta Meta) (Entry, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Entry{}, err
	}
	now := tx.s.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.AddDate(1, 0, 0), // certreq's placeholder also lasts a year
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return Entry{}, tx.s.opErr("add request", Request, "", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Entry{}, err
	}
	e, _, err := tx.Add(ctx, Request, cert, key, meta)
	return e, err
}

// AddRequest is Tx.AddRequest under a lock of its own.
func (s *Store) AddRequest(ctx context.Context, key crypto.Signer, subject pkix.Name, meta Meta) (e Entry, err error) {
	err = s.withTx(ctx, func(tx *Tx) error { e, err = tx.AddRequest(ctx, key, subject, meta); return err })
	return e, err
}
