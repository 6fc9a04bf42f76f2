package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/internal/systrust"
	"github.com/certdesk/certdesk/internal/systrust/systrusttest"
	"github.com/certdesk/certdesk/store"
	"software.sslmate.com/src/go-pkcs12"
)

func needCmds(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed (Debian: ca-certificates, libnss3-tools, openssl)", c)
		}
	}
}

// TestPublishCLIBrowsers: an imported identity and root go into the
// browser database under HOME (a temporary one), store show says so,
// and unpublish takes them out again.
func TestPublishCLIBrowsers(t *testing.T) {
	needCmds(t, "certutil", "pk12util")
	setupRoot(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	db := filepath.Join(home, ".pki", "nssdb")
	dir := t.TempDir()
	ca, leaf, key := testCert(t)
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{ca}, "pw")
	os.WriteFile(filepath.Join(dir, "c.pfx"), pfx, 0o600)
	leafT, caT := store.Thumbprint(leaf.Raw), store.Thumbprint(ca.Raw)
	listed := func() string {
		out, _ := exec.Command("certutil", "-L", "-d", "sql:"+db).CombinedOutput()
		return string(out)
	}
	steps := []struct {
		name, stdin string
		args        []string
		code        int
		out         string
	}{
		{"import", "pw", []string{"store", "import", "-password-stdin", "-trust-roots", dir + "/c.pfx"}, 0, leafT},
		{"publish identity", "", []string{"store", "publish", "-to", "browsers", leafT}, 0, "available to browsers (" + db + ")"},
		{"publish root", "", []string{"store", "publish", "-to", "browsers", "-store", "Root", caT}, 0, "available to browsers"},
		{"show", "", []string{"store", "show", leafT}, 0, "Published:   available to browsers"},
		{"show root", "", []string{"store", "show", "-store", "Root", caT}, 0, "Published:   available to browsers"},
	}
	for _, st := range steps {
		code, out, errs := runCLIStdin(t, st.stdin, st.args...)
		if code != st.code || !strings.Contains(out, st.out) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", st.name, code, st.code, out, errs)
		}
	}
	// NSS keeps one nickname per certificate: the root came first with
	// the identity's chain, so it is found by its DER, not its name.
	nss := &systrust.NSS{Dir: db}
	for _, der := range [][]byte{leaf.Raw, ca.Raw} {
		if ok, err := nss.Contains(context.Background(), der); !ok || err != nil {
			t.Fatalf("certutil -L lacks %s (%v):\n%s", store.Thumbprint(der), err, listed())
		}
	}
	if l := listed(); !strings.Contains(l, "certdesk-"+leafT) || !strings.Contains(l, "C,,") {
		t.Fatalf("certutil -L:\n%s", l)
	}
	_, out, _ := runCLIStdin(t, "", "store", "show", "-json", leafT)
	var r struct {
		Publication struct {
			Store    string   `json:"store"`
			Browsers []string `json:"browsers"`
		} `json:"publication"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Publication.Store != "My" || len(r.Publication.Browsers) != 1 {
		t.Fatalf("show -json publication %+v, %v:\n%s", r.Publication, err, out)
	}
	// Deleting a published certificate takes it back too.
	for _, a := range [][]string{{"store", "unpublish", "-to", "browsers", leafT}, {"store", "delete", "-store", "Root", caT}} {
		if code, _, e := runCLIStdin(t, "", a...); code != 0 {
			t.Fatalf("%q: %s", a, e)
		}
	}
	for _, der := range [][]byte{leaf.Raw, ca.Raw} {
		if ok, _ := nss.Contains(context.Background(), der); ok {
			t.Fatalf("%s still listed after unpublish:\n%s", store.Thumbprint(der), listed())
		}
	}
	if _, out, _ := runCLIStdin(t, "", "store", "show", leafT); strings.Contains(out, "Published:") {
		t.Fatalf("show after unpublish:\n%s", out)
	}
}

// TestPublishCLISystem: "sudo certdesk store publish -to system THUMB"
// (machine/Root by default) makes a leaf verify against the system
// bundle; unpublish undoes it. Root only; serialised with systrust's tests.
func TestPublishCLISystem(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing the system trust store needs root")
	}
	needCmds(t, "update-ca-certificates", "openssl")
	systrusttest.Lock(t)
	setupRoot(t)
	ca, leaf, _ := testCert(t)
	caT := store.Thumbprint(ca.Raw)
	anchor := "/usr/local/share/ca-certificates/certdesk-" + caT + ".crt"
	t.Cleanup(func() {
		if _, err := os.Stat(anchor); err == nil {
			os.Remove(anchor)
			exec.Command("update-ca-certificates").Run()
		}
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ca.cer"), ca.Raw, 0o600)
	leafPEM := filepath.Join(dir, "leaf.pem")
	os.WriteFile(leafPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600)
	verify := func() error {
		return exec.Command("openssl", "verify", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", leafPEM).Run()
	}
	if code, _, e := runCLIStdin(t, "", "store", "import", "-context", "machine", "-store", "Root", dir+"/ca.cer"); code != 0 {
		t.Fatal(e)
	}
	if code, out, e := runCLIStdin(t, "", "store", "publish", "-to", "system", caT); code != 0 || !strings.Contains(out, "trusted system-wide") {
		t.Fatalf("publish: exit %d: %s%s", code, out, e)
	}
	if err := verify(); err != nil {
		t.Fatalf("leaf does not verify after publish: %v", err)
	}
	if _, out, _ := runCLIStdin(t, "", "store", "show", "-context", "machine", "-store", "Root", caT); !strings.Contains(out, "Published:   trusted system-wide") {
		t.Fatalf("show:\n%s", out)
	}
	if code, _, e := runCLIStdin(t, "", "store", "unpublish", "-to", "system", caT); code != 0 {
		t.Fatalf("unpublish: %s", e)
	}
	if verify() == nil {
		t.Fatal("leaf still verifies after unpublish")
	}
}

// TestStoreListSystemLinux: Linux has no native store to list; the CLI
// says so in one line and exits 1.
func TestStoreListSystemLinux(t *testing.T) {
	setupRoot(t)
	for _, args := range [][]string{{"store", "list", "-system"}, {"store", "list", "-system", "-context", "machine", "-store", "Root", "-json"}} {
		code, out, errs := runCLIStdin(t, "", args...)
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "no such native certificate store") {
			t.Fatalf("%q: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
		}
	}
}
