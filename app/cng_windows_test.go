package app

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/cngkey"
	"github.com/certdesk/certdesk/store"
)

// TestEnrollTPMThroughCNG: on Windows with no TPM address configured,
// UserTPM's key is made in the Platform Crypto Provider. Where the
// provider works the entry says cng and names the key, and the key signs
// again for the entry; where it does not (no TPM) enrollment stops in one
// sentence before the CA sees a request. Wine 8's NCrypt makes RSA keys
// in memory under any provider name but cannot open them again: there the
// entry is written and opening its key fails clearly (docs/keys.md).
func TestEnrollTPMThroughCNG(t *testing.T) {
	e, srv := newServerEnv(t)
	ctx := context.Background()
	t.Setenv("CERTDESK_TPM", "")
	res, err := e.core.Enroll(ctx, EnrollRequest{Context: store.User, Server: srv.ID, Template: testca.TemplateUserTPM})
	if err != nil {
		if !strings.HasPrefix(err.Error(), `template "UserTPM" requires the key to be kept in a TPM; the Windows provider "Microsoft Platform Crypto Provider" is not available`) &&
			!strings.HasPrefix(err.Error(), `a key for template "UserTPM": `) {
			t.Fatalf("enroll: %v", err)
		}
		if n := e.requestsAt(t); n != 0 {
			t.Errorf("the CA received %d requests", n)
		}
		t.Logf("no Platform Crypto Provider here: %v", err)
		return
	}
	s, _ := e.core.Store(store.User)
	got, err := s.Get(ctx, store.My, res.Thumbprint)
	if err != nil || got.KeyStorage != store.KeyCNG || !strings.HasPrefix(got.Meta.KeyRef, cngkey.PlatformProvider+"/certdesk-") || !got.Meta.NonExportable {
		t.Fatalf("entry %+v, %v", got.Meta, err)
	}
	pk, err := e.core.entrySigner(ctx, s, store.My, got)
	if err != nil {
		var ne *cngkey.Error
		if !errors.As(err, &ne) || ne.Err == nil {
			t.Fatalf("open the key: %v", err)
		}
		t.Logf("the key does not open again here: %v", err)
		return
	}
	defer pk.close()
	if !pk.signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(got.Certificate.PublicKey) {
		t.Error("the provider's key is not the certificate's")
	}
}
