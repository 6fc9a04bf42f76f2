package enroll_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
)

// policies50 synthesises a GetPoliciesResponse with 50 templates from the
// cepces lab vector by repeating its policy under new names.
func policies50(b *testing.B) []byte {
	dir, _ := os.Getwd()
	for ; ; dir = filepath.Dir(dir) {
		data, err := os.ReadFile(filepath.Join(dir, "shared", "vectors", "cepces-fixture-GetPoliciesResponse-body-3ext.xml"))
		if err == nil {
			policy := regexp.MustCompile(`<ns0:policy>.*</ns0:policy>`).Find(data)
			var many bytes.Buffer
			for i := range 50 {
				many.Write(bytes.Replace(policy, []byte(">Machine<"), fmt.Appendf(nil, ">Template%02d<", i), 1))
			}
			return bytes.Replace(data, policy, many.Bytes(), 1)
		}
		if dir == filepath.Dir(dir) {
			b.Skip("shared/vectors not found")
		}
	}
}

func BenchmarkParsePolicies50(b *testing.B) {
	data := policies50(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		p, err := enroll.ParsePolicies(data)
		if err != nil || len(p.Templates) != 50 {
			b.Fatal(p, err)
		}
	}
}

// BenchmarkTokenize50 is the floor for BenchmarkParsePolicies50: reading
// the same document's tokens with encoding/xml and doing nothing else.
func BenchmarkTokenize50(b *testing.B) {
	data := policies50(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// keeper is a transport that keeps the last response body.
type keeper struct {
	base http.RoundTripper
	last []byte
}

func (k *keeper) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := k.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	k.last, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(k.last))
	return resp, err
}

type canned []byte

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: int64(len(c)), Body: io.NopCloser(bytes.NewReader(c))}, nil
}

// benchEnroll measures a full enrollment against an in-process testca over
// HTTPS (median-ns/op; key generation excluded) and, separately, the client's own
// work: the same Enroll (CSR, envelope, parse, key check) against the same
// answer served in-process without network or CA signing.
func benchEnroll(b *testing.B, template string) {
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
	k := &keeper{base: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	auth := enroll.WithUsernamePassword(testca.DefaultUser, testca.DefaultPassword)
	c := enroll.New(enroll.WithHTTPClient(&http.Client{Transport: k}), auth)
	ctx := context.Background()
	p, err := c.GetPolicies(ctx, srv.CEPURL(), time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	tm := p.Template(template)
	kt, _ := tm.KeyType()
	uris := p.Endpoints(tm, c.AuthKind(), false)
	// Each part is timed per enrollment and reported as its median: on a
	// shared machine a mean follows whoever else ran, a median much less.
	var total, own, sign, keygen []time.Duration
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		key, err := enroll.GenerateKey(rand.Reader, kt)
		if err != nil {
			b.Fatal(err)
		}
		keygen = append(keygen, time.Since(start))
		req := enroll.Request{Template: tm, Key: key}
		b.StartTimer()
		start = time.Now()
		if _, err := c.Enroll(ctx, uris, req); err != nil {
			b.Fatal(err)
		}
		total = append(total, time.Since(start))
		b.StopTimer()
		local := enroll.New(enroll.WithHTTPClient(&http.Client{Transport: canned(k.last)}), auth)
		start = time.Now()
		if _, err := local.Enroll(ctx, uris, req); err != nil {
			b.Fatal(err)
		}
		own = append(own, time.Since(start))
		// The CSR signature is the caller's key at work, like key
		// generation: the smallest PKCS#10 crypto/x509 makes with this
		// key, signed and its signature checked as CreateCertificateRequest
		// always does, is the floor of any request; time one to report the
		// protocol work without it.
		start = time.Now()
		if _, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key); err != nil {
			b.Fatal(err)
		}
		sign = append(sign, time.Since(start))
		b.StartTimer()
	}
	t, o, g, kg := median(total), median(own), median(sign), median(keygen)
	b.ReportMetric(float64(t), "median-ns/op")
	b.ReportMetric(float64(o), "client-ns/op")
	b.ReportMetric(100*float64(o)/float64(t), "client-%")
	b.ReportMetric(float64(g), "sign-ns/op")
	b.ReportMetric(100*float64(o-g)/float64(t), "proto-%")
	// The measure: the client's own work as a share of a whole
	// enrollment, key generation included.
	b.ReportMetric(float64(kg), "keygen-ns/op")
	b.ReportMetric(100*float64(o)/float64(t+kg), "client-%-full")
}

// median returns the middle of ds (which it sorts).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func BenchmarkEnrollP256(b *testing.B)    { benchEnroll(b, "UserP256") }
func BenchmarkEnrollRSA2048(b *testing.B) { benchEnroll(b, "User") }

// BenchmarkParseResponse parses an issued RSTRC with a three-certificate
// CMC chain (the MS-WSTEP example).
func BenchmarkParseResponse(b *testing.B) {
	dir, _ := os.Getwd()
	var data []byte
	for ; data == nil; dir = filepath.Dir(dir) {
		data, _ = os.ReadFile(filepath.Join(dir, "shared", "vectors", "wstep-spec-4.1.1.2-RSTRC-issued-response.xml"))
		if dir == filepath.Dir(dir) && data == nil {
			b.Skip("shared/vectors not found")
		}
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := enroll.ParseResponse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPEM reads the first PEM block of testdata/keys/name.
func benchPEM(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	if err != nil {
		b.Fatal(err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil {
		b.Fatalf("%s: no PEM block", name)
	}
	return blk.Bytes
}

// BenchmarkRenewalRequest builds a key-based renewal request (the PKCS#10
// for a new RSA 2048 key inside CMS signed by the old key) and reports the
// signatures each key makes per request.
func BenchmarkRenewalRequest(b *testing.B) {
	old, err := x509.ParseCertificate(benchPEM(b, "old-cert.pem"))
	if err != nil {
		b.Fatal(err)
	}
	var keys [2]*enroll.CountingSigner
	for i, name := range []string{"old-key.pem", "new-rsa2048.pem"} {
		k, err := x509.ParsePKCS8PrivateKey(benchPEM(b, name))
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = &enroll.CountingSigner{Signer: k.(crypto.Signer)}
	}
	r := enroll.RenewalRequest{OldCert: old, OldKey: keys[0], NewKey: keys[1]}
	for b.Loop() {
		if _, err := enroll.NewRenewalRequest(rand.Reader, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(keys[1].N)/float64(b.N), "new-key-signs/op")
	b.ReportMetric(float64(keys[0].N)/float64(b.N), "old-key-signs/op")
}
