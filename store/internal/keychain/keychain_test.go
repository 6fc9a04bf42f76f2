package keychain

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Thumbprints of the certificates in testdata/find-certificate.txt, a
// recording of "security find-certificate -a -Z -p" on a keychain holding a
// trusted root, an intermediate, two identities (one expired) with the same
// subject, and an untrusted self-signed certificate.
const (
	root  = "D615A848D2A211B4A99CA101F67681A3C06B11F9"
	inter = "45C79D6655C839FED6CD00D58C8B9ED09D46A536"
	leaf  = "121890BFD5F7E6714964274BF3234FBE0B0E50FD"
	old   = "29C82D8BAE1832F36E57FABEC2C3BF6519015061"
	other = "ACE8EEBD8C88F066637F5FB1D2F476B10ED07FAC"
)

// fake replays the recorded output of security(1) and records the calls.
type fake struct {
	t     *testing.T
	calls []string
}

func (f *fake) run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, strings.Join(args, " "))
	read := func(p string) []byte {
		b, err := os.ReadFile("testdata/" + p)
		if err != nil {
			f.t.Fatal(err)
		}
		return b
	}
	switch args[0] {
	case "find-certificate":
		return read("find-certificate.txt"), nil
	case "find-identity":
		return read("find-identity.txt"), nil
	case "trust-settings-export":
		return nil, os.WriteFile(args[len(args)-1], read("trust-settings.plist"), 0o600)
	}
	return nil, nil
}

func newStore(t *testing.T, name string, admin bool) (*Store, *fake) {
	f := &fake{t: t}
	return &Store{Keychain: "/k.keychain", Admin: admin, Name: name, Tool: "/usr/bin/security", Run: f.run}, f
}

func TestList(t *testing.T) {
	tests := []struct {
		store string
		want  []string
	}{
		{"My", []string{leaf, old}},
		{"Root", []string{root}},
		{"CA", []string{inter, other}},
	}
	for _, tt := range tests {
		t.Run(tt.store, func(t *testing.T) {
			s, _ := newStore(t, tt.store, false)
			certs, err := s.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range certs {
				got = append(got, c.Thumbprint)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("List(%s) = %q, want %q", tt.store, got, tt.want)
			}
		})
	}
}

func TestParseFindIdentity(t *testing.T) {
	tests := []struct {
		name, out string
		want      map[string]bool
	}{
		{"none", "Policy: X.509 Basic\n  Matching identities\n     0 identities found\n\n  Valid identities only\n     0 valid identities found\n", map[string]bool{}},
		{"valid, invalid and lower case", "  1) " + leaf + " \"alice\"\n  2) " + strings.ToLower(old) + " \"alice\" (CSSMERR_TP_CERT_EXPIRED)\n  3) 1234 \"short\"\n",
			map[string]bool{leaf: true, old: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseFindIdentity([]byte(tt.out)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseFindIdentity = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseFindCertificate(t *testing.T) {
	b, _ := os.ReadFile("testdata/find-certificate.txt")
	// A duplicate and a damaged block are skipped.
	b = append(b, b[:len(b)/5]...)
	b = append(b, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"...)
	var got []string
	for _, c := range parseFindCertificate(b) {
		got = append(got, c.Thumbprint)
	}
	if want := []string{root, inter, leaf, old, other}; !reflect.DeepEqual(got, want) {
		t.Fatalf("parseFindCertificate = %q, want %q", got, want)
	}
}

func TestCommands(t *testing.T) {
	der := func() []byte {
		s, _ := newStore(t, "Root", false)
		certs, _ := s.List(context.Background())
		return certs[0].DER
	}()
	tests := []struct {
		name  string
		store string
		admin bool
		do    func(*Store) error
		want  []string // the calls after any listing calls, with temp paths as FILE
	}{
		{"trust a root for the user", "Root", false, func(s *Store) error { return s.Add(context.Background(), der) },
			[]string{"add-trusted-cert -r trustRoot -k /k.keychain FILE"}},
		{"trust a root for the machine", "Root", true, func(s *Store) error { return s.Add(context.Background(), der) },
			[]string{"add-trusted-cert -d -r trustRoot -k /k.keychain FILE"}},
		{"add an intermediate", "CA", false, func(s *Store) error { return s.Add(context.Background(), der) },
			[]string{"add-certificates -k /k.keychain FILE"}},
		{"remove a root and its trust", "Root", true, func(s *Store) error { return s.Delete(context.Background(), strings.ToLower(root)) },
			[]string{"remove-trusted-cert -d FILE", "delete-certificate -Z " + root + " /k.keychain"}},
		{"remove an identity with its key", "My", false, func(s *Store) error { return s.Delete(context.Background(), old) },
			[]string{"delete-identity -Z " + old + " /k.keychain"}},
		{"import a PFX", "My", false, func(s *Store) error { return s.ImportPFX(context.Background(), []byte("pfx"), "one-time") },
			[]string{"import FILE -k /k.keychain -f pkcs12 -P one-time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f := newStore(t, tt.store, tt.admin)
			if err := tt.do(s); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range f.calls {
				switch strings.Fields(c)[0] {
				case "find-certificate", "find-identity", "trust-settings-export":
					continue
				}
				var fields []string
				for _, w := range strings.Fields(c) {
					if strings.HasPrefix(w, os.TempDir()) {
						w = "FILE"
					}
					fields = append(fields, w)
				}
				got = append(got, strings.Join(fields, " "))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("calls = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	my, _ := newStore(t, "My", false)
	ca, _ := newStore(t, "CA", false)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"My needs a key", my.Add(ctx, mustDER(t)), ErrNeedsKey},
		{"PFX only into My", ca.ImportPFX(ctx, []byte("x"), "pw"), ErrUnsupported},
		{"unknown thumbprint", ca.Delete(ctx, strings.Repeat("0", 40)), ErrNotFound},
		{"no Request store", func() error { _, err := Open("user", "Request"); return err }(), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Fatalf("err = %v, want %v", tt.err, tt.want)
			}
		})
	}
	if err := ca.Add(ctx, []byte("<html>")); err == nil {
		t.Fatal("Add accepted garbage")
	}
}

func mustDER(t *testing.T) []byte {
	b, _ := os.ReadFile("testdata/find-certificate.txt")
	return parseFindCertificate(b)[0].DER
}
