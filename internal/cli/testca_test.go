package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
)

// syncBuffer is a bytes.Buffer safe for the serving goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCA runs the CLI with results in the order the testca tests read them.
func runCA(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	stdout, stderr, code = runCLI(t, args...)
	return code, stdout, stderr
}

func TestCAUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no subcommand", []string{"testca"}, exitUsage},
		{"unknown subcommand", []string{"testca", "frobnicate"}, exitUsage},
		{"approve without id", []string{"testca", "approve", "-dir", "x"}, exitUsage},
		{"bad user flag", []string{"testca", "serve", "-user", "nopassword"}, exitUsage},
		{"bad validity", []string{"testca", "serve", "-validity", "soon"}, exitUsage},
		{"no CAs", []string{"testca", "serve", "-cas", "0"}, exitUsage},
		{"CA fault without a second CA", []string{"testca", "serve", "-ca-fault", "unreachable"}, exitUsage},
		{"unknown CA fault", []string{"testca", "serve", "-cas", "2", "-ca-fault", "slow"}, exitUsage},
		{"resign missing flags", []string{"testca", "resign", "-dir", "x", "in", "out"}, exitUsage},
		{"approve in missing CA", []string{"testca", "approve", "-dir", "/nonexistent/testca", "1"}, exitFail},
		{"help", []string{"testca", "serve", "-h"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCA(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d (%s)", code, tt.want, stderr)
			}
			if code == exitFail && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}

func TestCAApproveDenyResign(t *testing.T) {
	dir := t.TempDir()
	ca, err := testca.New(testca.Config{Dir: dir, Pending: true})
	if err != nil {
		t.Fatal(err)
	}
	// Two pending requests, created through the API as a client would.
	ids := pendTwo(t, ca)
	if code, out, stderr := runCA(t, "testca", "pending", "-dir", dir); code != exitOK || strings.Count(out, "\n") != 2 {
		t.Fatalf("pending: %d %q %s", code, out, stderr)
	}
	if code, out, stderr := runCA(t, "testca", "approve", "-dir", dir, ids[0]); code != exitOK || !strings.Contains(out, "issued") {
		t.Fatalf("approve: %d %q %s", code, out, stderr)
	}
	if code, _, stderr := runCA(t, "testca", "approve", "-dir", dir, ids[0]); code != exitFail || !strings.Contains(stderr, "not pending") {
		t.Errorf("approve twice: %d %s", code, stderr)
	}
	if code, _, stderr := runCA(t, "testca", "deny", "-dir", dir, ids[1], "-reason", "not today"); code != exitOK {
		t.Fatalf("deny: %d %s", code, stderr)
	}
	r, err := ca.Get(ids[1])
	if err != nil || r.Status != testca.StatusDenied || r.Reason != "not today" {
		t.Errorf("denied request: %+v %v", r, err)
	}

	issued, err := ca.Get(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.pem")
	out := filepath.Join(dir, "out.pem")
	if err := os.WriteFile(in, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: issued.Cert}), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCA(t, "testca", "resign", "-dir", dir, "-not-before", "2030-01-01T00:00:00Z", "-validity", "2d", in, out); code != exitOK {
		t.Fatalf("resign: %d %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2030, 1, 3, 0, 0, 0, 0, time.UTC); !cert.NotAfter.Equal(want) {
		t.Errorf("NotAfter %s, want %s", cert.NotAfter, want)
	}
	if err := cert.CheckSignatureFrom(ca.Issuing()); err != nil {
		t.Errorf("re-signed certificate: %v", err)
	}
}

func TestCAServe(t *testing.T) {
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run([]string{"testca", "serve", "-dir", dir, "-kbr", "-user", "bob@example.test:pw", "-cas", "3", "-ca-fault", "unreachable"}, strings.NewReader(""), &out, &errb, nil)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "serving") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP", "KeyBasedRenewal_ADPolicyProvider_CEP_Certificate",
		"_CES_Certificate/service.svc/CES", filepath.Join(dir, "root.pem"), "bob@example.test",
		"/certdesk-Test-CA-2_CES_UsernamePassword/service.svc/CES", "/certdesk-Test-CA-3_CES_UsernamePassword/service.svc/CES"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := p.Signal(os.Interrupt); err != nil {
		t.Skipf("cannot interrupt ourselves here: %v", err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on interrupt")
	}
}

// pendTwo submits two requests to a CA that pends everything.
func pendTwo(t *testing.T, ca *testca.CA) []string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	name, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagBMPString, Bytes: []byte{0, 'U', 0, 's', 0, 'e', 0, 'r'}})
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2}, Value: name}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		r, err := ca.Submit(csr, testca.DefaultUser)
		if err != nil || r.Status != testca.StatusPending {
			t.Fatalf("submit: %+v %v", r, err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}
