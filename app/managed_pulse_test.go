package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// managedServerEnv is a testca environment whose only policy server comes
// from a managed file: password authentication with the person's saved
// password, autoenrollment of template, the CA pinned, and the file's
// settings object settings (JSON, "{}" for none). It returns the server.
func managedServerEnv(t *testing.T, template, settings string) (*env, Server) {
	t.Helper()
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.setManaged(t, e.managedBody(template, e.trustRoot(t), settings))
	srv, err := e.core.Server(store.User, e.srv.CEPURL())
	if err != nil || !srv.Managed {
		t.Fatalf("managed server: %+v, %v", srv, err)
	}
	pw := testca.DefaultPassword
	if _, err := e.core.UpdateServer(ctx, store.User, srv.ID, ServerUpdate{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	return e, srv
}

// trustRoot adds testca's root to the user context's Root store and
// returns its SHA-256 fingerprint, for a managed caFingerprint.
func (e *env) trustRoot(t *testing.T) string {
	t.Helper()
	root, err := caFile(e.ca.RootFile())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.core.Store(store.User)
	if _, _, err := s.Add(context.Background(), store.Root, root.Certs[0], nil, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(root.Certs[0].Raw)
	return hex.EncodeToString(sum[:])
}

// managedBody is a managed file of one server, testca's, with password
// authentication, autoenrollment of template and CA pin, and the
// settings object settings.
func (e *env) managedBody(template, pin, settings string) string {
	return `{"settings": ` + settings + `, "servers": [{"url": "` + e.srv.CEPURL() + `", "username": "` + testca.DefaultUser +
		`", "autoEnroll": true, "templates": ["` + template + `"], "caFingerprint": "` + pin + `"}]}`
}

// setManaged gives the core the managed file body, which must have no
// problems.
func (e *env) setManaged(t *testing.T, body string) {
	t.Helper()
	m, err := writeManaged(t, body)
	if err != nil || len(m.Problems) > 0 {
		t.Fatal(m, err)
	}
	e.core.managed = m
}

// TestManagedServerRenews: a certificate autoenrollment enrolled from a
// managed server is renewed by a later pulse through that server (its CA
// pin held), and autoenrollment does not enroll a second one.
func TestManagedServerRenews(t *testing.T) {
	e, srv := managedServerEnv(t, testca.TemplateShortLived, "{}")
	ctx := context.Background()
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Enrollments) != 1 || rep.Enrollments[0].Outcome != OutcomeOK || rep.Enrollments[0].Server != srv.ID {
		t.Fatalf("autoenrollment: %+v, %v", rep, err)
	}
	old := rep.Enrollments[0].Thumbprint
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK ||
		rep.Renewals[0].Thumbprint != old || len(rep.Enrollments) != 0 {
		t.Fatalf("renewal: %+v, %v", rep, err)
	}
	s, _ := e.core.Store(store.User)
	if oe, err := s.Get(ctx, store.My, old); err != nil || !oe.Meta.Archived {
		t.Errorf("the renewed certificate is not archived: %v", err)
	}
	ne, err := s.Get(ctx, store.My, rep.Renewals[0].NewThumbprint)
	if err != nil || ne.Meta.PolicyServer != srv.ID || ne.Meta.TemplateName != testca.TemplateShortLived || ne.Meta.Archived {
		t.Errorf("the renewal %+v, %v", ne.Meta, err)
	}
	// The next pulse finds nothing to do: the renewal holds the template.
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals)+len(rep.Enrollments) != 0 {
		t.Errorf("pulse after the renewal: %+v, %v", rep, err)
	}
}

// TestManagedReenrollRevoked: with reenrollRevoked managed off a revoked
// autoenrolled certificate is reported and stays; once the administrator
// turns it on, the next pulse replaces it.
func TestManagedReenrollRevoked(t *testing.T) {
	e, srv := managedServerEnv(t, testca.TemplateUser, `{"reenrollRevoked": false}`)
	ctx := context.Background()
	if err := e.core.SetSetting("reenrollRevoked", "true"); err == nil {
		t.Error("the person changed a managed reenrollRevoked")
	}
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || len(rep.Enrollments) != 1 || rep.Enrollments[0].Outcome != OutcomeOK {
		t.Fatalf("autoenrollment: %+v, %v", rep, err)
	}
	old := rep.Enrollments[0].Thumbprint
	if _, err := e.ca.Revoke(old, "keyCompromise"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Revocation(ctx, store.User, old, true); err != nil {
		t.Fatal(err)
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Revoked != 1 || len(rep.Enrollments) != 0 {
		t.Fatalf("off: %+v, %v", rep, err)
	}
	s, _ := e.core.Store(store.User)
	if oe, err := s.Get(ctx, store.My, old); err != nil || oe.Meta.Archived {
		t.Fatalf("off: the revoked certificate left My: %v", err)
	}
	e.setManaged(t, e.managedBody(testca.TemplateUser, srv.CAPin, `{"reenrollRevoked": true}`))
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Revoked != 1 || len(rep.Enrollments) != 1 || rep.Enrollments[0].Outcome != OutcomeOK {
		t.Fatalf("on: %+v, %v", rep, err)
	}
	if oe, err := s.Get(ctx, store.My, old); err != nil || !oe.Meta.Archived {
		t.Errorf("on: the revoked certificate is not archived: %v", err)
	}
}
