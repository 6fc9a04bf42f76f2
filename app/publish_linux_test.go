package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"github.com/certdesk/certdesk/internal/systrust/systrusttest"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/systrust"
	"github.com/certdesk/certdesk/store"
)

// needTools skips unless the commands are installed (setup-debian.sh
// installs them, so make test and CI always run these tests).
func needTools(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed (Debian: ca-certificates, libnss3-tools, openssl)", c)
		}
	}
}

// nssList returns certutil -L of the database in dir.
func nssList(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("certutil", "-L", "-d", "sql:"+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L -d sql:%s: %v: %s", dir, err, out)
	}
	return string(out)
}

// nssKeys returns how many private keys the database in dir holds.
func nssKeys(dir string) int {
	out, _ := exec.Command("certutil", "-K", "-d", "sql:"+dir).CombinedOutput()
	return strings.Count(string(out), "\n<")
}

// nssCerts returns the nicknames of the certificates in dir with their
// trust flags.
func nssCerts(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(nssList(t, dir), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Count(f[len(f)-1], ",") == 2 && !strings.Contains(line, "SSL,S/MIME") {
			m[strings.Join(f[:len(f)-1], " ")] = f[len(f)-1]
		}
	}
	return m
}

// TestPublishSystemReal changes this machine's trust store for real (root
// only): a leaf of a fresh root verifies against the system bundle after
// Publish and no longer after Unpublish; a cleanup undoes it on failure.
func TestPublishSystemReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing the system trust store needs root")
	}
	needTools(t, "update-ca-certificates", "openssl")
	// The lock systrust's own test takes: one bundle, many test processes.
	systrusttest.Lock(t)

	ctx := context.Background()
	c := pubCore(t)
	p := newPubPKI(t, "publish.test")
	anchor, err := (&systrust.System{}).Path(p.root.Raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(anchor); err == nil {
			os.Remove(anchor)
			exec.Command("update-ca-certificates").Run()
		}
	})
	leafPEM := filepath.Join(t.TempDir(), "leaf.pem")
	os.WriteFile(leafPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.leaf.Raw}), 0o600)
	verify := func() error {
		return exec.Command("openssl", "verify", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", leafPEM).Run()
	}
	th := add(t, c, store.Machine, store.Root, p.root, nil)
	if verify() == nil {
		t.Fatal("leaf verified before its root was published")
	}
	if pub, err := c.Publish(ctx, store.Machine, store.Root, th, TargetSystem); err != nil || !pub.System {
		t.Fatalf("Publish = %+v, %v", pub, err)
	}
	if err := verify(); err != nil {
		t.Fatalf("leaf does not verify after Publish: %v", err)
	}
	if err := c.Unpublish(ctx, store.Machine, store.Root, th, TargetSystem); err != nil {
		t.Fatal(err)
	}
	if verify() == nil {
		t.Fatal("leaf still verifies after Unpublish")
	}
	if m, _ := c.Published(store.Machine); len(m) != 0 {
		t.Fatalf("Published after Unpublish = %+v", m)
	}
}

// TestPublishBrowsersReal publishes a user root and an identity to two
// temporary NSS databases (never the real home) and removes them again.
func TestPublishBrowsersReal(t *testing.T) {
	needTools(t, "certutil", "pk12util")
	ctx := context.Background()
	dirs := []string{filepath.Join(t.TempDir(), "nssdb"), filepath.Join(t.TempDir(), "firefox")}
	c := pubCore(t, dirs...)
	p := newPubPKI(t, "browser.test")
	root := add(t, c, store.User, store.Root, p.root, nil)
	leaf := add(t, c, store.User, store.My, p.leaf, p.key)

	for _, st := range []struct {
		name  string
		n     store.Name
		thumb string
	}{{"root", store.Root, root}, {"identity", store.My, leaf}} {
		pub, err := c.Publish(ctx, store.User, st.n, st.thumb, TargetBrowsers)
		if err != nil || len(pub.Browsers) != 2 {
			t.Fatalf("%s: Publish = %+v, %v", st.name, pub, err)
		}
		for _, d := range dirs {
			if l := nssList(t, d); !strings.Contains(l, "certdesk-"+st.thumb) {
				t.Fatalf("%s: %s does not list it:\n%s", st.name, d, l)
			}
		}
	}
	for _, d := range dirs {
		if n := nssKeys(d); n != 1 {
			t.Fatalf("%s holds %d keys, want the identity's", d, n)
		}
		trust := map[string]string{}
		for _, line := range strings.Split(nssList(t, d), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				trust[f[0]] = f[1]
			}
		}
		if trust["certdesk-"+root] != "C,," || trust["certdesk-"+leaf] != "u,u,u" {
			t.Fatalf("trust flags in %s: %v, want the root C,, and the identity u,u,u", d, trust)
		}
	}
	m, err := c.Published(store.User)
	if err != nil || len(m[root].Browsers) != 2 || m[leaf].Store != store.My {
		t.Fatalf("Published = %+v, %v", m, err)
	}
	// Publishing again changes nothing.
	if _, err := c.Publish(ctx, store.User, store.My, leaf, TargetBrowsers); err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	for _, st := range []struct {
		n     store.Name
		thumb string
	}{{store.Root, root}, {store.My, leaf}} {
		if err := c.Unpublish(ctx, store.User, st.n, st.thumb, TargetBrowsers); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range dirs {
		if l := nssList(t, d); strings.Contains(l, "certdesk-") {
			t.Fatalf("%s still lists:\n%s", d, l)
		}
		if n := nssKeys(d); n != 0 {
			t.Fatalf("%s still holds %d keys", d, n)
		}
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published after Unpublish = %+v", m)
	}
	// Unpublishing what is not published is not an error.
	if err := c.Unpublish(ctx, store.User, store.Root, root, TargetBrowsers); err != nil {
		t.Fatal(err)
	}
}

// TestRenewalRepublishes: a renewed certificate that had been published
// to browsers is published in its place and the archived one removed.
func TestRenewalRepublishes(t *testing.T) {
	needTools(t, "certutil", "pk12util")
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived)
	dir := filepath.Join(t.TempDir(), "nssdb")
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(),
		BrowserDBs: func() ([]string, error) { return []string{dir}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, store.User, store.My, res.Thumbprint, TargetBrowsers); err != nil {
		t.Fatal(err)
	}
	before := len(nssCerts(t, dir)) // the certificate and its chain
	if before < 2 {
		t.Fatalf("the identity came without its chain:\n%s", nssList(t, dir))
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err := c.Pulse(ctx, store.User)
	if err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("pulse %+v, %v", rep, err)
	}
	ne := rep.Renewals[0].NewThumbprint
	l := nssList(t, dir)
	if !strings.Contains(l, "certdesk-"+ne) || strings.Contains(l, "certdesk-"+res.Thumbprint) {
		t.Fatalf("after renewal the database lists:\n%s\nwant %s and not %s", l, ne, res.Thumbprint)
	}
	if n := nssKeys(dir); n != 1 {
		t.Fatalf("database holds %d keys, want the new one only", n)
	}
	m, _ := c.Published(store.User)
	if _, old := m[res.Thumbprint]; old || len(m[ne].Browsers) != 1 {
		t.Fatalf("Published = %+v", m)
	}
	if n := len(nssCerts(t, dir)); n != before {
		t.Fatalf("database holds %d certificates after renewal, want %d (the chain stays):\n%s", n, before, nssList(t, dir))
	}
	recs := e.history(t)
	if last := recs[len(recs)-1]; last.Action != ActionPublish || last.Outcome != OutcomeOK || last.Thumbprint != ne {
		t.Fatalf("history ends with %+v", last)
	}
	// The chain moved to the successor: removing it empties the database.
	if err := c.Unpublish(ctx, store.User, store.My, ne, TargetBrowsers); err != nil {
		t.Fatal(err)
	}
	if l := nssCerts(t, dir); len(l) != 0 {
		t.Fatalf("left after Unpublish: %v", l)
	}
}

// TestPublishIdentityChainReal: two identities under one intermediate
// bring the intermediate and root into the database; the chain stays
// while either is published (or the root is published itself) and goes
// with the last of them, so removal leaves the database as it was.
func TestPublishIdentityChainReal(t *testing.T) {
	needTools(t, "certutil", "pk12util")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nssdb")
	c := pubCore(t, dir)
	p := newPubPKI(t, "chain.test")
	// The "root" of pubPKI serves as intermediate under a fresh root.
	top := newPubPKI(t, "top.test")
	inter := reissue(t, p.root, top)
	rootT := add(t, c, store.User, store.Root, top.root, nil)
	add(t, c, store.User, store.CA, inter, nil)
	a := add(t, c, store.User, store.My, p.leaf, p.key)
	q := newPubPKI(t, "chain2.test")
	leaf2 := reissueLeaf(t, q, p)
	b := add(t, c, store.User, store.My, leaf2, q.key)

	steps := []struct {
		name   string
		do     func() error
		nCerts int
		want   map[string]string // nickname → trust, checked when given
	}{
		{"publish a", func() error { _, err := c.Publish(ctx, store.User, store.My, a, TargetBrowsers); return err }, 3,
			map[string]string{"certdesk-" + a: "u,u,u"}},
		{"publish b", func() error { _, err := c.Publish(ctx, store.User, store.My, b, TargetBrowsers); return err }, 4, nil},
		{"unpublish a keeps b's chain", func() error { return c.Unpublish(ctx, store.User, store.My, a, TargetBrowsers) }, 3,
			map[string]string{"certdesk-" + b: "u,u,u"}},
		{"publish the root", func() error { _, err := c.Publish(ctx, store.User, store.Root, rootT, TargetBrowsers); return err }, 3, nil},
		{"unpublish b keeps the published root", func() error { return c.Unpublish(ctx, store.User, store.My, b, TargetBrowsers) }, 1, nil},
		{"unpublish the root", func() error { return c.Unpublish(ctx, store.User, store.Root, rootT, TargetBrowsers) }, 0, nil},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := nssCerts(t, dir)
		if len(got) != st.nCerts {
			t.Fatalf("%s: database holds %d certificates, want %d:\n%s", st.name, len(got), st.nCerts, nssList(t, dir))
		}
		for nick, trust := range st.want {
			if got[nick] != trust {
				t.Fatalf("%s: %s has trust %q, want %q", st.name, nick, got[nick], trust)
			}
		}
	}
	if k := nssKeys(dir); k != 0 {
		t.Fatalf("%d keys left", k)
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}
}

// reissue returns cert re-signed by top's root as a CA (an intermediate).
func reissue(t *testing.T, cert *x509.Certificate, top pubPKI) *x509.Certificate {
	t.Helper()
	tmpl := *cert
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, top.root, cert.PublicKey, top.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// reissueLeaf returns q's leaf issued by p's root (the intermediate).
func reissueLeaf(t *testing.T, q, p pubPKI) *x509.Certificate {
	t.Helper()
	tmpl := *q.leaf
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, p.root, q.key.Public(), p.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// TestPendingRenewalRepublishes: when a pending renewal is approved and
// pulse installs it, the browser publication moves to it too.
func TestPendingRenewalRepublishes(t *testing.T) {
	needTools(t, "certutil", "pk12util")
	e := newEnv(t, envOpt{ca: func(c *testca.Config) { longShort(c); c.Pending = true }})
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nssdb")
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(),
		BrowserDBs: func() ([]string, error) { return []string{dir}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	e.core = c
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived)
	if _, err := e.ca.Approve(res.RequestID); err != nil {
		t.Fatal(err)
	}
	srv, _ := c.Server(store.User, e.srv.CEPURL())
	if err := c.SetPassword(ctx, store.User, srv, testca.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeletePassword(ctx, store.User, srv) })
	rep, err := c.Pulse(ctx, store.User)
	if err != nil || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeOK {
		t.Fatalf("first issuance: %+v, %v", rep, err)
	}
	old := rep.Requests[0].Thumbprint
	if _, err := c.Publish(ctx, store.User, store.My, old, TargetBrowsers); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour + time.Minute)
	if rep, err = c.Pulse(ctx, store.User); err != nil || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomePending {
		t.Fatalf("renewal: %+v, %v", rep, err)
	}
	pending, _ := e.ca.Pending()
	if len(pending) != 1 {
		t.Fatalf("CA pending %v", pending)
	}
	if _, err := e.ca.Approve(pending[0].ID); err != nil {
		t.Fatal(err)
	}
	if rep, err = c.Pulse(ctx, store.User); err != nil || len(rep.Requests) != 1 || rep.Requests[0].Outcome != OutcomeOK {
		t.Fatalf("after approval: %+v, %v", rep, err)
	}
	ne := rep.Requests[0].Thumbprint
	got := nssCerts(t, dir)
	if got["certdesk-"+ne] != "u,u,u" || got["certdesk-"+old] != "" {
		t.Fatalf("after the pending renewal the database holds %v, want %s and not %s", got, ne, old)
	}
	if m, _ := c.Published(store.User); len(m[ne].Browsers) != 1 || len(m) != 1 {
		t.Fatalf("Published = %+v", m)
	}
}

// TestDeleteUnpublishesBrowsersReal: deleting a certificate published to
// a browser database removes it (and its key) from the database too.
func TestDeleteUnpublishesBrowsersReal(t *testing.T) {
	needTools(t, "certutil", "pk12util")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nssdb")
	c := pubCore(t, dir)
	p := newPubPKI(t, "delete-browser.test")
	leaf := add(t, c, store.User, store.My, p.leaf, p.key)
	if _, err := c.Publish(ctx, store.User, store.My, leaf, TargetBrowsers); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, store.User, store.My, leaf); err != nil {
		t.Fatal(err)
	}
	if l := nssCerts(t, dir); len(l) != 0 || nssKeys(dir) != 0 {
		t.Fatalf("left in the database after Delete: %v, %d keys", l, nssKeys(dir))
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}
}
