package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// enrollFor runs "enroll" against server id and returns the thumbprint.
func enrollFor(t *testing.T, id string, args ...string) string {
	t.Helper()
	code, out, stderr := runCLIStdin(t, "", append([]string{"enroll", "-server", id, "-json"}, args...)...)
	var res app.EnrollResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Status != app.StatusIssued {
		t.Fatalf("enroll %v: %d %s %s", args, code, out, stderr)
	}
	return res.Thumbprint
}

// TestStoreListLong: "store list -l" shows an issued certificate's
// template, days left and due date, "-" for an imported one, the last error
// of a failed renewal, and escapes a hostile subject; "-l -json" is refused.
func TestStoreListLong(t *testing.T) {
	root := setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	s, _ := addPasswordServer(t, ca, srv.CEPURL())
	issued := enrollFor(t, s.ID, "-template", testca.TemplateUser)
	failed := enrollFor(t, s.ID, "-template", testca.TemplateWebServer, "-subject", "CN=web.example", "-dns", "web.example")

	// An imported certificate whose subject forges a row and colours the terminal.
	// Signed by another certificate, so it goes to My, not Root.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	issuer := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Other Root"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageCertSign}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "evil\x1b[31m\tX\nFORGED"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10*24*time.Hour + time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), key)
	p := filepath.Join(t.TempDir(), "evil.cer")
	os.WriteFile(p, der, 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", p); code != exitOK {
		t.Fatal(e)
	}
	imported := store.Thumbprint(der)

	// A renewal that failed, as the pulse records it.
	retry, _ := json.Marshal(map[string]app.RetryState{failed: {Failures: 2, LastAttempt: now, NextAttempt: now.Add(time.Hour),
		LastError: "server down\x1b[2J"}})
	if err := os.WriteFile(filepath.Join(root, "state", "user", app.RetryFile), retry, 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runCLIStdin(t, "", "store", "list", "-l")
	if code != exitOK || stderr != "" {
		t.Fatalf("store list -l: %d %s %s", code, out, stderr)
	}
	if strings.ContainsAny(out, "\x1b") || strings.Contains(out, "\nFORGED") || !strings.Contains(out, `evil\x1b[31m\x09X\x0aFORGED`) {
		t.Errorf("hostile subject not escaped:\n%s", out)
	}
	core, err := app.Open(store.Location{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := core.Store(store.User)
	es, _ := st.List(t.Context(), store.My, store.ListOptions{})
	due, err := core.DueTimes(store.User, es)
	if err != nil || len(due) != 2 {
		t.Fatalf("DueTimes: %v %v", due, err)
	}
	rows := map[string][]string{}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if h := strings.Fields(lines[0]); strings.Join(h, " ") != "THUMBPRINT NOT AFTER DAYS DUE KEY TEMPLATE REVOCATION SUBJECT LAST ERROR" {
		t.Errorf("header %q", lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		rows[f[0]] = f
	}
	if len(rows) != 3 {
		t.Fatalf("want 3 rows:\n%s", out)
	}
	// THUMBPRINT NOT-AFTER DAYS DUE KEY TEMPLATE REVOCATION(2 words) SUBJECT LAST-ERROR...
	day := func(t time.Time) string { return t.Local().Format("2006-01-02") }
	want := map[string][]string{
		issued:   {day(due[issued]), "yes", testca.TemplateUser, "not", "checked"},
		failed:   {day(due[failed]), "yes", testca.TemplateWebServer, "not", "checked", "web.example", `server`, `down\x1b[2J`},
		imported: {"-", "-", "-", "not", "checked"},
	}
	for tp, w := range want {
		r := rows[tp]
		if got := strings.Join(r[3:3+len(w)], " "); got != strings.Join(w, " ") {
			t.Errorf("%s: columns %q, want %q", tp, got, strings.Join(w, " "))
		}
	}
	if r := rows[issued]; r[len(r)-1] != "-" {
		t.Errorf("issued: last error %q, want -", r[len(r)-1])
	}
	if r := rows[imported]; r[2] != "10" {
		t.Errorf("imported: %s days left, want 10", r[2])
	}

	// -json carries the same renewal state as meta.renewal, in list and show.
	for _, args := range [][]string{{"store", "list", "-json"}, {"store", "show", "-json", failed}} {
		code, out, stderr = runCLIStdin(t, "", args...)
		var got []store.Entry
		if args[1] == "show" {
			var one store.Entry
			err = json.Unmarshal([]byte(out), &one)
			got = append(got, one)
		} else {
			err = json.Unmarshal([]byte(out), &got)
		}
		if code != exitOK || err != nil {
			t.Fatalf("%v: %d %v %s", args, code, err, stderr)
		}
		for _, e := range got {
			if r := e.Meta.Renewal; (e.Thumbprint == failed) != (r.Failures == 2 && r.LastError == "server down\x1b[2J") {
				t.Errorf("%v: %s has meta.renewal %+v", args, e.Thumbprint, r)
			}
		}
	}

	code, out, stderr = runCLIStdin(t, "", "store", "list", "-l", "-json")
	if code != exitUsage || out != "" || !strings.Contains(stderr, "-l") {
		t.Errorf("store list -l -json: %d %q %q", code, out, stderr)
	}
}
