package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
)

// TestRevocationCheck: enroll at testca, "revocation check" says good and
// exits 0; "testca revoke" (another process's view of the CA directory),
// then the check says revoked and exits 1, and store list/show -json and
// status carry it.
func TestRevocationCheck(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	code, out, stderr := runCLIStdin(t, "", "enroll", "-server", s.ID, "-template", testca.TemplateUser, "-json")
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("enroll: %d %s %s", code, out, stderr)
	}
	if code, out, _ := runCLIStdin(t, "", "revocation", "check"); code != exitOK || !strings.Contains(out, res.Thumbprint+"  good") {
		t.Fatalf("check: %d %s", code, out)
	}
	if code, out, stderr := runCLIStdin(t, "", "testca", "revoke", "-dir", caDir(t, ca), res.Thumbprint, "-reason", "keyCompromise"); code != exitOK {
		t.Fatalf("testca revoke: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCLIStdin(t, "", "revocation", "check", res.Thumbprint, "-json")
	var rs []app.RevocationResult
	if code != exitFail || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != 1 || rs[0].Status != app.RevocationRevoked || rs[0].Reason != "keyCompromise" {
		t.Fatalf("check revoked: %d %s", code, out)
	}
	if _, out, _ := runCLIStdin(t, "", "store", "list", "-json"); !strings.Contains(out, `"revocation":"revoked"`) {
		t.Errorf("store list -json: %s", out)
	}
	if _, out, _ := runCLIStdin(t, "", "store", "show", res.Thumbprint, "-json"); !strings.Contains(out, `"reason": "keyCompromise"`) {
		t.Errorf("store show -json: %s", out)
	}
	if code, out, _ := runCLIStdin(t, "", "status"); code != int(app.LevelCritical) || !strings.Contains(out, "revoked (keyCompromise)") {
		t.Errorf("status: %d %s", code, out)
	}
	if code, _, stderr := runCLIStdin(t, "", "testca", "revoke", "-dir", caDir(t, ca), "00"); code != exitFail || !strings.Contains(stderr, "no issued certificate") {
		t.Errorf("revoke unknown: %d %s", code, stderr)
	}
	if code, _, _ := runCLIStdin(t, "", "revocation"); code != exitUsage {
		t.Errorf("revocation without check: %d", code)
	}
}

// caDir is the directory of ca: where its root.pem is.
func caDir(t *testing.T, ca *testca.CA) string {
	t.Helper()
	return strings.TrimSuffix(ca.RootFile(), "/root.pem")
}
