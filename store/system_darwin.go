package store

import (
	"context"
	"crypto/x509"

	"github.com/certdesk/certdesk/store/internal/keychain"
)

// macSystem is a store in a macOS keychain (store/internal/keychain).
type macSystem struct {
	n Name
	k *keychain.Store
}

var _ System = (*macSystem)(nil)

// openSystem opens the login (user) or System (machine) keychain's My, Root or CA.
func openSystem(c Context, n Name) (System, error) {
	k, err := keychain.Open(string(c), string(n))
	if err != nil {
		return nil, err
	}
	return &macSystem{n: n, k: k}, nil
}

func (m *macSystem) List(ctx context.Context) ([]Entry, error) {
	certs, err := m.k.List(ctx)
	if err != nil {
		return nil, nativeErr(err)
	}
	native := make([]nativeCert, len(certs))
	for i, c := range certs {
		native[i] = nativeCert{der: c.DER, hasKey: c.Identity}
	}
	return nativeEntries(m.n, native), nil
}

func (m *macSystem) Add(ctx context.Context, cert *x509.Certificate) error {
	return nativeErr(m.k.Add(ctx, cert.Raw))
}

func (m *macSystem) Delete(ctx context.Context, thumbprint string) error {
	return nativeErr(m.k.Delete(ctx, thumbprint))
}

func (m *macSystem) ImportPFX(ctx context.Context, data []byte, password string) error {
	pfx, pw, err := oneTimePFX(data, password)
	if err != nil {
		return err
	}
	return nativeErr(m.k.ImportPFX(ctx, pfx, pw))
}

func (m *macSystem) Close() error { return nil }
