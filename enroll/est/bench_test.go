package est

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
)

// keeper is a transport that keeps the last answer (body and headers).
type keeper struct {
	base   http.RoundTripper
	last   []byte
	header http.Header
}

func (k *keeper) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := k.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	k.last, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	k.header = resp.Header.Clone()
	resp.Body = io.NopCloser(bytes.NewReader(k.last))
	return resp, err
}

// canned answers every request with a kept answer, in-process.
type canned struct {
	body   []byte
	header http.Header
}

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	return &http.Response{StatusCode: 200, Header: c.header, Body: io.NopCloser(bytes.NewReader(c.body))}, nil
}

// BenchmarkESTEnrollP256 measures one EST enrollment (CSR, /simpleenroll
// with basic auth, certs-only answer, key check) against an in-process
// testca over HTTPS (ns/op; key generation excluded) and, separately, the
// client's own work: the same Enroll against the same answer served
// in-process without network or CA signing (client-ns/op, client-%).
func BenchmarkESTEnrollP256(b *testing.B) {
	ca, srv := startCA(b, testca.Config{})
	k := &keeper{base: httpClient(ca, nil).Transport}
	auth := WithBasicAuth(testca.DefaultUser, testca.DefaultPassword)
	label := WithLabel(testca.TemplateUserP256)
	c, err := New(srv.ESTURL(), WithHTTPClient(&http.Client{Transport: k}), auth, label)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var own, keygen time.Duration
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		keygen += time.Since(start)
		b.StartTimer()
		csr, err := enroll.NewProtocolCSR(rand.Reader, key, nil, nil, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Enroll(ctx, csr); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		local, _ := New(srv.ESTURL(), WithHTTPClient(&http.Client{Transport: canned{k.last, k.header}}), auth, label)
		start = time.Now()
		csr, err = enroll.NewProtocolCSR(rand.Reader, key, nil, nil, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := local.Enroll(ctx, csr); err != nil {
			b.Fatal(err)
		}
		own += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "client-ns/op")
	b.ReportMetric(100*float64(own)/float64(b.Elapsed()), "client-%")
	b.ReportMetric(float64(keygen.Nanoseconds())/float64(b.N), "keygen-ns/op")
}
