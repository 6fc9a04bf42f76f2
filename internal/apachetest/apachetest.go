// Package apachetest runs Apache httpd as a TLS-terminating proxy in front
// of a testca server (testca.Config.BehindProxy) for tests. Like IIS, it
// asks for the client certificate of the certificate CEP and CES only after
// reading the request: SSLVerifyClient require inside a <LocationMatch>,
// which is TLS 1.2 renegotiation or, under TLS 1.3, post-handshake
// authentication. Go's own TLS server never renegotiates, so only a real
// server like this one tests a client against that (issue #16).
//
// It needs /usr/sbin/apache2 and its modules (Debian's apache2-bin, which
// scripts/setup-debian.sh installs). Without them tests skip, unless
// REQUIRE_APACHE is set (scripts/test.sh), when they fail.
package apachetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/certdesk/certdesk/enroll/testca"
)

// Modules is where Debian keeps Apache's modules.
const Modules = "/usr/lib/apache2/modules"

// Binary returns the path of apache2, or skips the test (fails it with
// REQUIRE_APACHE set) when Apache or mod_ssl is missing.
func Binary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/apache2", "apache2"} {
		if bin, err := exec.LookPath(p); err == nil {
			if _, err := os.Stat(filepath.Join(Modules, "mod_ssl.so")); err == nil {
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

// Server is a running Apache httpd.
type Server struct {
	// URL is https://127.0.0.1:port; the CEP and CES paths are testca's.
	URL string
	dir string // its configuration, logs and pid file
}

// Start starts Apache (binary bin, from Binary) in the foreground on a
// free loopback port, with a server certificate for 127.0.0.1 issued by
// ca, proxying to backend (the URL of ca served with BehindProxy) and
// passing the verified client certificate in testca.ProxyCertHeader.
// protocols is the SSLProtocol value, e.g. "-all +TLSv1.2". Apache
// stops when the test ends; its logs are shown if the test failed.
func Start(t testing.TB, bin string, ca *testca.CA, backend, protocols string) *Server {
	t.Helper()
	dir := t.TempDir()
	writeServerCertificate(t, ca, dir)
	writePEM(t, filepath.Join(dir, "clientca.pem"), ca.Issuing().Raw, ca.Root().Raw)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	user := ""
	if os.Geteuid() == 0 { // Apache refuses to serve as root
		user = "User nobody\nGroup nogroup"
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
LoadModule mpm_event_module %[7]s/mod_mpm_event.so
LoadModule authz_core_module %[7]s/mod_authz_core.so
LoadModule socache_shmcb_module %[7]s/mod_socache_shmcb.so
LoadModule ssl_module %[7]s/mod_ssl.so
LoadModule proxy_module %[7]s/mod_proxy.so
LoadModule proxy_http_module %[7]s/mod_proxy_http.so
LoadModule headers_module %[7]s/mod_headers.so
SSLEngine on
SSLProtocol %[4]s
SSLCertificateFile "%[1]s/server.pem"
SSLCertificateKeyFile "%[1]s/server.key"
SSLCACertificateFile "%[1]s/clientca.pem"
SSLVerifyDepth 2
SSLSessionCache "shmcb:%[1]s/ssl_scache(512000)"
ProxyPass / %[5]s/
ProxyPreserveHost On
RequestHeader unset %[6]s
<LocationMatch "(?i)_Certificate/service\.svc/">
	SSLVerifyClient require
	RequestHeader set %[6]s "%%{SSL_CLIENT_CERT}s"
</LocationMatch>
`, dir, user, addr, protocols, backend, testca.ProxyCertHeader, Modules)
	confFile := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "https://" + addr, dir: dir}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "-X", "-f", confFile)
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
			s.dump(t)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return s
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

// Expect fails the test unless Apache's access log has a line containing
// access (lines read `"POST /path HTTP/1.1" TLSv1.2 200`, the protocol
// "-" when the handshake failed) and its error log contains each of
// errorLog.
func (s *Server) Expect(t testing.TB, access string, errorLog ...string) {
	t.Helper()
	var acc, errs []byte
	for range 50 { // the access log line is written after the answer went out
		acc, _ = os.ReadFile(filepath.Join(s.dir, "access.log"))
		errs, _ = os.ReadFile(filepath.Join(s.dir, "error.log"))
		if strings.Contains(string(acc), access) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(acc), access) {
		t.Errorf("Apache's access log lacks %q", access)
	}
	for _, e := range errorLog {
		if !strings.Contains(string(errs), e) {
			t.Errorf("Apache's error log lacks %q", e)
		}
	}
}

// dump logs Apache's output and logs.
func (s *Server) dump(t testing.TB) {
	for _, f := range []string{"stderr", "access.log", "error.log"} {
		b, _ := os.ReadFile(filepath.Join(s.dir, f))
		t.Logf("apache %s:\n%s", f, b)
	}
}

// writeServerCertificate has ca issue Apache's certificate (WebServer
// template, CN and IP SAN 127.0.0.1) and writes it with the issuing CA to
// server.pem, its key to server.key.
func writeServerCertificate(t testing.TB, ca *testca.CA, dir string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048) // the WebServer template wants RSA
	if err != nil {
		t.Fatal(err)
	}
	name := utf16.Encode([]rune(testca.TemplateWebServer))
	bmp := make([]byte, 0, 2*len(name))
	for _, u := range name {
		bmp = append(bmp, byte(u>>8), byte(u))
	}
	ext, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagBMPString, Bytes: bmp})
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:     []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2}, Value: ext}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ca.Submit(csr, testca.DefaultUser)
	if err != nil || r.Cert == nil {
		t.Fatalf("Apache's certificate: %+v %v", r, err)
	}
	writePEM(t, filepath.Join(dir, "server.pem"), r.Cert, ca.Issuing().Raw)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writePEM writes DER certificates as one PEM file.
func writePEM(t testing.TB, name string, certs ...[]byte) {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c})...)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
