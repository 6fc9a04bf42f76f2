package store

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

// thumbs returns the thumbprints a native store lists, and which have keys.
func thumbs(t *testing.T, s System) (all, keyed []string) {
	t.Helper()
	es, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		all = append(all, e.Thumbprint)
		if e.HasKey {
			keyed = append(keyed, e.Thumbprint)
		}
	}
	return all, keyed
}

// TestWindowsSystemRoundTrip adds, lists, imports and deletes in the
// CurrentUser system stores through crypt32, the same calls certmgr.msc
// makes. It changes the running user's stores and removes what it added,
// so it runs only when CERTDESK_NATIVE_TEST=1 asks for it (scripts/wine.sh
// sets it inside a throwaway Wine prefix). CurrentUser\Root is left out:
// on Windows adding to it shows a security prompt.
func TestWindowsSystemRoundTrip(t *testing.T) {
	if os.Getenv("CERTDESK_NATIVE_TEST") != "1" {
		t.Skip("changes the user's Windows certificate stores; set CERTDESK_NATIVE_TEST=1")
	}
	ctx := context.Background()
	p := newPKI(t)
	// RSA: Wine's crypt32 imports no other PFX key (Windows takes ECDSA too).
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leaf := issue(t, &x509.Certificate{Subject: pkixName("native-roundtrip.test"), DNSNames: []string{"native-roundtrip.test"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, p.inter, key.Public(), p.interKey)
	interT, leafT := Thumbprint(p.inter.Raw), Thumbprint(leaf.Raw)

	ca, err := OpenSystem(User, CA)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	if err := ca.Add(ctx, p.inter); err != nil {
		t.Fatal(err)
	}
	if err := ca.Add(ctx, p.inter); err != nil {
		t.Fatalf("adding again: %v", err)
	}
	if all, _ := thumbs(t, ca); !slices.Contains(all, interT) {
		t.Fatalf("CA lists %v, not %s", all, interT)
	}
	if err := ca.Delete(ctx, interT); err != nil {
		t.Fatal(err)
	}
	if all, _ := thumbs(t, ca); slices.Contains(all, interT) {
		t.Fatal("still listed after Delete")
	}
	if err := ca.Delete(ctx, interT); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting again: %v, want ErrNotFound", err)
	}

	my, err := OpenSystem(User, My)
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	pfx, err := pkcs12.LegacyDES.Encode(key, leaf, []*x509.Certificate{p.inter, p.root}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := my.ImportPFX(ctx, pfx, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("ImportPFX with a wrong password: %v, want ErrWrongPassword", err)
	}
	if all, _ := thumbs(t, my); slices.Contains(all, leafT) {
		t.Fatal("a failed import left the certificate")
	}
	if err := my.ImportPFX(ctx, pfx, "pw"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		my.Delete(ctx, leafT)
		if ca, err := OpenSystem(User, CA); err == nil {
			ca.Delete(ctx, interT)
			ca.Close()
		}
	})
	if _, keyed := thumbs(t, my); !slices.Contains(keyed, leafT) {
		t.Fatalf("My lists %v with keys, not %s", keyed, leafT)
	}
	// As the import wizard: the intermediate into CA, the root nowhere.
	// (A store handle does not see what another handle added: reopen.)
	ca2, err := OpenSystem(User, CA)
	if err != nil {
		t.Fatal(err)
	}
	defer ca2.Close()
	if all, _ := thumbs(t, ca2); !slices.Contains(all, interT) {
		t.Fatalf("the intermediate did not go to CA: %v", all)
	}
	if all, _ := thumbs(t, my); slices.Contains(all, Thumbprint(p.root.Raw)) || slices.Contains(all, interT) {
		t.Fatalf("My holds chain certificates: %v", all)
	}
	// Delete through another handle than the import's (as a later run
	// does); what it deleted is gone for the next (certmgr.msc) too.
	del, err := OpenSystem(User, My)
	if err != nil {
		t.Fatal(err)
	}
	defer del.Close()
	if err := del.Delete(ctx, leafT); err != nil {
		t.Fatal(err)
	}
	if all, _ := thumbs(t, del); slices.Contains(all, leafT) {
		t.Fatal("still in My after Delete")
	}
	my2, err := OpenSystem(User, My)
	if err != nil {
		t.Fatal(err)
	}
	defer my2.Close()
	if all, _ := thumbs(t, my2); slices.Contains(all, leafT) {
		t.Fatal("a new handle still lists it after Delete")
	}
}
