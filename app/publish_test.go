package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/systrust"
	"github.com/certdesk/certdesk/store"
)

// pubPKI is a fresh root and a leaf it issued, with the leaf's key.
type pubPKI struct {
	root, leaf *x509.Certificate
	key        *ecdsa.PrivateKey
	rootKey    *ecdsa.PrivateKey
}

func newPubPKI(t *testing.T, cn string) pubPKI {
	t.Helper()
	rk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	lk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn + " Root"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, rt, rt, rk.Public(), rk)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(der)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		NotBefore:   now.Add(-time.Hour), NotAfter: now.AddDate(0, 3, 0)}
	der, err = x509.CreateCertificate(rand.Reader, lt, root, lk.Public(), rk)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return pubPKI{root: root, leaf: leaf, key: lk, rootKey: rk}
}

// pubCore is a core over a temporary location whose user context
// protects keys by file permissions (no keyring needed) and whose browser
// databases are dirs.
func pubCore(t *testing.T, dirs ...string) *Core {
	t.Helper()
	c, err := New(Options{Location: store.LocationAt(t.TempDir()), SystemRoots: x509.NewCertPool(),
		BrowserDBs: func() ([]string, error) { return dirs, nil }})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Store(store.User)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetProtection(context.Background(), store.ProtectFile); err != nil {
		t.Fatal(err)
	}
	return c
}

// add puts cert (and key) into store n of cx and returns its thumbprint.
func add(t *testing.T, c *Core, cx store.Context, n store.Name, cert *x509.Certificate, key any) string {
	t.Helper()
	s, err := c.Store(cx)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := s.Add(context.Background(), n, cert, key, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return e.Thumbprint
}

// TestPublishRejects: wrong combinations of context, store, target and
// entry fail with one sentence before any tool runs or any file changes.
func TestPublishRejects(t *testing.T) {
	ran := 0
	c := pubCore(t, t.TempDir())
	c.sysTrust = &systrust.System{Anchors: &systrust.Anchors{Name: "test", Dir: t.TempDir(), Ext: ".crt", Update: []string{"true"}},
		Run: func(context.Context, string, ...string) ([]byte, error) { ran++; return nil, nil }}
	p := newPubPKI(t, "reject.test")
	root := add(t, c, store.User, store.Root, p.root, nil)
	leafNoKey := add(t, c, store.User, store.My, p.leaf, nil)
	mroot := add(t, c, store.Machine, store.Root, p.root, nil)
	tests := []struct {
		name   string
		cx     store.Context
		n      store.Name
		thumb  string
		target Target
		euid   int
		want   string
		// unpublishOK: Unpublish has nothing to undo rather than failing.
		unpublishOK bool
	}{
		{"system from user context", store.User, store.Root, root, TargetSystem, 0, "machine context", false},
		{"system from machine My", store.Machine, store.My, mroot, TargetSystem, 0, "Root and CA stores", false},
		{"browsers from machine", store.Machine, store.Root, mroot, TargetBrowsers, 0, "user context", false},
		{"browsers from CA", store.User, store.CA, root, TargetBrowsers, 0, "Root and My stores", false},
		{"unknown target", store.User, store.Root, root, "desktop", 0, "unknown target", false},
		{"not found", store.User, store.Root, strings.Repeat("AB", 20), TargetBrowsers, 0, "no such entry", false},
		{"bad thumbprint", store.User, store.Root, "xyz", TargetBrowsers, 0, "thumbprint", false},
		{"identity without key", store.User, store.My, leafNoKey, TargetBrowsers, 0, "no private key", true},
		{"system as a user", store.Machine, store.Root, mroot, TargetSystem, 1000, "needs root", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.euid = func() int { return tt.euid }
			_, err := c.Publish(context.Background(), tt.cx, tt.n, tt.thumb, tt.target)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish: %v, want an error containing %q", err, tt.want)
			}
			uerr := c.Unpublish(context.Background(), tt.cx, tt.n, tt.thumb, tt.target)
			switch {
			case tt.unpublishOK && uerr != nil:
				t.Fatalf("Unpublish: %v, want nothing to undo", uerr)
			case !tt.unpublishOK && (uerr == nil || uerr.Error() != err.Error()):
				t.Fatalf("Unpublish: %v, want %v", uerr, err)
			}
			if ran != 0 {
				t.Fatal("a tool ran")
			}
			for _, cx := range []store.Context{store.User, store.Machine} {
				if m, err := c.Published(cx); err != nil || len(m) != 0 {
					t.Fatalf("Published(%s) = %v, %v", cx, m, err)
				}
			}
		})
	}
}

// TestPublishErr: systrust's sentinels become one sentence each.
func TestPublishErr(t *testing.T) {
	tests := []struct {
		name string
		in   error
		want error
	}{
		{"unsupported", fmt.Errorf("%w: no known system trust store", systrust.ErrUnsupported), ErrPublishUnsupported},
		{"permission", fmt.Errorf("systrust: writing the anchor: %w", fs.ErrPermission), ErrNeedsRoot},
		{"tool missing", fmt.Errorf("systrust: importing: pk12util: %w", &exec.Error{Name: "pk12util", Err: exec.ErrNotFound}), exec.ErrNotFound},
		{"other", errors.New("certutil: bad database"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := publishErr(tt.in)
			if tt.want == nil {
				if got != tt.in {
					t.Fatalf("got %v, want it unchanged", got)
				}
				return
			}
			if !errors.Is(got, tt.want) || strings.Contains(got.Error(), "\n") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPublishSystemFake records the anchor without root tools: Published
// says "system" after Publish and nothing after Unpublish.
func TestPublishSystemFake(t *testing.T) {
	var cmds []string
	c := pubCore(t)
	c.euid = func() int { return 0 }
	c.sysTrust = &systrust.System{Anchors: &systrust.Anchors{Name: "test", Dir: t.TempDir(), Ext: ".crt", Update: []string{"update-ca-certificates"}},
		Run: func(_ context.Context, name string, _ ...string) ([]byte, error) {
			cmds = append(cmds, name)
			return nil, nil
		}}
	p := newPubPKI(t, "fake.test")
	ctx := context.Background()
	for _, n := range []store.Name{store.Root, store.CA} {
		th := add(t, c, store.Machine, n, p.root, nil)
		pub, err := c.Publish(ctx, store.Machine, n, th, TargetSystem)
		if err != nil || !pub.System || pub.Store != n {
			t.Fatalf("%s: Publish = %+v, %v", n, pub, err)
		}
		if ok, _ := c.sysTrust.Trusted(p.root.Raw); !ok {
			t.Fatalf("%s: no anchor written", n)
		}
		if m, _ := c.Published(store.Machine); !m[th].System {
			t.Fatalf("%s: Published = %+v", n, m)
		}
		if err := c.Unpublish(ctx, store.Machine, n, th, TargetSystem); err != nil {
			t.Fatal(err)
		}
		if m, _ := c.Published(store.Machine); len(m) != 0 {
			t.Fatalf("%s: Published after Unpublish = %+v", n, m)
		}
	}
	if len(cmds) != 4 {
		t.Fatalf("update ran %d times, want 4: %q", len(cmds), cmds)
	}

	// Purged while published: Unpublish takes the certificate from the record.
	th := store.Thumbprint(p.root.Raw)
	if _, err := c.Publish(ctx, store.Machine, store.Root, th, TargetSystem); err != nil {
		t.Fatal(err)
	}
	s, _ := c.Store(store.Machine)
	if err := s.Purge(ctx, store.Root, th); err != nil {
		t.Fatal(err)
	}
	if err := c.Unpublish(ctx, store.Machine, store.Root, strings.ToLower(th), TargetSystem); err != nil {
		t.Fatalf("Unpublish after purge: %v", err)
	}
	if ok, _ := c.sysTrust.Trusted(p.root.Raw); ok {
		t.Fatal("anchor left after Unpublish of a purged certificate")
	}
	if m, _ := c.Published(store.Machine); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}
	if _, err := c.Publish(ctx, store.Machine, store.Root, th, TargetSystem); err == nil {
		t.Fatal("published a purged certificate")
	}
}
