package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/apachetest"
	"github.com/certdesk/certdesk/store"
)

// TestKeyBasedRenewalThroughApache: pulse renews a due certificate by
// key-based renewal through Apache httpd, which asks for the client
// certificate after reading the request, as IIS does, and allows TLS 1.3;
// the core's certificate connections stay at TLS 1.2 and renegotiate
// (issue #16; enroll's TestApacheRenegotiation shows what TLS 1.3 would do).
func TestKeyBasedRenewalThroughApache(t *testing.T) {
	bin := apachetest.Binary(t)
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	behind, err := testca.New(testca.Config{Dir: e.caDir, KBR: true, Clock: e.clock.Now, BehindProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	backend, err := behind.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	a := apachetest.Start(t, bin, behind, backend.URL(), "-all +TLSv1.2 +TLSv1.3")
	if _, err := e.core.AddServer(ctx, store.User, ServerOptions{URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser,
		CAFile: e.ca.RootFile(), TrustCA: true, KBRURL: a.URL + testca.PathKBRCEP}); err != nil {
		t.Fatal(err)
	}
	e.enroll(t, testca.TemplateShortLived)
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK || rep.Renewals[0].Method != MethodKeyBased {
		t.Fatalf("pulse: %+v, %v", rep, err)
	}
	ces := strings.TrimPrefix(e.srv.CESCertURL(), e.srv.URL())
	a.Expect(t, `"POST `+testca.PathKBRCEP+` HTTP/1.1" TLSv1.2 200`, "AH02221: Requesting connection re-negotiation")
	a.Expect(t, `"POST `+ces+` HTTP/1.1" TLSv1.2 200`)
}
