package capi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"
)

// chain returns a root, an intermediate it issued and a leaf of the intermediate.
func chain(t *testing.T) (root, inter, leaf []byte) {
	t.Helper()
	mk := func(cn string, ca bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *x509.Certificate, *ecdsa.PrivateKey) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: ca, BasicConstraintsValid: true}
		if parent == nil {
			parent, parentKey = tmpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, k.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return der, c, k
	}
	root, rc, rk := mk("root", true, nil, nil)
	inter, ic, ik := mk("inter", true, rc, rk)
	leaf, _, _ = mk("leaf", false, ic, ik)
	return root, inter, leaf
}

func TestSystemName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"My", "MY"}, {"my", "MY"}, {"Root", "Root"}, {"CA", "CA"}, {"Request", "REQUEST"}, {"Disallowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SystemName(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("SystemName(%q) = %q, %v; want ErrUnsupported", tt.in, got, err)
				}
				return
			}
			if got != tt.want || err != nil {
				t.Fatalf("SystemName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLocationOf(t *testing.T) {
	tests := []struct {
		ctx  string
		want Location
		name string
	}{
		{"user", CurrentUser, "CurrentUser"}, {"machine", LocalMachine, "LocalMachine"}, {"app:com.example", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ctx, func(t *testing.T) {
			got, err := LocationOf(tt.ctx)
			if tt.want == 0 {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("LocationOf(%q) = %v, %v; want ErrUnsupported", tt.ctx, got, err)
				}
				return
			}
			if got != tt.want || err != nil || got.String() != tt.name {
				t.Fatalf("LocationOf(%q) = %v, %v; want %v", tt.ctx, got, err, tt.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	other := syscall.Errno(0x1234)
	tests := []struct {
		name string
		code uint32
		want error
	}{
		{"access denied (Win32)", 5, ErrAccessDenied},
		{"access denied (HRESULT)", 0x80070005, ErrAccessDenied},
		{"root prompt declined", 1223, ErrCancelled},
		{"root prompt declined (HRESULT)", 0x800704C7, ErrCancelled},
		{"wrong PFX password", 86, ErrWrongPassword},
		{"not found", 0x80092004, ErrNotFound},
		{"exists", 0x80092005, ErrExists},
		{"bad encoding", 0x80092002, ErrBadData},
		{"bad ASN.1 tag", 0x8009310B, ErrBadData},
		{"unknown code keeps the Windows error", 0x1234, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap("add", CurrentUser, "Root", tt.code, other)
			if !errors.Is(err, tt.want) {
				t.Fatalf("wrap(%#x) = %v, want %v", tt.code, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != "add" || e.Store != "Root" {
				t.Fatalf("wrap(%#x) = %#v, want an *Error for add Root", tt.code, err)
			}
		})
	}
	if got := (&Error{Op: "delete", Loc: LocalMachine, Store: "MY", Err: ErrNotFound}).Error(); got != `Windows store LocalMachine\MY: delete: no such certificate in the Windows store` {
		t.Fatalf("message = %q", got)
	}
	if wrap("add", CurrentUser, "MY", 0, nil) != nil {
		t.Fatal("wrap(nil) is not nil")
	}
}

func TestFilter(t *testing.T) {
	root, inter, leaf := chain(t)
	raw := []Cert{
		{DER: leaf, HasKey: true, FriendlyName: "mine"},
		{DER: inter, Archived: true},
		{DER: []byte("garbage")},
		{DER: leaf, HasKey: true},
		{DER: root},
	}
	tests := []struct {
		name string
		opt  ListOptions
		want []string
	}{
		{"current only, duplicates and garbage dropped", ListOptions{}, []string{Thumbprint(leaf), Thumbprint(root)}},
		{"with archived", ListOptions{IncludeArchived: true}, []string{Thumbprint(leaf), Thumbprint(inter), Thumbprint(root)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range filter(raw, tt.opt) {
				got = append(got, c.Thumbprint)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("filter = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeThumbprint(t *testing.T) {
	const want = "0123456789ABCDEF0123456789ABCDEF01234567"
	for _, in := range []string{want, "01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67", "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67", "\u200e0123456789abcdef0123456789abcdef01234567"} {
		if got, err := NormalizeThumbprint(in); got != want || err != nil {
			t.Errorf("NormalizeThumbprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0123", "zz23456789ABCDEF0123456789ABCDEF01234567"} {
		if _, err := NormalizeThumbprint(in); err == nil {
			t.Errorf("NormalizeThumbprint(%q) accepted", in)
		}
	}
}

func TestOpenFlags(t *testing.T) {
	want := []uint32{0x00020000, 0x00028000}
	if got := openFlags(LocalMachine); !reflect.DeepEqual(got, want) {
		t.Fatalf("openFlags = %#x, want %#x", got, want)
	}
}

func TestPFXFlags(t *testing.T) {
	tests := []struct {
		name       string
		loc        Location
		exportable bool
		want       []uint32
	}{
		{"user", CurrentUser, false, []uint32{0x200 | 0x10 | 0x1000, 0x1000}},
		{"user exportable", CurrentUser, true, []uint32{0x200 | 0x10 | 0x1000 | 0x1, 0x1000 | 0x1}},
		{"machine", LocalMachine, false, []uint32{0x200 | 0x10 | 0x20, 0x20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pfxFlags(tt.loc, tt.exportable); !slices.Equal(got, tt.want) {
				t.Fatalf("pfxFlags = %#x, want %#x", got, tt.want)
			}
		})
	}
	// Only a refusal of the flags moves on to the next set; a wrong
	// password or bad data does not.
	for code, want := range map[uint32]bool{codeInvalidArg: true, 87: true, codeNone: true, codeInvalidPassword: false, codeBadData: false, codeAccessDenied: false} {
		if retryPFX(code) != want {
			t.Errorf("retryPFX(%#x) = %v", code, !want)
		}
	}
}

func TestPlacements(t *testing.T) {
	root, inter, leaf := chain(t)
	tests := []struct {
		name  string
		certs []pfxCert
		want  []string
	}{
		{"Windows: the key on the leaf", []pfxCert{{leaf, true}, {inter, false}, {root, false}}, []string{"MY", "CA", ""}},
		{"Wine: the key on the whole chain", []pfxCert{{leaf, true}, {inter, true}, {root, true}}, []string{"MY", "CA", ""}},
		{"a CA's own backup keeps its key", []pfxCert{{inter, true}, {root, false}}, []string{"MY", ""}},
		{"leaf without key is skipped", []pfxCert{{leaf, false}, {inter, false}}, []string{"", "CA"}},
		{"garbage is skipped", []pfxCert{{[]byte("x"), true}, {leaf, true}}, []string{"", "MY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := placements(tt.certs, "MY"); !slices.Equal(got, tt.want) {
				t.Fatalf("placements = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenOutsideWindows(t *testing.T) {
	s, err := Open(CurrentUser, "MY")
	if err == nil {
		s.Close()
		t.Skip("on Windows Open works")
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Open = %v, want ErrUnsupported", err)
	}
}
