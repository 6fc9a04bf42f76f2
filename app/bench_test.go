package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// genPulseStore writes n certificates with keys into My of the user
// context under root, each linked to one registered policy server and its
// template (so pulse has to decide about every one), none due. It adds
// them one by one through the store (an index write each), so it is for
// small n; scripts/bench-core.sh uses the store's generator for 10,000.
func genPulseStore(tb testing.TB, root string, n int) {
	tb.Helper()
	ctx := context.Background()
	c, err := New(Options{Location: store.LocationAt(root), SystemRoots: x509.NewCertPool()})
	if err != nil {
		tb.Fatal(err)
	}
	s, _ := c.Store(store.User)
	// File protection: the fixture is about pulse, not the keyring.
	if err := s.SetProtection(ctx, store.ProtectFile); err != nil {
		tb.Fatal(err)
	}
	srv := benchServer(tb, c)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Bench CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	var keys []*ecdsa.PrivateKey
	for range 4 {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		keys = append(keys, k)
	}
	tx, err := s.Lock(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Unlock()
	for i := range n {
		name := fmt.Sprintf("host%05d.example.com", i)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i) + 2), Subject: pkix.Name{CommonName: name, Organization: []string{"Example Corp"}},
			DNSNames: []string{name}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		k := keys[i%len(keys)]
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, k.Public(), caKey)
		if err != nil {
			tb.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		if _, _, err := tx.Add(ctx, store.My, cert, k, benchMeta(srv)); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchServer registers the fixture's policy server in the user context
// under root, with a cached policy whose template has a renewal period.
func benchServer(tb testing.TB, c *Core) Server {
	tb.Helper()
	ctx := context.Background()
	s, _ := c.Store(store.User)
	srv, err := c.AddServer(ctx, store.User, ServerOptions{URL: "https://ca.example/CEP", Auth: AuthAnonymous})
	if err != nil {
		tb.Fatal(err)
	}
	period := uint32(8)
	if err := writePolicyCache(s, srv.ID, enroll.PolicyCache{Format: enroll.PolicyCacheFormat, URL: srv.URL, Fetched: time.Now(), Policies: &enroll.Policies{
		NextUpdateHours: &period, Templates: []enroll.Template{{CommonName: "Bench", RenewalSeconds: 42 * 24 * 3600}}}}); err != nil {
		tb.Fatal(err)
	}
	return srv
}

func benchMeta(srv Server) store.Meta { return store.Meta{TemplateName: "Bench", PolicyServer: srv.ID} }

// TestGenerateBenchCore prepares the fixture of scripts/bench-core.sh in
// CERTDESK_BENCH_ROOT: the policy server and its cached policy. It writes
// the entries' metadata as JSON to CERTDESK_BENCH_META_OUT, for the store
// package's generator (TestGenerateBenchStore with CERTDESK_BENCH_META)
// to link its 10,000 certificates to the server.
func TestGenerateBenchCore(t *testing.T) {
	root := os.Getenv("CERTDESK_BENCH_ROOT")
	if root == "" {
		t.Skip("CERTDESK_BENCH_ROOT not set")
	}
	c, err := New(Options{Location: store.LocationAt(root), SystemRoots: x509.NewCertPool()})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(benchMeta(benchServer(t, c)))
	if err := os.WriteFile(os.Getenv("CERTDESK_BENCH_META_OUT"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateBenchRevocation fills the revocation cache of the fixture
// of scripts/bench-core.sh in CERTDESK_BENCH_ROOT, after the store
// package's generator made it with CERTDESK_BENCH_REVOCATION: it keeps
// the CA's CRL (CERTDESK_BENCH_CRL) where app keeps downloaded CRLs and
// runs a real check of every certificate, which app caches as it does
// any. Their OCSP responder and CRL URL must not be listening, so every
// answer comes from the kept CRL: each one must be good.
func TestGenerateBenchRevocation(t *testing.T) {
	root, rev := os.Getenv("CERTDESK_BENCH_ROOT"), os.Getenv("CERTDESK_BENCH_REVOCATION")
	if root == "" || rev == "" {
		t.Skip("CERTDESK_BENCH_ROOT or CERTDESK_BENCH_REVOCATION not set")
	}
	u, err := url.Parse(rev)
	if err != nil {
		t.Fatal(err)
	}
	if conn, err := net.Dial("tcp", u.Host); err == nil {
		conn.Close()
		t.Fatalf("%s is listening: the fixture needs a dead responder", u.Host)
	}
	crl, err := os.ReadFile(os.Getenv("CERTDESK_BENCH_CRL"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Location: store.LocationAt(root), SystemRoots: x509.NewCertPool()})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Store(store.User)
	crlDir(filepath.Join(s.StateDir(), RevocationCRLDir)).StoreCRL(rev+"/crl", crl)
	rs, err := c.CheckRevocation(context.Background(), store.User, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Status != RevocationGood || r.Chain[0].Source != "crl" {
			t.Fatalf("%s: %s (%s), not good from the kept CRL", r.Thumbprint, r.Status, r.Reason)
		}
	}
	if len(rs) == 0 {
		t.Fatal("no certificates in My")
	}
}

// BenchmarkPulseNothingDue1k is a warm pulse over 1,000 certificates of
// which none is due: it reads the index and decides, parsing nothing.
func BenchmarkPulseNothingDue1k(b *testing.B) {
	root := b.TempDir()
	genPulseStore(b, root, 1000)
	c, _ := New(Options{Location: store.LocationAt(root), SystemRoots: x509.NewCertPool()})
	for b.Loop() {
		rep, err := c.Pulse(context.Background(), store.User)
		if err != nil || rep.Checked != 1000 || rep.Due != 0 {
			b.Fatal(rep, err)
		}
	}
}

// benchCoreEnroll measures Core.Enroll against an in-process testca over
// HTTPS on loopback: the whole enrollment as certdesk enroll does it (saved
// password from the keyring, policy, key, request, install into My and CA,
// history), key generation included. fetch removes the cached policy
// before each enrollment (outside the timer), so each one also fetches the
// policy, as the first enrollment of a day does.
func benchCoreEnroll(b *testing.B, template string, fetch bool) {
	e := newEnv(b, envOpt{})
	reg := e.addServer(b, testca.DefaultPassword)
	c, ctx := e.core, context.Background()
	s, _ := c.Store(store.User)
	cache, _ := policyCachePath(s, reg.ID)
	r := EnrollRequest{Context: store.User, Server: reg.ID, Template: template}
	if _, err := c.Enroll(ctx, r); err != nil { // the policy cached, the CA certificate stored
		b.Fatal(err)
	}
	// TLS handshakes the client began, and the process's CPU time (the
	// client's and testca's): steadier than wall time, which the fsyncs
	// of both sides make noisy.
	var handshakes atomic.Int64
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{TLSHandshakeStart: func() { handshakes.Add(1) }})
	handshakes.Store(0)
	var cpu time.Duration
	var wall []time.Duration
	for b.Loop() {
		if fetch {
			b.StopTimer()
			if err := os.Remove(cache); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		start, at := processCPU(b), time.Now()
		if _, err := c.Enroll(ctx, r); err != nil {
			b.Fatal(err)
		}
		wall = append(wall, time.Since(at))
		cpu += processCPU(b) - start
	}
	// The median enrollment: fsync latency on a shared disk moves the mean.
	slices.Sort(wall)
	b.ReportMetric(float64(wall[len(wall)/2]), "median-ns/op")
	b.ReportMetric(float64(handshakes.Load())/float64(b.N), "handshakes/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkCoreEnrollP256(b *testing.B)            { benchCoreEnroll(b, "UserP256", false) }
func BenchmarkCoreEnrollP256FetchPolicy(b *testing.B) { benchCoreEnroll(b, "UserP256", true) }
