package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// TestPublishNativeWindows publishes an identity and a CA certificate to
// the CurrentUser system stores through the real crypt32 backend and
// takes them out again. It changes the running user's stores, so it runs
// only when CERTDESK_NATIVE_TEST=1 asks for it (scripts/wine.sh sets it in
// a throwaway Wine prefix).
func TestPublishNativeWindows(t *testing.T) {
	if os.Getenv("CERTDESK_NATIVE_TEST") != "1" {
		t.Skip("changes the user's Windows certificate stores; set CERTDESK_NATIVE_TEST=1")
	}
	c, err := New(Options{Location: store.LocationAt(tempDir(t)), SystemRoots: x509.NewCertPool()})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.Store(store.User); err != nil || s.SetProtection(context.Background(), store.ProtectFile) != nil {
		t.Fatal("no user context", err)
	}
	if !c.hasNative {
		t.Fatal("no native stores on Windows")
	}
	ctx := context.Background()
	p := newPubPKI(t, "native-windows.test")
	// RSA: Wine's crypt32 imports no other PFX key (Windows takes ECDSA too).
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(3),
		Subject: pkix.Name{CommonName: "native-windows.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(0, 1, 0),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, p.root, key.Public(), p.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	leafT := add(t, c, store.User, store.My, leaf, key)
	caT := add(t, c, store.User, store.CA, p.root, nil)

	listed := func(n store.Name, th string) (ok, hasKey bool) {
		t.Helper()
		es, err := c.NativeList(ctx, store.User, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Thumbprint == th {
				return true, e.HasKey
			}
		}
		return false, false
	}
	for _, x := range []struct {
		n  store.Name
		th string
	}{{store.My, leafT}, {store.CA, caT}} {
		pub, err := c.Publish(ctx, store.User, x.n, x.th, TargetSystem)
		if err != nil || !pub.Native {
			t.Fatalf("%s: Publish = %+v, %v", x.n, pub, err)
		}
		if ok, hasKey := listed(x.n, x.th); !ok || hasKey != (x.n == store.My) {
			t.Fatalf("%s: native store lists it %v, with key %v", x.n, ok, hasKey)
		}
	}
	for _, x := range []struct {
		n  store.Name
		th string
	}{{store.My, leafT}, {store.CA, caT}} {
		if err := c.Unpublish(ctx, store.User, x.n, x.th, TargetSystem); err != nil {
			t.Fatalf("%s: Unpublish: %v", x.n, err)
		}
		if ok, _ := listed(x.n, x.th); ok {
			t.Fatalf("%s: still in the native store", x.n)
		}
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}
}

// tempDir is t.TempDir removed file by file: Go's RemoveAll deletes
// through FILE_DISPOSITION_POSIX_SEMANTICS, which Wine 8 refuses
// ("Invalid function"), while DeleteFile and RemoveDirectory work there.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "certdesk-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		filepath.WalkDir(d, func(p string, _ fs.DirEntry, _ error) error { paths = append(paths, p); return nil })
		for i := len(paths) - 1; i >= 0; i-- {
			if err := os.Remove(paths[i]); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return d
}
