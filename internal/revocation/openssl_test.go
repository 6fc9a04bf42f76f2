package revocation

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pki is a CA made in Go whose revocation answers OpenSSL gives: its
// index.txt, CRL (openssl ca -gencrl) and OCSP responders (openssl ocsp).
type pki struct {
	t        *testing.T
	openssl  string
	dir      string
	ca       *x509.Certificate
	caKey    crypto.Signer
	serial   int64
	aia, cdp string
	// backend is the "host:port" of the openssl ocsp the proxy at aia
	// forwards to, so one set of leaves can meet several responders.
	backend atomic.Value
	crl     atomic.Value // []byte served at cdp
	delta   atomic.Value // []byte served at cdp?delta
}

func newPKI(t *testing.T) *pki {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed: the independent OCSP/CRL peer is missing")
	}
	p := &pki{t: t, openssl: openssl, dir: t.TempDir(), serial: 0x1000}
	p.caKey = newKey(t)
	p.ca = p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "OpenSSL Test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, p.caKey.Public(), nil, p.caKey)
	p.writePEM("ca.pem", "CERTIFICATE", p.ca.Raw)
	p.writeKey("ca.key", p.caKey)
	for name, body := range map[string]string{"index.txt": "", "crlnumber": "01\n", "index.txt.attr": "unique_subject = no\n"} {
		if err := os.WriteFile(filepath.Join(p.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cnf := fmt.Sprintf(`[ca]
default_ca = testca
[testca]
dir = %s
database = $dir/index.txt
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
new_certs_dir = $dir
default_md = sha256
default_crl_days = 1
policy = anything
[anything]
commonName = supplied
`, p.dir)
	if err := os.WriteFile(filepath.Join(p.dir, "ca.cnf"), []byte(cnf), 0o600); err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ca.crl" {
			crl := &p.crl
			if r.URL.RawQuery == "delta" {
				crl = &p.delta
			}
			w.Write(crl.Load().([]byte))
			return
		}
		body, _ := io.ReadAll(r.Body)
		resp, err := http.Post("http://"+p.backend.Load().(string)+"/", "application/ocsp-request", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	p.aia, p.cdp = proxy.URL+"/ocsp", proxy.URL+"/ca.crl"
	p.crl.Store([]byte{})
	p.delta.Store([]byte{})
	p.backend.Store("127.0.0.1:1")
	return p
}

func newKey(t *testing.T) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign issues tmpl for pub, signed by parent (nil: self-signed) with key.
func (p *pki) sign(tmpl *x509.Certificate, pub any, parent *x509.Certificate, key crypto.Signer) *x509.Certificate {
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour*30)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

// leaf issues a certificate naming the proxy as OCSP responder and CRL.
func (p *pki) leaf(cn string) *x509.Certificate {
	return p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: cn}, OCSPServer: []string{p.aia},
		CRLDistributionPoints: []string{p.cdp}}, newKey(p.t).Public(), p.ca, p.caKey)
}

func (p *pki) writePEM(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

func (p *pki) writeKey(name string, k crypto.Signer) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.writePEM(name, "PRIVATE KEY", der)
}

func (p *pki) run(args ...string) {
	out, err := exec.Command(p.openssl, args...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// ca runs "openssl ca" with the test's configuration.
func (p *pki) caCmd(args ...string) {
	p.run(append([]string{"ca", "-config", filepath.Join(p.dir, "ca.cnf"), "-batch"}, args...)...)
}

// responder starts "openssl ocsp" signing with cert and key and makes the
// proxy forward to it; extra are more flags (-ndays 1).
func (p *pki) responder(cert *x509.Certificate, key crypto.Signer, extra ...string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	name := fmt.Sprintf("rsigner%d", port)
	args := append([]string{"ocsp", "-index", filepath.Join(p.dir, "index.txt"), "-port", fmt.Sprint(port),
		"-rsigner", p.writePEM(name+".pem", "CERTIFICATE", cert.Raw), "-rkey", p.writeKey(name+".key", key),
		"-CA", filepath.Join(p.dir, "ca.pem")}, extra...)
	cmd := exec.Command(p.openssl, args...)
	// Ready when it says so: a probe connection would occupy the
	// single-threaded responder.
	stderr, err := cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "waiting for OCSP client connections") {
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		p.t.Fatal("openssl ocsp did not start")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p.backend.Store(addr)
}

// TestOpenSSL has OpenSSL answer: its OCSP responder (delegated signer and
// the CA itself) and its CRL, for a valid and a revoked certificate, and
// the answers certdesk must refuse as unknown, never good.
func TestOpenSSL(t *testing.T) {
	p := newPKI(t)
	good, revoked, absent := p.leaf("good"), p.leaf("revoked"), p.leaf("absent")
	p.caCmd("-valid", p.writePEM("good.pem", "CERTIFICATE", good.Raw))
	p.caCmd("-revoke", p.writePEM("revoked.pem", "CERTIFICATE", revoked.Raw), "-crl_reason", "keyCompromise")
	crlPath := filepath.Join(p.dir, "ca.crl")
	p.caCmd("-gencrl", "-out", crlPath)
	p.run("crl", "-in", crlPath, "-outform", "DER", "-out", crlPath+".der")
	crl, err := os.ReadFile(crlPath + ".der")
	if err != nil {
		t.Fatal(err)
	}
	signerKey := newKey(t)
	signer := p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "OCSP signer"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		KeyUsage: x509.KeyUsageDigitalSignature}, signerKey.Public(), p.ca, p.caKey)
	notSignerKey := newKey(t)
	notSigner := p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "not an OCSP signer"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		notSignerKey.Public(), p.ca, p.caKey)
	otherKey := newKey(t)
	other := p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "OpenSSL Test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, otherKey.Public(), nil, otherKey)

	check := func(t *testing.T, cert *x509.Certificate, now time.Time, notBefore time.Time) Answer {
		t.Helper()
		c := &Checker{Now: func() time.Time { return now }}
		a, asked := c.Check(context.Background(), cert, p.ca, notBefore)
		if !asked {
			t.Fatal("the certificate's sources were not asked")
		}
		return a
	}
	now := time.Now()
	t.Run("OCSP delegated signer", func(t *testing.T) {
		p.responder(signer, signerKey, "-ndays", "1")
		if a := check(t, good, now, time.Time{}); a.Status != StatusGood || a.Source != "ocsp" {
			t.Errorf("good: %+v", a)
		}
		a := check(t, revoked, now, time.Time{})
		if a.Status != StatusRevoked || a.Reason != "keyCompromise" || a.Source != "ocsp" || a.RevokedAt.IsZero() {
			t.Errorf("revoked: %+v", a)
		}
		// Not in the index: OpenSSL says unknown; no CRL is served yet.
		if a := check(t, absent, now, time.Time{}); a.Status != StatusUnknown {
			t.Errorf("absent: %+v", a)
		}
		// Stale: an answer past its nextUpdate (a day) and no CRL.
		if a := check(t, good, now.Add(50*time.Hour), time.Time{}); a.Status != StatusUnknown {
			t.Errorf("stale: %+v", a)
		}
		// Replayed: older than an answer already seen.
		if a := check(t, good, now, now.Add(time.Hour)); a.Status != StatusUnknown {
			t.Errorf("replayed: %+v", a)
		}
	})
	t.Run("OCSP signed by the CA, no nextUpdate", func(t *testing.T) {
		p.responder(p.ca, p.caKey)
		if a := check(t, revoked, now, time.Time{}); a.Status != StatusRevoked {
			t.Errorf("revoked: %+v", a)
		}
		// Without nextUpdate an answer is believed for DefaultMaxAge only.
		if a := check(t, good, now.Add(2*DefaultMaxAge), time.Time{}); a.Status != StatusUnknown {
			t.Errorf("old: %+v", a)
		}
	})
	t.Run("OCSP signer without id-kp-OCSPSigning", func(t *testing.T) {
		p.responder(notSigner, notSignerKey, "-ndays", "1")
		if a := check(t, good, now, time.Time{}); a.Status != StatusUnknown {
			t.Errorf("good: %+v", a)
		}
	})
	t.Run("OCSP signed by another CA of the same name", func(t *testing.T) {
		p.responder(other, otherKey, "-ndays", "1")
		if a := check(t, revoked, now, time.Time{}); a.Status != StatusUnknown {
			t.Errorf("revoked: %+v", a)
		}
	})
	t.Run("CRL fallback", func(t *testing.T) {
		p.backend.Store("127.0.0.1:1") // no responder
		p.crl.Store(crl)
		if a := check(t, good, now, time.Time{}); a.Status != StatusGood || a.Source != "crl" {
			t.Errorf("good: %+v", a)
		}
		a := check(t, revoked, now, time.Time{})
		if a.Status != StatusRevoked || a.Reason != "keyCompromise" || a.Source != "crl" {
			t.Errorf("revoked: %+v", a)
		}
		if a := check(t, good, now.Add(50*time.Hour), time.Time{}); a.Status != StatusUnknown {
			t.Errorf("stale CRL: %+v", a)
		}
	})
	t.Run("delta CRL", func(t *testing.T) {
		p.backend.Store("127.0.0.1:1")
		p.crl.Store(crl)
		// Leaves naming the delta: one the delta revokes, one it does not.
		fresh := freshestExt(t, p.cdp+"?delta")
		var leaves []*x509.Certificate
		for _, cn := range []string{"delta-revoked", "delta-good"} {
			leaves = append(leaves, p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: cn}, CRLDistributionPoints: []string{p.cdp},
				ExtraExtensions: []pkix.Extension{fresh}}, newKey(t).Public(), p.ca, p.caKey))
		}
		base, err := VerifyCRL(crl, p.ca, now)
		if err != nil {
			t.Fatal(err)
		}
		delta := func(number int64, next time.Time) []byte {
			ind, _ := asn1.Marshal(base.Number)
			der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: now.Add(-time.Minute),
				NextUpdate: next, ExtraExtensions: []pkix.Extension{{Id: oidDeltaCRLIndicator, Critical: true, Value: ind}},
				RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: leaves[0].SerialNumber, RevocationTime: now, ReasonCode: 4}}},
				p.ca, p.caKey)
			if err != nil {
				t.Fatal(err)
			}
			return der
		}
		p.delta.Store(delta(base.Number.Int64()+1, now.Add(time.Hour)))
		if a := check(t, leaves[0], now, time.Time{}); a.Status != StatusRevoked || a.Reason != "superseded" {
			t.Errorf("revoked by the delta: %+v", a)
		}
		a := check(t, leaves[1], now, time.Time{})
		if a.Status != StatusGood || !a.NextUpdate.Equal(now.Add(time.Hour).Truncate(time.Second)) {
			t.Errorf("good, until the delta's nextUpdate: %+v", a)
		}
		// The base's answer alone is not the CA's latest word.
		if a := check(t, revoked, now, time.Time{}); a.Status != StatusRevoked {
			t.Errorf("a certificate naming no delta: %+v", a)
		}
		for name, der := range map[string][]byte{"stale": delta(base.Number.Int64()+1, now.Add(-time.Second)),
			"older than the base": delta(base.Number.Int64(), now.Add(time.Hour)), "missing": []byte("not a CRL")} {
			p.delta.Store(der)
			if a := check(t, leaves[1], now, time.Time{}); a.Status != StatusUnknown {
				t.Errorf("%s delta: %+v", name, a)
			}
		}
	})
	t.Run("CRL signed by another CA", func(t *testing.T) {
		if _, err := VerifyCRL(crl, other, now); err == nil {
			t.Error("a CRL verified against the wrong CA")
		}
	})
}

// freshestExt is a FreshestCRL extension naming url.
func freshestExt(t *testing.T, url string) pkix.Extension {
	v, err := asn1.Marshal([]distributionPoint{{DistributionPoint: distributionPointName{
		FullName: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(url)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oidFreshestCRL, Value: v}
}
