package scep_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/scep"
	"github.com/certdesk/certdesk/enroll/testca"
)

// waited is a transport that adds up the time spent in round trips,
// bodies read included: the server's and the network's share.
type waited struct {
	base http.RoundTripper
	ns   atomic.Int64
}

func (w *waited) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	defer func() { w.ns.Add(int64(time.Since(start))) }()
	resp, err := w.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err
}

// BenchmarkEnrollSCEP is one SCEP enrollment against testca's NDES over
// HTTPS loopback, as the core makes it: GetCACaps, GetCACert, the CSR
// with its challenge, the PKCSReq and its CertRep (key generation
// excluded). client-ns/op and client-% are the client's own work: the
// whole minus the time in round trips.
func BenchmarkEnrollSCEP(b *testing.B) {
	ca, err := testca.New(testca.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	w := &waited{base: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	c := &scep.Client{URL: srv.SCEPURL(), HTTP: &http.Client{Transport: w}}
	ctx := context.Background()
	subject, _ := enroll.ParseDN("CN=bench")
	var keygen time.Duration
	w.ns.Store(0)
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		keygen += time.Since(start)
		challenge := srv.SCEPChallenge()
		b.StartTimer()
		s, err := c.Discover(ctx)
		if err != nil {
			b.Fatal(err)
		}
		csr, err := enroll.NewProtocolCSR(rand.Reader, key, subject, nil, challenge)
		if err != nil {
			b.Fatal(err)
		}
		if resp, err := c.Enroll(ctx, s, scep.Request{CSR: csr, Key: key}); err != nil || resp.Pending() {
			b.Fatal(resp, err)
		}
	}
	own := b.Elapsed() - time.Duration(w.ns.Load())
	b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "client-ns/op")
	b.ReportMetric(100*float64(own)/float64(b.Elapsed()), "client-%")
	b.ReportMetric(float64(keygen.Nanoseconds())/float64(b.N), "keygen-ns/op")
	b.ReportMetric(100*float64(own)/float64(b.Elapsed()+keygen), "client-%-full")
}
