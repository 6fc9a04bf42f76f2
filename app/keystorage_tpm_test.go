package app

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/tpmkey/swtpmtest"
	"github.com/certdesk/certdesk/store"
)

// tpmTemplates are templates that demand the TPM provider and allow
// key-based renewal, with attestation preferred (privateKeyFlags 0x1000),
// which certdesk enrolls without: RSA 2048 and ECDSA P-256.
func tpmTemplates(c *testca.Config) {
	for i, ec := range []bool{false, true} {
		name, bits := "DeviceTPMRSA", 2048
		if ec {
			name, bits = "DeviceTPMP256", 256
		}
		c.ExtraTemplates = append(c.ExtraTemplates, testca.Template{Name: name, OID: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 8, 4242, 1, 90 + i},
			Schema: 3, MajorRevision: 100, MinorRevision: 1, ECDSA: ec, MinKeyBits: bits, KeySpec: 2,
			PrivateKeyFlag: testca.PrivateKeyClientWin8 | testca.PrivateKeyServer2012 | 0x1000,
			SubjectFlags:   testca.SubjectRequireDirectoryDN | testca.SubjectRequireUPN, EnrollFlags: testca.EnrollAllowKBR,
			EKUs: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
			Providers: []string{"Microsoft Platform Crypto Provider"}})
	}
}

// newTPMEnv is an env whose keys are made in a fresh swtpm (its TCTI
// string is returned) and whose CA offers the TPM templates, registered
// with key-based renewal and no password saved: a renewal can only be
// key-based.
func newTPMEnv(t *testing.T) (*env, string) {
	t.Helper()
	tcti := swtpmtest.Start(t)
	t.Setenv("CERTDESK_TPM", tcti)
	e := newEnv(t, envOpt{ca: tpmTemplates})
	if _, err := e.core.AddServer(context.Background(), store.User, ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser,
		CAFile: e.ca.RootFile(), TrustCA: true, KBRURL: e.srv.KBRCEPURL()}); err != nil {
		t.Fatal(err)
	}
	return e, tcti
}

// TestTPMEnrollRenewDeploy enrolls UserTPM and the TPM templates with
// their keys made in a real TPM simulator (swtpm), renews them by
// key-based renewal through the certificate CEP and CES (TLS client
// authentication and the CMS signature made in the TPM), deploys one as
// a TSS2 key file that OpenSSL's tpm2 provider signs a CSR with, and
// finds no private key under the root: only the TPM-wrapped blobs.
func TestTPMEnrollRenewDeploy(t *testing.T) {
	e, tcti := newTPMEnv(t)
	ctx := context.Background()
	s, _ := e.core.Store(store.User)

	res := e.enroll(t, testca.TemplateUserTPM)
	if res.Status != StatusIssued || res.KeyStorage != store.KeyTPM {
		t.Fatalf("UserTPM: %+v", res)
	}
	got := wantTPMEntry(t, e, s, res.Thumbprint)
	if _, err := s.Export(ctx, store.My, res.Thumbprint, store.ExportOptions{Format: store.FormatPFX, Password: "pw"}); !errors.Is(err, store.ErrNotExportable) {
		t.Errorf("PFX export of a TPM key: %v", err)
	}
	if got.Certificate.PublicKeyAlgorithm != x509.RSA {
		t.Errorf("UserTPM key %v", got.Certificate.PublicKeyAlgorithm)
	}

	var renewed string
	for _, tmpl := range []string{"DeviceTPMRSA", "DeviceTPMP256"} {
		old := e.enroll(t, tmpl)
		oldEntry := wantTPMEntry(t, e, s, old.Thumbprint)
		o, err := e.core.Renew(ctx, store.User, old.Thumbprint)
		if err != nil || o.Outcome != OutcomeOK || o.Method != MethodKeyBased {
			t.Fatalf("%s renewal: %+v, %v", tmpl, o, err)
		}
		ne := wantTPMEntry(t, e, s, o.NewThumbprint)
		if ne.Meta.KeyRef == oldEntry.Meta.KeyRef || ne.Certificate.PublicKeyAlgorithm != oldEntry.Certificate.PublicKeyAlgorithm {
			t.Errorf("%s: the renewal did not make a new key of the same kind in the TPM", tmpl)
		}
		renewed = o.NewThumbprint
	}

	// The deploy hook writes the TSS2 key file, which OpenSSL's tpm2
	// provider uses in the same TPM: the CSR it signs verifies against
	// the certificate's public key.
	dir := t.TempDir()
	hook := Hook{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	if err := e.core.SetHook(ctx, store.User, renewed, hook); err != nil {
		t.Fatal(err)
	}
	if r, err := e.core.RunHook(ctx, store.User, renewed); err != nil || !r.OK {
		t.Fatalf("hook: %+v, %v", r, err)
	}
	keyPEM, _ := os.ReadFile(hook.KeyFile)
	blk, rest := pem.Decode(keyPEM)
	ne, _ := s.Get(ctx, store.My, renewed)
	if blk == nil || blk.Type != "TSS2 PRIVATE KEY" || len(bytes.TrimSpace(rest)) != 0 || base64.StdEncoding.EncodeToString(blk.Bytes) != ne.Meta.KeyRef {
		t.Fatalf("deployed key file:\n%s", keyPEM)
	}
	swtpmtest.OpenSSL(t, tcti, dir, "req", "-provider", "tpm2", "-provider", "default", "-new", "-key", "key.pem", "-subj", "/CN=deployed", "-out", "csr.pem")
	if out := swtpmtest.OpenSSL(t, tcti, dir, "req", "-in", "csr.pem", "-verify", "-noout"); !strings.Contains(string(out), "verify OK") {
		t.Errorf("openssl req -verify: %s", out)
	}
	csrPEM, _ := os.ReadFile(filepath.Join(dir, "csr.pem"))
	cb, _ := pem.Decode(csrPEM)
	csr, err := x509.ParseCertificateRequest(cb.Bytes)
	if err != nil || csr.CheckSignature() != nil || !csr.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(ne.Certificate.PublicKey) {
		t.Fatalf("the CSR OpenSSL signed with the deployed key: %v", err)
	}

	h, err := e.core.Health(ctx, store.User, HealthOptions{})
	if err != nil || len(h.Entries) != 3 {
		t.Fatalf("health: %+v, %v", h, err)
	}
	for _, ch := range h.Entries {
		if ch.KeyStorage != store.KeyTPM {
			t.Errorf("health of %s: keyStorage %q", ch.Thumbprint, ch.KeyStorage)
		}
	}

	wantNoPrivateKeyUnder(t, e.core.Location().Data)
}

// wantTPMEntry fails unless entry thumbprint of My keeps its key in the
// TPM: no key in the entry file, the keyRef a TPM key blob whose key is
// the certificate's and signs for it.
func wantTPMEntry(t *testing.T, e *env, s *store.Store, thumbprint string) store.Entry {
	t.Helper()
	ctx := context.Background()
	got, err := s.Get(ctx, store.My, thumbprint)
	if err != nil || !got.HasKey || got.KeyStorage != store.KeyTPM || !got.Meta.NonExportable || got.Meta.KeyRef == "" {
		t.Fatalf("entry %+v, %v", got, err)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir(), "stores", "My", thumbprint+".json")); err != nil || strings.Contains(string(b), `"key":`) {
		t.Errorf("the entry file holds a key (%v)", err)
	}
	pk, err := e.core.entrySigner(ctx, s, store.My, got)
	if err != nil {
		t.Fatal(err)
	}
	defer pk.close()
	if !pk.signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(got.Certificate.PublicKey) {
		t.Error("the TPM's key is not the certificate's")
	}
	return got
}

// wantNoPrivateKeyUnder fails if any file under root holds a PEM private
// key or a PKCS#8 or TSS2 key in DER: a TPM key is only ever a base64
// keyRef there.
func wantNoPrivateKeyUnder(t *testing.T, root string) {
	t.Helper()
	tss2OID := []byte{0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03} // 2.23.133.10.1.3, a loadable TPM key
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			return nil
		}
		if bytes.Contains(b, []byte("PRIVATE KEY")) || bytes.Contains(b, tss2OID) {
			t.Errorf("%s holds a private key", p)
		}
		return nil
	})
}

// TestTPMRefusedInOneSentence: a TPM address that is no TCTI string, or a
// TPM that does not answer, stops a TPM enrollment before the CA sees a
// request; attestation required is refused even with a TPM there.
func TestTPMRefusedInOneSentence(t *testing.T) {
	e, srv := newServerEnv(t)
	ctx := context.Background()
	tests := []struct{ tcti, template, want string }{
		{"tabrmd", testca.TemplateUserTPM, `template "UserTPM" requires the key to be kept in a TPM; the TPM address "tabrmd" is not a TCTI string (device:/dev/tpmrm0, swtpm:host=H,port=P or mssim:host=H,port=P): certdesk does not know the TCTI "tabrmd" (set CERTDESK_TPM or the tpm setting)`},
		{"swtpm:host=127.0.0.1,port=1", testca.TemplateUserTPM, `template "UserTPM" requires the key to be kept in a TPM; the TPM cannot be reached at swtpm:host=127.0.0.1,port=1 (connect: connection refused) (set CERTDESK_TPM or the tpm setting)`},
		{swtpmtest.Start(t), testca.TemplateUserAttested, "it requires key attestation by a TPM, which certdesk does not provide (not even for a key it keeps in a TPM)"},
	}
	for _, tt := range tests {
		t.Setenv("CERTDESK_TPM", tt.tcti)
		_, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: tt.template})
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v\nwant %s", tt.tcti, err, tt.want)
		}
	}
	if n := e.requestsAt(t); n != 0 {
		t.Errorf("the CA received %d requests", n)
	}
	if my := e.list(t, store.My); len(my) != 0 {
		t.Errorf("My holds %v", my)
	}
	s := e.core.Settings()
	s.TPM = "swtpm:host=a,port=99999"
	if err := e.core.SetSettings(s); err == nil || !strings.Contains(err.Error(), "not a port") {
		t.Errorf("tpm setting %q: %v", s.TPM, err)
	}
}

// TestTPMPendingRequest: a pending request's key waits in the TPM (the
// Request entry keeps only its blob) and is installed with the
// certificate once the CA approves.
func TestTPMPendingRequest(t *testing.T) {
	t.Setenv("CERTDESK_TPM", swtpmtest.Start(t))
	e, srv := newServerEnv(t)
	ctx := context.Background()
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplatePendAll, KeyStorage: store.KeyTPM})
	if err != nil || res.Status != StatusPending {
		t.Fatalf("enroll: %+v, %v", res, err)
	}
	s, _ := e.core.Store(store.User)
	req, err := s.Get(ctx, store.Request, res.Thumbprint)
	if err != nil || req.Meta.KeyStorage != store.KeyTPM || req.Meta.KeyRef == "" {
		t.Fatalf("pending entry %+v, %v", req.Meta, err)
	}
	if _, err := e.ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	out := e.statusOne(t, OutcomeOK)
	got := wantTPMEntry(t, e, s, out.Thumbprint)
	if got.Meta.KeyRef != req.Meta.KeyRef {
		t.Error("the installed certificate does not keep the pending request's TPM key")
	}
	wantNoPrivateKeyUnder(t, e.core.Location().Data)
}

// TestTPMTamperedKeyRef: a keyRef from a tampered store (another entry's
// TPM key, or no key blob at all) makes a deploy hook and a renewal fail
// in one sentence, writing no key file and asking the CA nothing, and
// never signs with a key that is not the certificate's.
func TestTPMTamperedKeyRef(t *testing.T) {
	e, _ := newTPMEnv(t)
	ctx := context.Background()
	s, _ := e.core.Store(store.User)
	a := e.enroll(t, "DeviceTPMP256")
	b := e.enroll(t, "DeviceTPMP256")
	other := wantTPMEntry(t, e, s, b.Thumbprint).Meta.KeyRef
	junk := base64.StdEncoding.EncodeToString([]byte("\x30\x03\x06\x01\x00"))
	dir := t.TempDir()
	hook := Hook{KeyFile: filepath.Join(dir, "key.pem")}
	if err := e.core.SetHook(ctx, store.User, a.Thumbprint, hook); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{other, "not base64!", junk, other[:len(other)/2]} {
		tx, err := s.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.UpdateMeta(ctx, store.My, a.Thumbprint, func(m *store.Meta) error { m.KeyRef = ref; return nil }); err != nil {
			t.Fatal(err)
		}
		tx.Unlock()
		_ = os.Remove(hook.KeyFile)
		before := e.requestsAt(t)
		r, err := e.core.RunHook(ctx, store.User, a.Thumbprint)
		if err != nil || r.OK || r.Error == "" || strings.Contains(r.Error, "\n") {
			t.Errorf("hook with keyRef %.20q…: %+v, %v; want one sentence", ref, r, err)
		}
		if ref == other && !strings.Contains(r.Error, "is not its certificate's key") {
			t.Errorf("hook with another entry's key: %s", r.Error)
		}
		if _, err := os.Lstat(hook.KeyFile); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("hook with keyRef %.20q… wrote %s", ref, hook.KeyFile)
		}
		o, err := e.core.Renew(ctx, store.User, a.Thumbprint)
		if err == nil && o.Outcome == OutcomeOK || o.Reason != "" && strings.Contains(o.Reason, "\n") {
			t.Errorf("renewal with keyRef %.20q…: %+v, %v", ref, o, err)
		}
		if n := e.requestsAt(t); n != before {
			t.Errorf("keyRef %.20q…: the CA received %d requests", ref, n-before)
		}
	}
}
