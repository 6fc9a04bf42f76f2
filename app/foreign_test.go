package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// wantForeignChainDropped fails unless the CA store holds exactly the
// testca's issuing CA and the history records the dropped chain
// certificates.
func (e *env) wantForeignChainDropped(t *testing.T) {
	t.Helper()
	want := []string{store.Thumbprint(e.ca.Issuing().Raw)}
	if got := e.list(t, store.CA); !slices.Equal(got, want) {
		t.Errorf("CA store %v, want only the issuing CA %v", got, want)
	}
	if roots := e.list(t, store.Root); len(roots) != 1 {
		t.Errorf("Root store %v, want the trusted CA file only", roots)
	}
	for _, r := range e.history(t) {
		if r.Action == ActionInstall && strings.Contains(r.Reason, "3 certificate(s)") {
			return
		}
	}
	t.Errorf("history %+v records no dropped chain certificates", e.history(t))
}

// TestEnrollForeignChainCertsNotStored: an issued answer whose PKCS#7
// also carries an unrelated root, intermediate and leaf leaves only the
// real issuing CA in the CA store.
func TestEnrollForeignChainCertsNotStored(t *testing.T) {
	e, _ := newServerEnv(t)
	e.srv.SetFault(testca.FaultForeignChain)
	if res := e.enroll(t, testca.TemplateUser); res.Status != StatusIssued {
		t.Fatalf("enroll: %+v", res)
	}
	e.wantForeignChainDropped(t)
}

// TestPolledForeignChainCertsNotStored: the same for a pending request's
// certificate fetched by a poll.
func TestPolledForeignChainCertsNotStored(t *testing.T) {
	e, _ := newServerEnv(t)
	res := e.enroll(t, testca.TemplatePendAll)
	if _, err := e.ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	e.srv.SetFault(testca.FaultForeignChain)
	e.statusOne(t, OutcomeOK)
	e.wantForeignChainDropped(t)
}

// TestPollGoesToSubmittedCES: a pending answer naming another URL for
// polling is polled at the CES it was submitted to; the other URL, whose
// TLS certificate the context even trusts, gets no connection, so never
// the saved password.
func TestPollGoesToSubmittedCES(t *testing.T) {
	e, _ := newServerEnv(t)
	ctx := context.Background()
	foreign, conns, reqs := e.foreignTLS(t)

	e.srv.SetForeignPollURL(foreign + "/ces")
	e.srv.SetFault(testca.FaultForeignPollURL)
	res := e.enroll(t, testca.TemplatePendAll)
	if res.Status != StatusPending {
		t.Fatalf("enroll: %+v", res)
	}
	s, _ := e.core.Store(store.User)
	req, err := s.Get(ctx, store.Request, res.Thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	if req.Meta.PollURL != e.srv.CESURL() {
		t.Errorf("stored poll URL %q, want the CES submitted to %q", req.Meta.PollURL, e.srv.CESURL())
	}
	e.statusOne(t, OutcomePending)
	if _, err := e.ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeOK {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	if n, m := conns.Load(), reqs.Load(); n != 0 || m != 0 {
		t.Errorf("the foreign poll URL got %d connections, %d requests; want none", n, m)
	}
}

// TestStoredForeignPollURLNotPolled: a pending request an older certdesk
// stored with the URL an answer named is not polled there.
func TestStoredForeignPollURLNotPolled(t *testing.T) {
	e, srv := newServerEnv(t)
	ctx := context.Background()
	res := e.enroll(t, testca.TemplatePendAll) // caches the policy
	foreign, _, reqs := e.foreignTLS(t)
	s, _ := e.core.Store(store.User)
	if err := s.Purge(ctx, store.Request, res.Thumbprint); err != nil {
		t.Fatal(err)
	}
	key, err := enroll.GenerateKey(rand.Reader, enroll.KeyType{Algorithm: x509.ECDSA, Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRequest(ctx, key, pkix.Name{CommonName: "legacy"},
		store.Meta{PolicyServer: srv.ID, RequestID: res.RequestID, PollURL: foreign + "/ces"}); err != nil {
		t.Fatal(err)
	}
	if o := e.statusOne(t, OutcomeFailed); !strings.Contains(o.Reason, "not a CES") {
		t.Fatalf("status: %+v", o)
	}
	if n := reqs.Load(); n != 0 {
		t.Errorf("the foreign poll URL got %d requests", n)
	}
}

// TestRenewalForeignChainCertsNotStored: the same for a renewal's answer.
func TestRenewalForeignChainCertsNotStored(t *testing.T) {
	e, _ := newServerEnv(t)
	res := e.enroll(t, testca.TemplateUser)
	e.srv.SetFault(testca.FaultForeignChain)
	o, err := e.core.Renew(context.Background(), store.User, res.Thumbprint)
	if err != nil || o.Outcome != OutcomeOK {
		t.Fatalf("renew: %+v, %v", o, err)
	}
	e.wantForeignChainDropped(t)
}

// TestAcceptForeignChainCertsNotStored: "request accept" of a file that
// carries, besides the issued certificate and its CA, an unrelated root,
// intermediate and leaf stores only the issuing CA.
func TestAcceptForeignChainCertsNotStored(t *testing.T) {
	e, _ := newServerEnv(t)
	res := e.enroll(t, testca.TemplatePendAll)
	issued, err := e.ca.Approve(res.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	var file []byte
	for _, c := range append([]*x509.Certificate{issued, e.ca.Issuing(), e.ca.Root()}, foreignChain(t)...) {
		file = append(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if _, err := e.core.RequestAccept(context.Background(), store.User, "answer.pem", file); err != nil {
		t.Fatal(err)
	}
	e.wantForeignChainDropped(t)
}

// foreignChain makes an unrelated root, an intermediate it signed and a
// leaf that intermediate signed.
func foreignChain(t *testing.T) []*x509.Certificate {
	return certChain(t, "Foreign Root", "Foreign Intermediate", "foreign leaf")
}

// certChain makes a certificate for each name, the first self-signed,
// each signed by the one before; all but the last are CAs.
func certChain(t *testing.T, names ...string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	var parent *x509.Certificate
	var parentKey *ecdsa.PrivateKey
	for i, cn := range names {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			BasicConstraintsValid: true, IsCA: i < len(names)-1, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		out, parent, parentKey = append(out, c), c, key
	}
	return out
}
