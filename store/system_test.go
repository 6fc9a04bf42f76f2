package store

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/certdesk/certdesk/store/internal/capi"
	"github.com/certdesk/certdesk/store/internal/keychain"
)

func TestOpenSystemUnsupported(t *testing.T) {
	tests := []struct {
		name string
		c    Context
		n    Name
	}{
		{"application context", Context("app:com.example"), My},
		{"unknown store", User, Name("Disallowed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenSystem(tt.c, tt.n)
			if err == nil {
				s.Close()
				t.Fatal("OpenSystem succeeded")
			}
			var op *OpError
			if !errors.Is(err, ErrUnsupported) || !errors.As(err, &op) || op.Op != "open" {
				t.Fatalf("OpenSystem = %v, want an *OpError wrapping ErrUnsupported", err)
			}
		})
	}
}

func TestNativeEntries(t *testing.T) {
	p := newPKI(t)
	leaf, _ := p.leaf(t, "alice.test")
	got := nativeEntries(My, []nativeCert{
		{der: leaf.Raw, hasKey: true, friendlyName: "Alice"},
		{der: []byte("garbage")},
		{der: p.root.Raw},
	})
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2 (garbage skipped)", len(got))
	}
	if e := got[0]; e.Thumbprint != Thumbprint(leaf.Raw) || !e.HasKey || e.Meta.FriendlyName != "Alice" || e.Store != My || e.SubjectCN != "alice.test" {
		t.Fatalf("leaf entry = %+v", e)
	}
	if e := got[1]; !e.SelfSigned || e.HasKey {
		t.Fatalf("root entry = %+v", e)
	}
}

func TestNativeErr(t *testing.T) {
	capiErr := &capi.Error{Op: "delete", Loc: capi.CurrentUser, Store: "MY", Err: capi.ErrNotFound}
	other := errors.New("keychain: security: The specified item could not be found in the keychain.")
	tests := []struct {
		name string
		in   error
		want error
	}{
		{"crypt32 not found", capiErr, ErrNotFound},
		{"crypt32 unsupported", &capi.Error{Op: "open", Err: capi.ErrUnsupported}, ErrUnsupported},
		{"crypt32 wrong PFX password", &capi.Error{Op: "import", Err: capi.ErrWrongPassword}, ErrWrongPassword},
		{"crypt32 bad data", &capi.Error{Op: "add", Err: capi.ErrBadData}, ErrMalformed},
		{"keychain not found", keychain.ErrNotFound, ErrNotFound},
		{"keychain My needs a key", keychain.ErrNeedsKey, ErrNoKey},
		{"other errors pass through", other, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nativeErr(tt.in)
			if !errors.Is(got, tt.want) || !errors.Is(got, tt.in) || got.Error() != tt.in.Error() {
				t.Fatalf("nativeErr(%v) = %v; want it to match %v and keep the message", tt.in, got, tt.want)
			}
		})
	}
	if nativeErr(nil) != nil {
		t.Fatal("nativeErr(nil) != nil")
	}
}

func TestOneTimePFX(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "alice.test")
	modern, err := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{p.inter}, "users' secret")
	if err != nil {
		t.Fatal(err)
	}
	pfx, pw, err := oneTimePFX(modern, "users' secret")
	if err != nil {
		t.Fatal(err)
	}
	if len(pw) != 32 || strings.Contains(string(pfx), "users' secret") {
		t.Fatalf("one-time password %q", pw)
	}
	b, err := ParsePFX(pfx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if b.Certs[0].Equal(leaf) == false || len(b.Certs) != 2 || !strings.Contains(b.PFXAlgorithms, "3DES") {
		t.Fatalf("re-encoded PFX: %d certs, %s", len(b.Certs), b.PFXAlgorithms)
	}
	if _, _, err := oneTimePFX(modern, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestPFXFailure: a native import failure without a reason is explained
// by certdesk's own parser (wrong password, damaged data); one with a
// reason, or about a PFX the parser accepts, stays as it was.
func TestPFXFailure(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "bob.test")
	pfx, err := pkcs12.LegacyDES.Encode(key, leaf, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	vague := errors.New("Windows store CurrentUser\\MY: import: invalid argument")
	denied := nativeErr(capi.ErrAccessDenied)
	tests := []struct {
		name     string
		err      error
		data     []byte
		password string
		want     error
	}{
		{"success", nil, pfx, "pw", nil},
		{"vague, wrong password", vague, pfx, "nope", ErrWrongPassword},
		{"vague, damaged", vague, pfx[:len(pfx)/2], "pw", ErrMalformed},
		{"vague, PFX fine", vague, pfx, "pw", vague},
		{"explained", denied, pfx, "nope", capi.ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pfxFailure(tt.err, tt.data, tt.password)
			if (tt.want == nil) != (got == nil) || (tt.want != nil && !errors.Is(got, tt.want)) {
				t.Fatalf("pfxFailure = %v, want %v", got, tt.want)
			}
		})
	}
}
