package app

import (
	"context"
	"testing"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

func TestAutoEnrollment(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	srv := e.addServer(t, "")
	if err := e.core.SetAutoEnroll(ctx, store.User, srv.ID, true); err != nil {
		t.Fatal(err)
	}
	// Without a saved password autoenrollment cannot work: reported once.
	rep, err := e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 1 || len(rep.Enrollments) != 1 {
		t.Fatalf("without a password: %+v, %v", rep, err)
	}
	if rep, _ = e.core.Pulse(ctx, store.User); rep.Failed != 0 || len(rep.Enrollments) != 0 {
		t.Fatalf("the permanent failure was reported again: %+v", rep)
	}
	if err := e.core.SetPassword(ctx, store.User, srv, testca.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	if err := e.core.ResetRetry(ctx, store.User, autoPrefix+srv.ID); err != nil {
		t.Fatal(err)
	}
	rep, err = e.core.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Enrollments) == 0 {
		t.Fatalf("with a password: %+v, %v", rep, err)
	}
	got := map[string]bool{}
	for _, a := range rep.Enrollments {
		if a.Outcome != OutcomeOK {
			t.Errorf("enrollment %+v", a)
		}
		got[a.Template] = true
	}
	// User is the built-in template with the autoenroll flag; templates
	// that need a subject typed in never qualify.
	if !got[testca.TemplateUser] || got[testca.TemplateWebServer] {
		t.Errorf("enrolled %v", got)
	}
	if rep, _ = e.core.Pulse(ctx, store.User); len(rep.Enrollments) != 0 {
		t.Errorf("enrolled again: %+v", rep.Enrollments)
	}
}
