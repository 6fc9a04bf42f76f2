package store

import (
	"context"
	"crypto/x509"

	"github.com/certdesk/certdesk/store/internal/capi"
)

// winSystem is a crypt32 system store (store/internal/capi).
type winSystem struct {
	n Name
	s *capi.Store
}

var _ System = (*winSystem)(nil)

// openSystem opens CurrentUser (user) or LocalMachine (machine) × MY, Root, CA, REQUEST.
func openSystem(c Context, n Name) (System, error) {
	loc, err := capi.LocationOf(string(c))
	if err != nil {
		return nil, err
	}
	name, err := capi.SystemName(string(n))
	if err != nil {
		return nil, err
	}
	s, err := capi.Open(loc, name)
	if err != nil {
		return nil, err
	}
	return &winSystem{n: n, s: s}, nil
}

func (w *winSystem) List(ctx context.Context) ([]Entry, error) {
	certs, err := w.s.List(capi.ListOptions{})
	if err != nil {
		return nil, nativeErr(err)
	}
	native := make([]nativeCert, len(certs))
	for i, c := range certs {
		native[i] = nativeCert{der: c.DER, hasKey: c.HasKey, friendlyName: c.FriendlyName}
	}
	return nativeEntries(w.n, native), nil
}

func (w *winSystem) Add(ctx context.Context, cert *x509.Certificate) error {
	return nativeErr(w.s.Add(cert.Raw))
}

// Delete removes a My certificate together with its CNG key, as the macOS
// keychain does; certdesk only deletes what it imported, so the key is
// its own copy.
func (w *winSystem) Delete(ctx context.Context, thumbprint string) error {
	return nativeErr(w.s.Delete(thumbprint, w.n == My))
}

// ImportPFX imports with a non-exportable key, as the Windows wizard does by default.
func (w *winSystem) ImportPFX(ctx context.Context, data []byte, password string) error {
	_, err := w.s.ImportPFX(data, password, false)
	return pfxFailure(nativeErr(err), data, password)
}

func (w *winSystem) Close() error { return w.s.Close() }
