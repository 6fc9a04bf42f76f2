package app

import (
	"context"
	"errors"
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
