package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"sync"
	"time"
)

// foreignSet holds the unrelated certificates FaultForeignChain adds to
// an issued response, made once per CA and never stored.
type foreignSet struct {
	once  sync.Once
	certs []*x509.Certificate
	err   error
}

// foreignCerts returns an unrelated self-signed CA, an intermediate CA it
// signed and an end-entity certificate that intermediate signed: nothing
// on the path from an issued certificate to this CA's root.
func (ca *CA) foreignCerts() ([]*x509.Certificate, error) {
	f := &ca.foreign
	f.once.Do(func() {
		now := ca.now()
		mk := func(cn string, isCA bool, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, crypto.Signer, error) {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, nil, err
			}
			tmpl := &x509.Certificate{
				SerialNumber: randomSerial(), Subject: pkix.Name{CommonName: cn, Organization: []string{"certdesk foreign"}},
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
				KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: isCA,
			}
			if isCA {
				tmpl.KeyUsage |= x509.KeyUsageCertSign
			}
			if parent == nil {
				parent, parentKey = tmpl, key
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
			if err != nil {
				return nil, nil, err
			}
			c, err := x509.ParseCertificate(der)
			return c, key, err
		}
		root, rootKey, err := mk("Foreign Root", true, nil, nil)
		if err != nil {
			f.err = fmt.Errorf("testca: foreign root: %w", err)
			return
		}
		inter, interKey, err := mk("Foreign Intermediate", true, root, rootKey)
		if err != nil {
			f.err = fmt.Errorf("testca: foreign intermediate: %w", err)
			return
		}
		leaf, _, err := mk("foreign leaf", false, inter, interKey)
		if err != nil {
			f.err = fmt.Errorf("testca: foreign leaf: %w", err)
			return
		}
		f.certs = []*x509.Certificate{root, inter, leaf}
	})
	return f.certs, f.err
}
