package capi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"software.sslmate.com/src/go-pkcs12"
)

// keyExists reports whether the key k names can still be opened.
func keyExists(k keyRef) bool {
	container, _ := windows.UTF16PtrFromString(k.container)
	provider, _ := windows.UTF16PtrFromString(k.provider)
	if k.provType != 0 {
		var h windows.Handle
		flags := uint32(windows.CRYPT_SILENT)
		if k.machine {
			flags |= windows.CRYPT_MACHINE_KEYSET
		}
		if windows.CryptAcquireContext(&h, container, provider, k.provType, flags) != nil {
			return false
		}
		windows.CryptReleaseContext(h, 0)
		return true
	}
	var ksp, key uintptr
	if r, _, _ := procOpenKSP.Call(uintptr(unsafe.Pointer(&ksp)), uintptr(unsafe.Pointer(provider)), 0); r != 0 {
		return false
	}
	defer procFreeNObj.Call(ksp)
	if r, _, _ := procOpenKey.Call(ksp, uintptr(unsafe.Pointer(&key)), uintptr(unsafe.Pointer(container)), 0, 0); r != 0 {
		return false
	}
	procFreeNObj.Call(key)
	return true
}

// keyIn returns the key of the certificate with thumbprint t in s.
func keyIn(t *testing.T, s *Store, th string) (keyRef, bool) {
	t.Helper()
	var c *windows.CertContext
	var err error
	for {
		if c, err = windows.CertEnumCertificatesInStore(s.h, c); err != nil {
			return keyRef{}, false
		}
		if Thumbprint(unsafe.Slice(c.EncodedCert, c.Length)) == th {
			defer windows.CertFreeCertificateContext(c)
			return keyOf(c)
		}
	}
}

// TestKeysFollowCertificates: importing a PFX keeps one key, linked to its
// certificate; importing it again keeps the first and drops the second;
// deleting with the key leaves no key behind. It changes the running
// user's stores, so it runs only with CERTDESK_NATIVE_TEST=1 (scripts/wine.sh).
func TestKeysFollowCertificates(t *testing.T) {
	if os.Getenv("CERTDESK_NATIVE_TEST") != "1" {
		t.Skip("changes the user's Windows certificate stores; set CERTDESK_NATIVE_TEST=1")
	}
	rootDER, interDER, _ := chain(t)
	root, _ := x509.ParseCertificate(rootDER)
	inter, _ := x509.ParseCertificate(interDER)
	// RSA: Wine imports no other PFX key. Signed by a throwaway issuer:
	// only the leaf's key matters here.
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	issuerKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "keys.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pfx, err := pkcs12.LegacyDES.Encode(key, leaf, []*x509.Certificate{inter, root}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	th := Thumbprint(leaf.Raw)
	s, err := Open(CurrentUser, "MY")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Cleanup(func() {
		s.Delete(th, true)
		if ca, err := Open(CurrentUser, "CA"); err == nil {
			ca.Delete(Thumbprint(inter.Raw), false)
			ca.Close()
		}
	})

	added, err := s.ImportPFX(pfx, "pw", false)
	if err != nil || !slices.Equal(added, []string{th}) {
		t.Fatalf("ImportPFX = %v, %v", added, err)
	}
	first, ok := keyIn(t, s, th)
	if !ok || !keyExists(first) {
		t.Fatalf("no usable key after import: %+v", first)
	}
	again, err := s.ImportPFX(pfx, "pw", false)
	if err != nil || len(again) != 0 {
		t.Fatalf("second ImportPFX = %v, %v; want nothing added", again, err)
	}
	if k, ok := keyIn(t, s, th); !ok || k != first || !keyExists(first) {
		t.Fatalf("the second import replaced or broke the first key: %+v", k)
	}
	if err := s.Delete(th, true); err != nil {
		t.Fatal(err)
	}
	if keyExists(first) {
		t.Fatalf("key %s left after Delete with its key", first.container)
	}
}
