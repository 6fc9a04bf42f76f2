package app

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// TestOfflineRequestSignedByOpenSSL is certreq -new / -accept against a CA
// that is not ours: OpenSSL signs the CSR with "openssl x509 -req".
func TestOfflineRequestSignedByOpenSSL(t *testing.T) {
	needKeyring(t)
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	ctx := context.Background()
	c := newCore(t, t.TempDir(), SystemClock{}, 0)
	csr, req, err := c.RequestNew(ctx, store.User, OfflineRequest{Subject: "CN=vpn.example,O=Example", DNSNames: []string{"vpn.example"}, Key: "p256"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	if err := os.WriteFile(path("req.csr"), csr, 0o600); err != nil {
		t.Fatal(err)
	}
	openssl := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("ca.key"),
		"-out", path("ca.pem"), "-subj", "/CN=OpenSSL Test CA", "-days", "30")
	openssl("x509", "-req", "-in", path("req.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
		"-out", path("issued.pem"), "-days", "30", "-copy_extensions", "copy")

	// A file that matches no pending key is refused and changes nothing.
	if _, err := c.RequestAccept(ctx, store.User, "ca.pem", mustRead(t, path("ca.pem"))); !errors.Is(err, ErrNoMatchingRequest) {
		t.Fatalf("accept of the CA certificate: %v", err)
	}
	e, err := c.RequestAccept(ctx, store.User, "issued.pem", mustRead(t, path("issued.pem")))
	if err != nil {
		t.Fatal(err)
	}
	if !e.HasKey || e.Subject != "CN=vpn.example,O=Example" || len(e.SANs) != 1 {
		t.Errorf("installed %+v", e)
	}
	s, _ := c.Store(store.User)
	if rs, _ := s.List(ctx, store.Request, store.ListOptions{}); len(rs) != 0 {
		t.Errorf("Request still holds %v", rs)
	}
	if _, err := s.Signer(ctx, store.My, e.Thumbprint); err != nil {
		t.Errorf("the key did not move with the certificate: %v", err)
	}
	if req.Thumbprint == e.Thumbprint {
		t.Error("the placeholder was installed instead of the issued certificate")
	}

	// The same as a DER P7B with the CA certificate (certreq's usual file).
	csr, _, err = c.RequestNew(ctx, store.User, OfflineRequest{Subject: "CN=wifi.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path("req2.csr"), csr, 0o600); err != nil {
		t.Fatal(err)
	}
	openssl("x509", "-req", "-in", path("req2.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
		"-out", path("issued2.pem"), "-days", "30")
	openssl("crl2pkcs7", "-nocrl", "-certfile", path("ca.pem"), "-certfile", path("issued2.pem"), "-outform", "DER", "-out", path("issued2.p7b"))
	e2, err := c.RequestAccept(ctx, store.User, "issued2.p7b", mustRead(t, path("issued2.p7b")))
	if err != nil || !e2.HasKey || e2.Subject != "CN=wifi.example" {
		t.Fatalf("accept P7B: %+v, %v", e2, err)
	}
	if roots, _ := s.List(ctx, store.Root, store.ListOptions{}); len(roots) != 0 {
		t.Errorf("the CA's self-signed root was trusted by accepting a response: %v", roots)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRequestNewRejects(t *testing.T) {
	c := newCore(t, t.TempDir(), SystemClock{}, 0)
	tests := []struct {
		name string
		r    OfflineRequest
		want string
	}{
		{"nothing", OfflineRequest{}, "needs a subject"},
		{"bad subject", OfflineRequest{Subject: "garbage"}, "subject"},
		{"bad dns", OfflineRequest{DNSNames: []string{"a b"}}, "not a DNS name"},
		{"bad key", OfflineRequest{Subject: "CN=x", Key: "dsa"}, "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := c.RequestNew(context.Background(), store.User, tt.r); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestMachinePasswordFile: the machine context keeps its password in a
// root-only file, not the keyring.
func TestMachinePasswordFile(t *testing.T) {
	c := newCore(t, t.TempDir(), SystemClock{}, time.Second)
	ctx := context.Background()
	srv, err := c.AddServer(ctx, store.Machine, ServerOptions{URL: "https://ca.example/CEP", Auth: AuthPassword, Username: "u", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Store(store.Machine)
	fi, err := os.Stat(filepath.Join(s.Dir(), credentialDir, srv.ID))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential file %v, %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(filepath.Join(s.Dir(), credentialDir, srv.ID))); di.Mode().Perm() != 0o700 {
		t.Errorf("credential dir mode %v", di.Mode().Perm())
	}
	if p, err := c.Password(ctx, store.Machine, srv); err != nil || p != "pw" {
		t.Errorf("password %q, %v", p, err)
	}
	if b, _ := os.ReadFile(filepath.Join(s.Dir(), ServersFile)); strings.Contains(string(b), "pw\"") {
		t.Errorf("servers.json holds the password: %s", b)
	}
}

func TestAddServerRejects(t *testing.T) {
	c := newCore(t, t.TempDir(), SystemClock{}, 0)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", ca+".key", "-out", ca, "-subj", "/CN=Some CA", "-days", "3").CombinedOutput(); err != nil {
		t.Skipf("openssl: %v %s", err, out)
	}
	tests := []struct {
		name string
		o    ServerOptions
		want string
	}{
		{"not a URL", ServerOptions{URL: "ca.example", Auth: AuthAnonymous}, "not an https URL"},
		{"password over http", ServerOptions{URL: "http://ca.example/CEP", Auth: AuthPassword, Username: "u"}, "plain http"},
		{"no username", ServerOptions{URL: "https://ca.example/CEP", Auth: AuthPassword}, "needs a username"},
		{"credentials in the URL", ServerOptions{URL: "https://u:secret@ca.example/CEP", Auth: AuthAnonymous}, "not in the URL"},
		{"unknown auth", ServerOptions{URL: "https://ca.example/CEP", Auth: "kerberos"}, "unknown authentication"},
		{"password for anonymous", ServerOptions{URL: "https://ca.example/CEP", Auth: AuthAnonymous, Password: "x"}, "takes no password"},
		{"CA not confirmed", ServerOptions{URL: "https://ca.example/CEP", Auth: AuthAnonymous, CAFile: ca}, "fingerprint"},
		{"CA file missing", ServerOptions{URL: "https://ca.example/CEP", Auth: AuthAnonymous, CAFile: ca + ".nope", TrustCA: true}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AddServer(context.Background(), store.User, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("err = %v, want %q (and no secret)", err, tt.want)
			}
			if list, _ := c.Servers(store.User); len(list) != 0 {
				t.Errorf("servers %v after a refused add", list)
			}
		})
	}
}

func TestSharedUserCertificates(t *testing.T) {
	needKeyring(t)
	ctx := context.Background()
	c := newCore(t, t.TempDir(), SystemClock{}, 0)
	if _, _, err := c.RequestNew(ctx, store.User, OfflineRequest{Subject: "CN=u"}); err != nil {
		t.Fatal(err)
	}
	// A Request entry is not a personal certificate: put one into My.
	us, _ := c.Store(store.User)
	rs, _ := us.List(ctx, store.Request, store.ListOptions{})
	full, _ := us.Get(ctx, store.Request, rs[0].Thumbprint)
	if _, _, err := us.Add(ctx, store.My, full.Certificate, nil, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	app, _ := store.AppContext("org.example.vpn")
	items, err := c.List(ctx, app, store.My, store.ListOptions{})
	if err != nil || len(items) != 0 {
		t.Fatalf("before sharing: %v, %v", items, err)
	}
	if err := c.SetSharedUserCertificates(app, true); err != nil {
		t.Fatal(err)
	}
	items, err = c.List(ctx, app, store.My, store.ListOptions{})
	if err != nil || len(items) != 1 || !items[0].Shared {
		t.Fatalf("after sharing: %+v, %v", items, err)
	}
	if err := c.SetSharedUserCertificates(store.User, true); err == nil {
		t.Error("the user context cannot share with itself")
	}
	if cxs, err := c.Contexts(); err != nil || len(cxs) != 3 || cxs[2] != app {
		t.Errorf("contexts %v, %v", cxs, err)
	}
}
