package app

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/pkcs11key"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
	"github.com/certdesk/certdesk/store"
)

func TestRequiredKeyStorage(t *testing.T) {
	tests := []struct {
		providers []string
		attest    bool
		want      string
	}{
		{nil, false, store.KeySoftware},
		{[]string{"Microsoft Enhanced Cryptographic Provider v1.0"}, false, store.KeySoftware},
		{[]string{"Microsoft Platform Crypto Provider"}, false, store.KeyTPM},
		{[]string{"Microsoft Base Smart Card Crypto Provider", "Microsoft Smart Card Key Storage Provider"}, false, store.KeyPKCS11},
		// any provider listed may be used: one software provider allows software
		{[]string{"Microsoft Smart Card Key Storage Provider", "Microsoft Software Key Storage Provider"}, false, store.KeySoftware},
		{[]string{"Microsoft Software Key Storage Provider"}, true, store.KeyTPM},
	}
	for _, tt := range tests {
		tm := &enroll.Template{CommonName: "T", CryptoProviders: tt.providers}
		tm.Flags.AttestationRequired = tt.attest
		if got := RequiredKeyStorage(tm); got != tt.want {
			t.Errorf("%q attest %v: %s, want %s", tt.providers, tt.attest, got, tt.want)
		}
	}
}

func TestChooseKeyStorageOnlyStronger(t *testing.T) {
	sw := &enroll.Template{CommonName: "User"}
	card := &enroll.Template{CommonName: "Card", CryptoProviders: []string{"Microsoft Smart Card Key Storage Provider"}}
	tests := []struct {
		t          *enroll.Template
		want, got  string
		refusedFor string
	}{
		{sw, "", store.KeySoftware, ""},
		{sw, store.KeyPKCS11, store.KeyPKCS11, ""},
		{sw, store.KeyTPM, store.KeyTPM, ""},
		{card, "", store.KeyPKCS11, ""},
		{card, store.KeySoftware, "", "may only ask for stronger storage"},
		{card, store.KeyTPM, "", "on a smart card or token"},
		{sw, "hsm", "", "unknown key storage"},
	}
	for _, tt := range tests {
		got, err := chooseKeyStorage(tt.t, tt.want)
		if got != tt.got || (tt.refusedFor == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.refusedFor) {
			t.Errorf("%s -key-storage %q: %q, %v", tt.t.CommonName, tt.want, got, err)
		}
	}
	if got := renewalStorage(sw, store.KeyPKCS11); got != store.KeyPKCS11 {
		t.Errorf("renewal of a token key for a software template: %s, want the token", got)
	}
	if got := renewalStorage(card, ""); got != store.KeyPKCS11 {
		t.Errorf("renewal of a software key for a smart-card template: %s", got)
	}
}

// requestsAt counts the requests testca received for issuance.
func (e *env) requestsAt(t *testing.T) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.caDir, "requests", "*.json"))
	return len(files)
}

// TestEnrollRefusedWhereTheKeyCannotLive: a template demanding a TPM or a
// smart card with none configured stops with one sentence before the CA
// sees a request, and nothing is stored.
func TestEnrollRefusedWhereTheKeyCannotLive(t *testing.T) {
	e, srv := newServerEnv(t)
	t.Setenv("CERTDESK_TPM", "device:/nonexistent/tpmrm0")
	t.Setenv("CERTDESK_PKCS11_MODULE", "")
	tests := []struct{ template, want string }{
		{testca.TemplateUserTPM, `template "UserTPM" requires the key to be kept in a TPM; the TPM cannot be reached at device:/nonexistent/tpmrm0 (no such file or directory) (set CERTDESK_TPM or the tpm setting)`},
		{testca.TemplateUserSmartCard, `template "UserSmartCard" requires the key to be kept on a smart card or token; no PKCS#11 module is configured (set CERTDESK_PKCS11_MODULE or the pkcs11Module setting)`},
	}
	if !pkcs11key.Available {
		tests[1].want = `template "UserSmartCard" requires the key to be kept on a smart card or token; ` + pkcs11key.ErrUnavailable.Error()
	}
	for _, tt := range tests {
		_, err := e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: srv.ID, Template: tt.template})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v\nwant %s", tt.template, err, tt.want)
		}
	}
	if _, err := e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: srv.ID,
		Template: testca.TemplateUserSmartCard, KeyStorage: store.KeySoftware}); err == nil || !strings.Contains(err.Error(), "only ask for stronger") {
		t.Errorf("-key-storage software for a smart-card template: %v", err)
	}
	if n := e.requestsAt(t); n != 0 {
		t.Errorf("the CA received %d requests", n)
	}
	if my := e.list(t, store.My); len(my) != 0 {
		t.Errorf("My holds %v", my)
	}
}

// TestEnrollNonExportable: the template's missing exportable flag follows
// the key into the entry, and export refuses the key in one sentence but
// gives the certificate.
func TestEnrollNonExportable(t *testing.T) {
	e, srv := newServerEnv(t)
	ctx := context.Background()
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserNoExport})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.core.Store(store.User)
	got, err := s.Get(ctx, store.My, res.Thumbprint)
	if err != nil || !got.Meta.NonExportable || got.KeyStorage != store.KeySoftware || res.KeyStorage != store.KeySoftware {
		t.Fatalf("entry %+v, %v", got, err)
	}
	if _, err := s.Export(ctx, store.My, res.Thumbprint, store.ExportOptions{Format: store.FormatPFX, Password: "pw"}); !errors.Is(err, store.ErrNotExportable) {
		t.Errorf("PFX export: %v", err)
	}
	if _, err := s.Export(ctx, store.My, res.Thumbprint, store.ExportOptions{Format: store.FormatDER}); err != nil {
		t.Errorf("certificate export: %v", err)
	}
	ex := e.enroll(t, testca.TemplateUser)
	if u, _ := s.Get(ctx, store.My, ex.Thumbprint); u.Meta.NonExportable {
		t.Error("the User template's key is exportable")
	}
}

// TestEnrollSmartCardOnSoftHSM enrolls UserSmartCard with the key made on
// a SoftHSM2 token: the key stays there (pkcs11-tool sees it sensitive and
// never extractable), the certificate is written beside it, the entry
// refers to it, and the key signs again for the entry. A wrong PIN stops
// before the CA sees anything and changes nothing.
func TestEnrollSmartCardOnSoftHSM(t *testing.T) {
	e, srv := newServerEnv(t)
	ctx := context.Background()
	softhsmtest.NewToken(t, "certdesk-card")
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", "certdesk-card")
	req := EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserSmartCard, PIN: "0000"}

	// The policy is cached on the first fetch: fetch it first, so the
	// tree compared below is the one an enrollment would change.
	if _, err := e.core.Policies(ctx, store.User, srv.ID, "", false); err != nil {
		t.Fatal(err)
	}
	before := hashTree(t, e.core.Location().Data)
	_, err := e.core.Enroll(ctx, req)
	if err == nil || err.Error() != `token "certdesk-card" refused the PIN; nothing was changed` {
		t.Fatalf("wrong PIN: %v", err)
	}
	if n := e.requestsAt(t); n != 0 || hashTree(t, e.core.Location().Data) != before {
		t.Fatalf("after a wrong PIN: %d requests at the CA, store changed %v", n, hashTree(t, e.core.Location().Data) != before)
	}
	if objs := softhsmtest.Objects(t, "certdesk-card"); len(objs) != 0 {
		t.Fatalf("after a wrong PIN the token holds %q", objs)
	}

	req.PIN = softhsmtest.PIN
	res, err := e.core.Enroll(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusIssued || res.KeyStorage != store.KeyPKCS11 {
		t.Fatalf("result %+v", res)
	}
	softhsmtest.CheckKeyStaysOnToken(t, "certdesk-card")
	s, _ := e.core.Store(store.User)
	got, err := s.Get(ctx, store.My, res.Thumbprint)
	if err != nil || !got.HasKey || got.KeyStorage != store.KeyPKCS11 || !strings.HasPrefix(got.Meta.KeyRef, "certdesk-card/") {
		t.Fatalf("entry %+v, %v", got, err)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir(), "stores", "My", res.Thumbprint+".json")); err != nil || strings.Contains(string(b), `"key":`) {
		t.Errorf("the entry file holds a key (%v)", err)
	}
	if _, err := s.Export(ctx, store.My, res.Thumbprint, store.ExportOptions{Format: store.FormatPFX, Password: "pw"}); !errors.Is(err, store.ErrNotExportable) {
		t.Errorf("PFX export of a token key: %v", err)
	}
	pk, err := e.core.entrySigner(WithTokenPIN(ctx, TokenPIN{PIN: softhsmtest.PIN}), s, store.My, got)
	if err != nil {
		t.Fatal(err)
	}
	defer pk.close()
	if !pk.signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(got.Certificate.PublicKey) {
		t.Error("the token's key is not the certificate's")
	}
	if _, err := e.core.entrySigner(ctx, s, store.My, got); err == nil || !strings.Contains(err.Error(), "needs the PIN") {
		t.Errorf("no PIN: %v", err)
	}
	if got.Certificate.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key %v, want the template's ECDSA", got.Certificate.PublicKeyAlgorithm)
	}
	// Renewal with no PIN given or saved fails in one sentence, before
	// the CA sees a request, and the certificate stays (pin_test.go has
	// the rest).
	n := e.requestsAt(t)
	if _, err := e.core.Renew(ctx, store.User, res.Thumbprint); err == nil || !strings.HasPrefix(err.Error(), "renewal of "+res.Thumbprint+` needs the PIN of token "certdesk-card"`) || e.requestsAt(t) != n {
		t.Errorf("renewal without a PIN: %v", err)
	}
	if my := e.list(t, store.My); len(my) != 1 || my[0] != res.Thumbprint {
		t.Errorf("My after the failed renewal: %v", my)
	}
}

// TestKeyStorageOptions: a software template offers software and the
// stronger places, each with checkKeyStorage's sentence when it is not
// there; a hardware template offers only its own place.
func TestKeyStorageOptions(t *testing.T) {
	e := newEnv(t, envOpt{})
	t.Setenv("CERTDESK_TPM", "device:/nonexistent/tpmrm0")
	t.Setenv("CERTDESK_PKCS11_MODULE", "")
	sw := &enroll.Template{CommonName: "User"}
	opts := e.core.KeyStorageOptions(sw)
	if len(opts) != 3 || opts[0].Storage != store.KeySoftware || !opts[0].Required || opts[0].Problem != nil {
		t.Fatalf("software template: %+v", opts)
	}
	if opts[1].Storage != store.KeyTPM || opts[1].Required || opts[1].Problem == nil ||
		!strings.HasPrefix(opts[1].Problem.Error(), `the key of template "User" cannot be kept in a TPM here; the TPM cannot be reached`) {
		t.Errorf("the TPM: %+v", opts[1])
	}
	if opts[2].Storage != store.KeyPKCS11 || opts[2].Problem == nil {
		t.Errorf("the token: %+v", opts[2])
	}
	card := &enroll.Template{CommonName: "Card", CryptoProviders: []string{"Microsoft Smart Card Key Storage Provider"}}
	opts = e.core.KeyStorageOptions(card)
	if len(opts) != 1 || opts[0].Storage != store.KeyPKCS11 || !opts[0].Required ||
		opts[0].Problem == nil || !strings.HasPrefix(opts[0].Problem.Error(), `template "Card" requires the key to be kept on a smart card or token;`) {
		t.Errorf("smart-card template: %+v", opts)
	}
}
