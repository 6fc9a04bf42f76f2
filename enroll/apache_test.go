package enroll_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestApacheRenegotiation runs key-based renewal through Apache httpd
// (mod_ssl, mod_proxy, mod_headers) in front of testca's certificate
// endpoints. Apache, like IIS, asks for the client certificate only after
// reading the request (SSLVerifyClient require inside a <LocationMatch>):
// by TLS 1.2 renegotiation, or under TLS 1.3 by post-handshake
// authentication, which Go's TLS client does not offer. Go's own TLS
// server never renegotiates, so only a real server like this one proves
// CapForClientCertificate (issue #16). Apache verifies the certificate and
// passes it to testca (Config.BehindProxy) over loopback HTTP.
//
// The test needs /usr/sbin/apache2 and its modules (Debian's apache2-bin,
// which scripts/setup-debian.sh installs); it skips without them unless
// REQUIRE_APACHE is set, as in scripts/test.sh.
func TestApacheRenegotiation(t *testing.T) {
	bin := apacheBinary(t)
	dir, caDir := t.TempDir(), t.TempDir()
	// One CA (state directory) served twice: directly over HTTPS, and over
	// HTTP behind Apache.
	var srv [2]*testca.Server
	var ca *testca.CA
	for i, proxied := range []bool{false, true} {
		var err error
		if ca, err = testca.New(testca.Config{Dir: caDir, KBR: true, BehindProxy: proxied}); err != nil {
			t.Fatal(err)
		}
		if srv[i], err = ca.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv[i].Close() })
	}
	direct, backend := srv[0], srv[1]
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	cesPath := strings.TrimPrefix(direct.CESCertURL(), direct.URL())

	// The first certificate comes from the username/password CEP/CES pair,
	// as in an AD CS deployment; so does Apache's server certificate.
	ctx := context.Background()
	c := passwordClient(roots)
	old, oldKey := firstKBR(t, ca, c, direct.CEPURL())
	web, uris := request(t, c, direct.CEPURL(), testca.TemplateWebServer)
	web.Subject, web.IPAddresses = "CN=127.0.0.1", []net.IP{net.IPv4(127, 0, 0, 1)}
	webRes, err := c.Enroll(ctx, uris, web)
	if err != nil || webRes.Pending() {
		t.Fatalf("Apache's certificate: %+v %v", webRes, err)
	}
	writePEM(t, filepath.Join(dir, "server.pem"), append([]*x509.Certificate{webRes.Certificate}, webRes.Chain...)...)
	writeKey(t, filepath.Join(dir, "server.key"), web.Key)
	writePEM(t, filepath.Join(dir, "clientca.pem"), ca.Issuing(), ca.Root())

	capped := enroll.New(enroll.WithRootCAs(roots), enroll.WithClientCertificate(tls.Certificate{Certificate: [][]byte{old.Raw}, PrivateKey: oldKey, Leaf: old}))
	renew := func(t *testing.T, base string) {
		t.Helper()
		p, err := capped.GetPolicies(ctx, base+testca.PathKBRCEP, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		tm := p.Template(testca.TemplateKBR)
		if tm == nil {
			t.Fatalf("no KBR template through Apache: %+v", p.Templates)
		}
		ces := p.Endpoints(tm, enroll.AuthCertificate, true)
		if len(ces) != 1 || !strings.HasPrefix(ces[0], base) {
			t.Fatalf("CES %v, want one behind Apache at %s", ces, base)
		}
		kt, _ := tm.KeyType()
		newKey, err := enroll.GenerateKey(rand.Reader, kt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := capped.Renew(ctx, ces, enroll.RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: newKey, Template: tm})
		if err != nil || got.Pending() || got.CheckKey(newKey.Public()) != nil {
			t.Fatalf("renewal through Apache: %+v %v", got, err)
		}
		verifyChain(t, got, roots)
	}
	// uncapped presents the certificate without CapForClientCertificate:
	// up to TLS 1.3 unless maxVersion says otherwise.
	uncapped := func(reneg tls.RenegotiationSupport, maxVersion uint16) *enroll.Client {
		tc := &tls.Config{RootCAs: roots, Renegotiation: reneg, MaxVersion: maxVersion,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				return &tls.Certificate{Certificate: [][]byte{old.Raw}, PrivateKey: oldKey}, nil
			}}
		return enroll.New(enroll.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: tc}}))
	}

	t.Run("TLS 1.2 only", func(t *testing.T) {
		a := startApache(t, bin, dir, backend.URL(), "-all +TLSv1.2")
		renew(t, a.base)
		a.expect(t, `"POST `+cesPath+` HTTP/1.1" TLSv1.2 200`, "AH02221: Requesting connection re-negotiation")
		// Without renegotiation the same request fails: Apache did renegotiate.
		_, err := uncapped(tls.RenegotiateNever, tls.VersionTLS12).GetPolicies(ctx, a.base+testca.PathKBRCEP, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "renegotiation") {
			t.Errorf("client refusing renegotiation: %v, want a renegotiation error", err)
		}
		a.expect(t, `"POST `+testca.PathKBRCEP+` HTTP/1.1" - 403`, "AH02261: Re-negotiation handshake failed")
	})
	t.Run("TLS 1.3 allowed", func(t *testing.T) {
		a := startApache(t, bin, dir, backend.URL(), "-all +TLSv1.2 +TLSv1.3")
		// certdesk's cap keeps certificate connections at TLS 1.2 ...
		renew(t, a.base)
		a.expect(t, `"POST `+cesPath+` HTTP/1.1" TLSv1.2 200`)
		// ... while Go's default, TLS 1.3, needs post-handshake
		// authentication, which Go does not offer: Apache answers 403, the
		// failure IIS shows as a reset or a 500.
		_, err := uncapped(tls.RenegotiateOnceAsClient, 0).GetPolicies(ctx, a.base+testca.PathKBRCEP, time.Time{})
		var he *enroll.HTTPError
		if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
			t.Fatalf("uncapped client at TLS 1.3: %v, want HTTP 403", err)
		}
		a.expect(t, `"POST `+testca.PathKBRCEP+` HTTP/1.1" TLSv1.3 403`, "AH10158: cannot perform post-handshake authentication")
		// Connections without client certificates keep TLS 1.3.
		if _, err := c.GetPolicies(ctx, a.base+testca.PathCEP, time.Time{}); err != nil {
			t.Fatal(err)
		}
		a.expect(t, `"POST `+testca.PathCEP+` HTTP/1.1" TLSv1.3 200`)
	})
}

// apacheBinary returns the path of Debian's apache2, or skips the test.
func apacheBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/apache2", "apache2"} {
		if bin, err := exec.LookPath(p); err == nil {
			if _, err := os.Stat("/usr/lib/apache2/modules/mod_ssl.so"); err == nil {
				return bin
			}
		}
	}
	msg := "apache2 with mod_ssl is not installed (apt-get install apache2-bin; scripts/setup-debian.sh does)"
	if os.Getenv("REQUIRE_APACHE") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// apache is a running Apache httpd.
type apache struct {
	base string // https://127.0.0.1:port
	dir  string // its config, logs and pid file
}

// startApache starts apache2 in the foreground (-X) on a free loopback
// port as a TLS-terminating proxy to backend, with the given SSLProtocol;
// the certificate endpoints require a client certificate after the
// request has been read, as IIS does. It stops when the test ends.
func startApache(t *testing.T, bin, certs, backend, protocols string) *apache {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	user := ""
	if os.Geteuid() == 0 { // Apache refuses to serve as root
		user = "User nobody\nGroup nogroup\n"
	}
	conf := fmt.Sprintf(`ServerRoot "%[1]s"
DefaultRuntimeDir "%[1]s"
PidFile "%[1]s/httpd.pid"
ErrorLog "%[1]s/error.log"
LogLevel warn ssl:info
LogFormat "\"%%r\" %%{SSL_PROTOCOL}x %%>s" tls
CustomLog "%[1]s/access.log" tls
%[2]s
Listen %[3]s
ServerName 127.0.0.1
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
SSLEngine on
SSLProtocol %[4]s
SSLCertificateFile "%[5]s/server.pem"
SSLCertificateKeyFile "%[5]s/server.key"
SSLCACertificateFile "%[5]s/clientca.pem"
SSLVerifyDepth 2
SSLSessionCache "shmcb:%[1]s/ssl_scache(512000)"
ProxyPass / %[6]s/
ProxyPreserveHost On
RequestHeader unset %[7]s
<LocationMatch "(?i)_Certificate/service\.svc/">
	SSLVerifyClient require
	RequestHeader set %[7]s "%%{SSL_CLIENT_CERT}s"
</LocationMatch>
`, dir, user, addr, protocols, certs, backend, testca.ProxyCertHeader)
	confFile := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &apache{base: "https://" + addr, dir: dir}
	cmd := exec.Command(bin, "-X", "-f", confFile)
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			a.dump(t)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return a
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("apache2 exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("apache2 did not listen within 15 s")
		}
	}
}

// expect fails the test unless the access log (first argument) and the
// error log (the others) contain the given texts.
func (a *apache) expect(t *testing.T, access string, errorLog ...string) {
	t.Helper()
	// Apache writes the access log entry after the answer went out.
	var logs [2][]byte
	for i := 0; i < 50; i++ {
		logs[0], _ = os.ReadFile(filepath.Join(a.dir, "access.log"))
		logs[1], _ = os.ReadFile(filepath.Join(a.dir, "error.log"))
		if strings.Contains(string(logs[0]), access) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(logs[0]), access) {
		t.Errorf("access log lacks %q", access)
	}
	for _, s := range errorLog {
		if !strings.Contains(string(logs[1]), s) {
			t.Errorf("error log lacks %q", s)
		}
	}
}

// dump logs Apache's output and logs.
func (a *apache) dump(t *testing.T) {
	for _, f := range []string{"stderr", "access.log", "error.log"} {
		b, _ := os.ReadFile(filepath.Join(a.dir, f))
		t.Logf("apache %s:\n%s", f, b)
	}
}

func writePEM(t *testing.T, name string, certs ...*x509.Certificate) {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeKey(t *testing.T, name string, key crypto.Signer) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
