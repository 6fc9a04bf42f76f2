package cli

import (
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll/testca"
)

// "templates -refresh" fetches the policy in full (no lastUpdate), so does
// the first use of the policy after "pulse -retry", and an empty answer
// keeps the cached templates.
func TestTemplatesRefreshFetchesInFull(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates: %d %s", code, out)
	}
	n := len(srv.PolicyRequests())
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID, "-refresh"); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates -refresh: %d %s", code, out)
	}
	lus := srv.PolicyRequests()
	if len(lus) != n+1 || !lus[n].IsZero() {
		t.Fatalf("templates -refresh sent %v; want one request without lastUpdate", lus[n:])
	}
	// pulse -retry makes the next use of the cached policy a full fetch.
	if code, _, stderr := runCLIStdin(t, "", "pulse", "-retry"); code != exitOK {
		t.Fatalf("pulse -retry: %d %s", code, stderr)
	}
	n = len(srv.PolicyRequests())
	if code, _, _ := runCLIStdin(t, "", "templates", "-server", s.ID); code != exitOK {
		t.Fatalf("templates after pulse -retry: %d", code)
	}
	if lus := srv.PolicyRequests(); len(lus) != n+1 || !lus[n].IsZero() {
		t.Fatalf("templates after pulse -retry sent %v; want one request without lastUpdate", lus[n:])
	}
	srv.SetEmptyPolicies(testca.EmptyPoliciesOnce)
	if code, out, _ := runCLIStdin(t, "", "templates", "-server", s.ID, "-refresh"); code != exitOK || !strings.Contains(out, testca.TemplateShortLived) {
		t.Fatalf("templates -refresh over an empty answer: %d %s", code, out)
	}
	if code, out, _ := runCLIStdin(t, "", "history", "-json"); code != exitOK || !strings.Contains(out, `"policy"`) {
		t.Errorf("the empty answer is not in the history: %s", out)
	}
}
