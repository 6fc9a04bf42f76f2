package app

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http/httptrace"
	"sync/atomic"
	"testing"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// TestClientKeepsConnection: the policy fetch and the request of an
// enrollment, and the next enrollment, share one TLS connection; a root
// removed from the Root store is not trusted through a kept connection or
// a resumed session.
func TestClientKeepsConnection(t *testing.T) {
	e := newEnv(t, envOpt{})
	srv := e.addServer(t, "")
	var handshakes atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{TLSHandshakeStart: func() { handshakes.Add(1) }})
	r := EnrollRequest{Context: store.User, Server: srv.ID, Template: "User", Password: testca.DefaultPassword}
	for i := range 2 {
		if _, err := e.core.Enroll(ctx, r); err != nil {
			t.Fatal(err)
		}
		if n := handshakes.Swap(0); n != int64(1-i) {
			t.Fatalf("enrollment %d: %d TLS handshakes, want %d", i+1, n, 1-i)
		}
	}
	s, _ := e.core.Store(store.User)
	tx, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(ctx, store.Root, store.Thumbprint(e.ca.Root().Raw)); err != nil {
		t.Fatal(err)
	}
	tx.Unlock()
	_, err = e.core.Policies(ctx, store.User, srv.ID, testca.DefaultPassword, true)
	if ue := new(enroll.UntrustedServerError); !errors.As(err, &ue) {
		t.Fatalf("policy fetch after the root was removed: %v, want the server untrusted", err)
	}
}

// countingSigner counts the signatures of a client certificate's key.
type countingSigner struct {
	crypto.Signer
	n *atomic.Int64
}

func (s countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(r, d, o)
}

// TestClientCertificateTransport: an exchange with a TLS client
// certificate signs with the key it was given, never through a
// connection or configuration a previous credential of the same
// certificate left (whose key may be closed since: a token's session);
// the core keeps no transport (and so no key) of a client certificate;
// 10,000 client certificates, as a renewal loop over as many
// certificates uses, leave the core's transports as they were.
func TestClientCertificateTransport(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, "")
	res := e.enroll(t, "User")
	ctx := context.Background()
	s, _ := e.core.Store(store.User)
	key, err := s.Signer(ctx, store.My, res.Thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	ent, err := s.Get(ctx, store.My, res.Thumbprint)
	if err != nil {
		t.Fatal(err)
	}
	anon, err := e.core.httpClient(ctx, s, credential{})
	if err != nil {
		t.Fatal(err)
	}
	var signed [2]atomic.Int64
	for i := range signed {
		hc, err := e.core.httpClient(ctx, s, credential{cert: clientCert(ent.Certificate, countingSigner{key, &signed[i]})})
		if err != nil {
			t.Fatal(err)
		}
		r, err := hc.Get(e.srv.KBRCEPURL())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if n := signed[i].Load(); n != 1 {
			t.Fatalf("credential %d: its key signed %d times, want 1 (previous keys: %d)", i+1, n, signed[0].Load())
		}
	}
	for i := range 10000 {
		der := []byte(fmt.Sprintf("not a certificate %d", i))
		if _, err := e.core.httpClient(ctx, s, credential{cert: &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := e.core.httpClient(ctx, s, credential{}); again.Transport != anon.Transport {
		t.Errorf("client certificates pushed out the anonymous transport")
	}
	e.core.transportsMu.Lock()
	defer e.core.transportsMu.Unlock()
	for _, tr := range e.core.transports {
		if tr.TLSClientConfig.GetClientCertificate != nil {
			t.Errorf("the core keeps a transport of a client certificate")
		}
	}
}
