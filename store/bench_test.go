package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// genStore writes n certificate-only entries into store My of a user
// context under root, and (if derDir is set) the same certificates as DER
// files for the parse floor; every entry gets meta (plus a friendly
// name). It writes entry files directly, without the
// per-entry fsync, then writes the index once from the certificates in
// memory (no rescan): a fixture, not a write path. 100,000 entries take
// under a minute on a shared 2-core machine (17 s of CPU, mostly signatures).
// With rev (a base URL) every certificate names rev+"/ocsp" as its OCSP
// responder and rev+"/crl" as its CRL, and the issuing CA may sign CRLs.
// It returns the PKI that issued them.
func genStore(tb testing.TB, root string, n int, derDir string, meta Meta, rev string) *pki {
	tb.Helper()
	s, err := Open(LocationAt(root), User)
	if err != nil {
		tb.Fatal(err)
	}
	dir := s.storeDir(My)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	p := newPKI(tb)
	var ocspURL, crlURL []string
	if rev != "" {
		ocspURL, crlURL = []string{rev + "/ocsp"}, []string{rev + "/crl"}
		p.inter = issue(tb, &x509.Certificate{Subject: pkix.Name{CommonName: "Test Issuing CA"}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, p.root, p.interKey.Public(), p.rootKey)
	}
	keys := []*ecdsa.PrivateKey{newKey(tb), newKey(tb), newKey(tb), newKey(tb)}
	now := time.Now().UTC().Truncate(time.Second)
	entries := make([]Entry, 0, n)
	for i := range n {
		leafKey := keys[i%len(keys)]
		c := issue(tb, &x509.Certificate{
			Subject:  pkix.Name{CommonName: fmt.Sprintf("host%05d.example.com", i), Organization: []string{"Example Corp"}, Country: []string{"DE"}},
			DNSNames: []string{fmt.Sprintf("host%05d.example.com", i), fmt.Sprintf("alt%05d.example.com", i)},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			OCSPServer: ocspURL, CRLDistributionPoints: crlURL,
		}, p.inter, leafKey.Public(), p.interKey)
		m := meta
		m.ImportedAt, m.FriendlyName = now, "bench "+strconv.Itoa(i)
		b, _ := json.Marshal(entryFile{Version: entryVersion, Cert: c.Raw, Meta: m})
		t := Thumbprint(c.Raw)
		entries = append(entries, newEntry(My, c, false, m))
		if err := os.WriteFile(filepath.Join(dir, entryName(t)), b, 0o600); err != nil {
			tb.Fatal(err)
		}
		if derDir != "" {
			if err := os.WriteFile(filepath.Join(derDir, t+".cer"), c.Raw, 0o600); err != nil {
				tb.Fatal(err)
			}
		}
	}
	sortEntries(entries)
	if err := writeIndex(dir, entries); err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, indexName)); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestGenerateBenchStore builds the 10,000-certificate fixture for
// scripts/bench-store.sh when CERTDESK_BENCH_ROOT is set; otherwise it
// skips.
func TestGenerateBenchStore(t *testing.T) {
	root := os.Getenv("CERTDESK_BENCH_ROOT")
	if root == "" {
		t.Skip("CERTDESK_BENCH_ROOT not set")
	}
	n, _ := strconv.Atoi(os.Getenv("CERTDESK_BENCH_N"))
	if n == 0 {
		n = 10000
	}
	derDir := os.Getenv("CERTDESK_BENCH_DER")
	os.MkdirAll(derDir, 0o700)
	// CERTDESK_BENCH_META (JSON of Meta) links the entries to a policy
	// server for the core's pulse benchmark (scripts/bench-core.sh).
	var meta Meta
	if m := os.Getenv("CERTDESK_BENCH_META"); m != "" {
		if err := json.Unmarshal([]byte(m), &meta); err != nil {
			t.Fatal(err)
		}
	}
	// CERTDESK_BENCH_REVOCATION (a base URL) makes every certificate name
	// an OCSP responder and a CRL there, puts the issuing CA in CA and the
	// root in Root, and writes to CERTDESK_BENCH_CRL_OUT the CA's empty
	// CRL, current for 30 days (scripts/bench-core.sh).
	rev := os.Getenv("CERTDESK_BENCH_REVOCATION")
	p := genStore(t, root, n, derDir, meta, rev)
	if rev == "" {
		return
	}
	s, err := Open(LocationAt(root), User)
	if err != nil {
		t.Fatal(err)
	}
	for n, c := range map[Name]*x509.Certificate{CA: p.inter, Root: p.root} {
		if _, _, err := s.Add(context.Background(), n, c, nil, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.AddDate(0, 0, 30)}, p.inter, p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv("CERTDESK_BENCH_CRL_OUT"), crl, 0o600); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkList10k lists a 10,000-entry store from its index.
func BenchmarkList10k(b *testing.B) {
	root := b.TempDir()
	genStore(b, root, 10000, "", Meta{}, "")
	s, _ := Open(LocationAt(root), User)
	b.ResetTimer()
	for b.Loop() {
		es, err := s.List(context.Background(), My, ListOptions{})
		if err != nil || len(es) != 10000 {
			b.Fatal(len(es), err)
		}
	}
}

// BenchmarkPFXDecode is the decode step of an import alone: sniffing,
// reading the algorithms, go-pkcs12 DecodeChain of a Modern2023 PFX
// (2048 PBKDF2 iterations, as OpenSSL writes).
func BenchmarkPFXDecode(b *testing.B) {
	p := newPKI(b)
	leaf, key := p.leaf(b, "bench.example")
	pfx, err := pkcs12.Modern2023.WithIterations(2048).Encode(key, leaf, []*x509.Certificate{p.inter, p.root}, "pw")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse(pfx, "pw"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLeaf issues a fresh key-less end-entity certificate from p.
func benchLeaf(tb testing.TB, p *pki, key *ecdsa.PrivateKey, i int) *x509.Certificate {
	return issue(tb, &x509.Certificate{
		Subject:  pkix.Name{CommonName: fmt.Sprintf("new%06d.example.com", i)},
		DNSNames: []string{fmt.Sprintf("new%06d.example.com", i)},
	}, p.inter, key.Public(), p.interKey)
}

// BenchmarkAdd adds one certificate per operation (Store.Add: lock, entry
// file, index) into an empty store and into a 30,000-entry one: the
// per-entry cost of a write must not grow with the store (issue #15).
func BenchmarkAdd(b *testing.B) {
	for _, size := range []int{0, 30000} {
		b.Run(fmt.Sprintf("store=%d", size), func(b *testing.B) {
			root := b.TempDir()
			if size > 0 {
				genStore(b, root, size, "", Meta{}, "")
			}
			s, _ := Open(LocationAt(root), User)
			p, key := newPKI(b), newKey(b)
			i := 0
			for b.Loop() {
				b.StopTimer()
				c := benchLeaf(b, p, key, i)
				i++
				b.StartTimer()
				if _, _, err := s.Add(context.Background(), My, c, nil, Meta{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
