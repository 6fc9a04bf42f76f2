package app

import (
	"context"
	"testing"

	"github.com/certdesk/certdesk/store"
)

// TestServerCASCEP: the add dialog's fingerprint of an NDES over plain
// http is the CA GetCACert names, fetched before any pin exists.
func TestServerCASCEP(t *testing.T) {
	e := newEnv(t, envOpt{})
	h, err := e.srv.StartSCEPHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ca, err := e.core.ServerCA(context.Background(), store.User, ServerOptions{URL: h.URL(), Protocol: ProtocolSCEP})
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Equal(e.ca.Issuing()) && !ca.Equal(e.ca.Root()) {
		t.Errorf("ServerCA gave %s", ca.Subject)
	}
	if e.srv.SCEPOperations() != 0 {
		t.Errorf("%d PKIOperations sent to fetch the CA", e.srv.SCEPOperations())
	}
}
