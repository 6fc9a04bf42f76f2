package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// Profile is a PFX encryption profile, named by the software that must
// read the file.
type Profile string

// The PFX profiles (docs/store.md lists who reads which).
const (
	// Compatible: 3DES with a SHA-1 MAC (go-pkcs12 LegacyDES), for older
	// Windows, macOS keychains and appliances.
	Compatible Profile = "compatible"
	// Modern: AES-256-CBC, PBKDF2-HMAC-SHA-256, HMAC-SHA-256 MAC
	// (Modern2023); OpenSSL ≥ 1.1.1, Java ≥ 12, Windows Server ≥ 2019.
	Modern Profile = "modern"
	// PBMAC1: Modern plus a PBMAC1 MAC (Modern2026); OpenSSL ≥ 3.4, Java ≥ 26.
	PBMAC1 Profile = "pbmac1"
)

var encoders = map[Profile]*pkcs12.Encoder{Compatible: pkcs12.LegacyDES, Modern: pkcs12.Modern2023, PBMAC1: pkcs12.Modern2026}

// ExportOptions choose what Export writes.
type ExportOptions struct {
	Format   Format  // FormatPFX, FormatPEM, FormatDER or FormatP7B
	Profile  Profile // PFX only; default Modern
	Password string  // PFX: required when the entry has a key
	Chain    bool    // PEM, P7B, PFX: add the chain (from Chain) after the certificate
	Key      bool    // PEM: add the private key, unencrypted PKCS#8 (PFX always includes it)
}

// Export encodes the entry as a file. A PFX carries the entry's key when
// it has one (and then needs a password); DER is the certificate alone.
func (s *Store) Export(ctx context.Context, n Name, thumbprint string, opt ExportOptions) ([]byte, error) {
	b, err := s.export(ctx, n, thumbprint, opt)
	if err != nil {
		return nil, s.opErr("export", n, "", err)
	}
	return b, nil
}

func (s *Store) export(ctx context.Context, n Name, thumbprint string, opt ExportOptions) ([]byte, error) {
	e, err := s.Get(ctx, n, thumbprint)
	if err != nil {
		return nil, err
	}
	// A key held in a TPM or on a token, or one the template marked
	// non-exportable, never leaves: refused before anything is encoded.
	if e.HasKey && !e.Meta.KeyExportable() && (opt.Format == FormatPFX || opt.Key) {
		return nil, ErrNotExportable
	}
	certs := []*x509.Certificate{e.Certificate}
	if opt.Chain {
		ch, err := s.Chain(ctx, n, thumbprint, time.Now())
		if err != nil {
			return nil, err
		}
		certs = certs[:0]
		for _, el := range ch.Elements {
			certs = append(certs, el.Certificate)
		}
	}
	switch opt.Format {
	case FormatDER:
		return e.Certificate.Raw, nil
	case FormatP7B:
		var der []byte
		for _, c := range certs {
			der = append(der, c.Raw...)
		}
		return pkcs7.DegenerateCertificate(der)
	case FormatPEM:
		var buf bytes.Buffer
		for _, c := range certs {
			pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		if opt.Key {
			k, err := s.Signer(ctx, n, thumbprint)
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				return nil, err
			}
			pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		}
		return buf.Bytes(), nil
	case FormatPFX:
		if opt.Profile == "" {
			opt.Profile = Modern
		}
		enc, ok := encoders[opt.Profile]
		if !ok {
			return nil, fmt.Errorf("unknown PFX profile %q (want compatible, modern or pbmac1)", opt.Profile)
		}
		if !e.HasKey {
			return enc.EncodeTrustStore(certs, opt.Password)
		}
		if opt.Password == "" {
			return nil, ErrPasswordRequired
		}
		k, err := s.Signer(ctx, n, thumbprint)
		if err != nil {
			return nil, err
		}
		return enc.Encode(k, certs[0], certs[1:], opt.Password)
	}
	return nil, errors.New("unknown export format " + string(opt.Format))
}
