package cli

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
)

// stepCA starts step-ca (STEPCA names the binary, scripts/stepca.sh
// builds it) with a ca.json this test writes: an RSA root and
// intermediate (step-ca decrypts SCEP with the intermediate's key) and two
// SCEP provisioners, "challenge" (a static challenge) and "open" (none),
// served over HTTPS and plain HTTP. It returns the plain-HTTP base URL,
// the root's file and the intermediate. Without STEPCA the test is
// skipped, unless REQUIRE_STEPCA is set (scripts/test.sh, CI).
func stepCA(t *testing.T) (base, rootFile string, inter *x509.Certificate) {
	t.Helper()
	bin := os.Getenv("STEPCA")
	if bin == "" {
		if os.Getenv("REQUIRE_STEPCA") != "" {
			t.Fatal("REQUIRE_STEPCA is set but STEPCA names no step-ca binary (scripts/stepca.sh builds one)")
		}
		t.Skip("no step-ca: STEPCA=$(scripts/stepca.sh) runs this test")
	}
	dir := t.TempDir()
	root, rootKey := stepCert(t, "step Test Root", nil, nil)
	inter, interKey := stepCert(t, "step Test Intermediate", root, rootKey)
	write := func(name string, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootFile = write("root.crt", "CERTIFICATE", root.Raw)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(interKey)
	ports := freePorts(t, 2)
	cfg := map[string]any{
		"root": rootFile, "crt": write("intermediate.crt", "CERTIFICATE", inter.Raw), "key": write("intermediate.key", "PRIVATE KEY", keyDER),
		"address": ports[0], "insecureAddress": ports[1], "dnsNames": []string{"127.0.0.1", "localhost"},
		"logger": map[string]string{"format": "text"},
		"authority": map[string]any{"provisioners": []map[string]any{
			{"type": "SCEP", "name": "challenge", "challenge": "st3p-challenge", "minimumPublicKeyLength": 2048, "includeRoot": true},
			{"type": "SCEP", "name": "open", "minimumPublicKeyLength": 2048, "includeRoot": true},
		}},
		"tls": map[string]any{"minVersion": 1.2, "maxVersion": 1.3},
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	conf := filepath.Join(dir, "ca.json")
	if err := os.WriteFile(conf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "step-ca.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			t.Logf("step-ca log:\n%s", out)
		}
	})
	base = "http://" + ports[1]
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(base + "/scep/open?operation=GetCACaps")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("step-ca did not answer: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return base, rootFile, inter
}

func stepCert(t *testing.T, cn string, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

// freePorts returns n loopback addresses free a moment ago.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ln.Addr().String())
		defer ln.Close()
	}
	return out
}

// TestStepCA: step-ca, an independent SCEP server, over plain http with
// its CA pinned: enrollment with its challenge through the command line
// (a wrong one refused), and enrollment and renewal through a provisioner
// without one.
func TestStepCA(t *testing.T) {
	base, rootFile, inter := stepCA(t)
	setupRoot(t)
	sum := sha256.Sum256(inter.Raw)
	pin := strings.ToUpper(hex.EncodeToString(sum[:]))
	add := func(prov string) app.Server {
		code, out, errs := runCLIStdin(t, "", "server", "add", "-protocol", "scep", "-url", base+"/scep/"+prov,
			"-ca-fingerprint", pin, "-ca-file", rootFile, "-trust-ca", "-json")
		var s app.Server
		if code != exitOK || json.Unmarshal([]byte(out), &s) != nil {
			t.Fatalf("server add %s: %d %s %s", prov, code, out, errs)
		}
		return s
	}
	enroll := func(s app.Server, stdin string, args ...string) (int, app.EnrollResult, string) {
		code, out, errs := runCLIStdin(t, stdin, append([]string{"enroll", "-server", s.ID, "-subject", "CN=device1", "-dns", "device1.example.com", "-json"}, args...)...)
		var r app.EnrollResult
		_ = json.Unmarshal([]byte(out), &r)
		return code, r, errs
	}
	withChallenge := add("challenge")
	if code, _, errs := enroll(withChallenge, "wrong\n", "-challenge-stdin"); code != exitFail || !strings.Contains(errs, "refused") {
		t.Errorf("a wrong challenge: %d %s", code, errs)
	}
	if code, r, errs := enroll(withChallenge, "st3p-challenge\n", "-challenge-stdin"); code != exitOK || r.Status != app.StatusIssued {
		t.Fatalf("enroll with the challenge: %d %+v %s", code, r, errs)
	}
	open := add("open")
	code, r, errs := enroll(open, "")
	if code != exitOK || r.Status != app.StatusIssued {
		t.Fatalf("enroll: %d %+v %s", code, r, errs)
	}
	code, out, errs := runCLIStdin(t, "", "renew", r.Thumbprint, "-json")
	var o app.RenewalOutcome
	if code != exitOK || json.Unmarshal([]byte(out), &o) != nil || o.Outcome != app.OutcomeOK || o.NewThumbprint == "" {
		t.Fatalf("renew: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLIStdin(t, "", "store", "list", "-json")
	if code != exitOK || !strings.Contains(out, o.NewThumbprint) {
		t.Errorf("store list after renewal: %d %s", code, out)
	}
}
