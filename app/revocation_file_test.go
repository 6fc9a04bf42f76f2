package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/internal/revocation"
	"github.com/certdesk/certdesk/store"
)

// sharedCAAnswers is a cache of n leaves under two CAs, one naming no
// source and one answering by OCSP, as a pass over a large store leaves
// it; one more leaf holds an older answer about the second CA (another
// pass), and two certificates named no source at all.
func sharedCAAnswers(n int) map[string]RevocationResult {
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	noSrc := ChainRevocation{Thumbprint: strings.Repeat("C1", 32), Subject: "CN=Issuing CA",
		Answer: revocation.Answer{Status: RevocationNotChecked, Reason: "names no http(s) OCSP responder or CRL"}}
	ocsp := ChainRevocation{Thumbprint: strings.Repeat("C2", 32), Subject: "CN=Policy CA",
		Answer: revocation.Answer{Status: revocation.StatusGood, Source: "ocsp", URL: "http://ocsp.example/", ThisUpdate: at, NextUpdate: at.Add(24 * time.Hour)}}
	m := map[string]RevocationResult{}
	for i := range n + 1 {
		th := fmt.Sprintf("%064X", i)
		ca := ocsp
		if i == n {
			ca.ThisUpdate, ca.NextUpdate = at.Add(-time.Hour), at.Add(23*time.Hour)
		}
		m[th] = RevocationResult{Thumbprint: th, Status: RevocationGood, CheckedAt: at, NextUpdate: at.Add(12 * time.Hour),
			Chain: []ChainRevocation{{Thumbprint: th, Subject: fmt.Sprintf("CN=leaf %d", i),
				Answer: revocation.Answer{Status: revocation.StatusGood, Source: "crl", URL: "http://crl.example/ca.crl", ThisUpdate: at, NextUpdate: at.Add(12 * time.Hour)}},
				noSrc, ca}}
	}
	for _, th := range []string{strings.Repeat("AA", 32), strings.Repeat("BB", 32)} {
		m[th] = RevocationResult{Thumbprint: th, Status: RevocationNotChecked}
	}
	return m
}

// TestRevocationFileSharedCAs: answers whose chains share CA answers are
// written with each CA answer once, smaller than the form that copies it
// into every chain, and read back equal; a file of that older form reads
// the same, and an answer naming a CA answer the file lacks is dropped
// (it only costs a new check).
func TestRevocationFileSharedCAs(t *testing.T) {
	c, _ := New(Options{Location: store.LocationAt(t.TempDir())})
	s, _ := c.Store(store.User)
	m := sharedCAAnswers(100)
	if err := writeRevocation(s, m); err != nil {
		t.Fatal(err)
	}
	if got := readRevocation(s); !reflect.DeepEqual(got, m) {
		t.Fatalf("read back differs:\n%+v\nwant\n%+v", got, m)
	}
	path := filepath.Join(s.StateDir(), RevocationFile)
	compact, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(compact), "names no http(s) OCSP responder or CRL"); n != 1 {
		t.Errorf("the shared CA answer is written %d times", n)
	}

	// The older form: every chain whole, as RevocationResult.
	old := struct {
		Answers  map[string]RevocationResult `json:"answers"`
		NoSource []string                    `json:"noSource"`
	}{Answers: map[string]RevocationResult{}}
	for k, r := range m {
		if r.Status == RevocationNotChecked {
			old.NoSource = append(old.NoSource, k)
			continue
		}
		r.Thumbprint = ""
		old.Answers[k] = r
	}
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if len(compact)*4 > len(data)*3 {
		t.Errorf("compact file is %d bytes, the older form %d", len(compact), len(data))
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readRevocation(s); !reflect.DeepEqual(got, m) {
		t.Errorf("the older form reads back differently:\n%+v", got)
	}

	// A chain naming a CA answer that is not in the file.
	th := fmt.Sprintf("%064X", 1)
	data = []byte(`{"answers":{"` + th + `":{"status":"good","chain":[{"ca":"` + strings.Repeat("DD", 32) + `"}]}},"noSource":[]}`)
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readRevocation(s); len(got) != 0 {
		t.Errorf("an answer naming a missing CA answer was kept: %+v", got)
	}
}

// TestRevocationLean: without chains the answers read the same but for
// their chains, and cachedOnly tells when a pass may do with them: every
// certificate has a current answer and (with all) no answer is stale.
func TestRevocationLean(t *testing.T) {
	c, _ := New(Options{Location: store.LocationAt(t.TempDir())})
	s, _ := c.Store(store.User)
	m := sharedCAAnswers(10)
	if err := writeRevocation(s, m); err != nil {
		t.Fatal(err)
	}
	lean := readAnswers(s, false)
	var es []store.Entry
	for k, r := range m {
		r.Chain = nil
		if !reflect.DeepEqual(lean[k], r) {
			t.Errorf("%s: %+v, want %+v", k, lean[k], r)
		}
		es = append(es, store.Entry{Thumbprint: k})
	}
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	if !cachedOnly(lean, es, now, true) {
		t.Error("all current: not cached only")
	}
	if cachedOnly(lean, es[1:], now, true) || !cachedOnly(lean, es[1:], now, false) {
		t.Error("an answer about a certificate gone from My must be dropped, so written")
	}
	if cachedOnly(lean, append(es, store.Entry{Thumbprint: strings.Repeat("EE", 32)}), now, false) {
		t.Error("a certificate without an answer: cached only")
	}
	if cachedOnly(lean, es, now.Add(24*time.Hour), false) {
		t.Error("expired answers: cached only")
	}
}
