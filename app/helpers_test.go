package app

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/store"
)

// fakeClock is a Clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// needKeyring skips a test when no Secret Service is reachable, unless
// REQUIRE_SECRET_SERVICE=1 (scripts/with-keyring.sh, CI), where it fails.
func needKeyring(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	err := keyring.Set(ctx, keyring.Service, "certdesk-app-test-probe", "x")
	if err == nil {
		_ = keyring.Delete(ctx, keyring.Service, "certdesk-app-test-probe")
		return
	}
	if os.Getenv("REQUIRE_SECRET_SERVICE") == "1" {
		t.Fatalf("REQUIRE_SECRET_SERVICE=1 but the keyring is unreachable: %v", err)
	}
	t.Skipf("no Secret Service (run under scripts/with-keyring.sh): %v", err)
}

// env is a core and a testca served over HTTPS on loopback, sharing a
// fake clock.
type env struct {
	core  *Core
	ca    *testca.CA
	srv   *testca.Server
	clock *fakeClock
	caDir string
}

type envOpt struct {
	ca      func(*testca.Config)
	timeout time.Duration
}

func newEnv(t testing.TB, o envOpt) *env {
	t.Helper()
	needKeyring(t)
	clk := &fakeClock{t: time.Now().Truncate(time.Second)}
	cfg := testca.Config{Dir: t.TempDir(), KBR: true, Clock: clk.Now}
	if o.ca != nil {
		o.ca(&cfg)
	}
	ca, err := testca.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{core: newCore(t, t.TempDir(), clk, o.timeout), ca: ca, srv: srv, clock: clk, caDir: cfg.Dir}
}

// newCore opens a core on root with only the contexts' Root stores trusted.
func newCore(t testing.TB, root string, clk Clock, timeout time.Duration) *Core {
	t.Helper()
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	c, err := New(Options{Location: store.LocationAt(root), Clock: clk, SystemRoots: x509.NewCertPool(), HTTPTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addServer registers the testca CEP in the user context, trusting its
// root; password "" saves none.
func (e *env) addServer(t testing.TB, password string) Server {
	t.Helper()
	srv, err := e.core.AddServer(context.Background(), store.User, ServerOptions{
		URL: e.srv.CEPURL(), Auth: AuthPassword, Username: testca.DefaultUser, Password: password,
		CAFile: e.ca.RootFile(), TrustCA: true, FriendlyName: "test CA"})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// enroll enrolls for template with the password given once.
func (e *env) enroll(t *testing.T, template string) *EnrollResult {
	t.Helper()
	res, err := e.core.Enroll(context.Background(), EnrollRequest{Context: store.User, Server: e.srv.CEPURL(),
		Template: template, Password: testca.DefaultPassword})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// list returns the thumbprints of a store (archived too, marked "+a").
func (e *env) list(t *testing.T, n store.Name) []string {
	t.Helper()
	s, _ := e.core.Store(store.User)
	es, err := s.List(context.Background(), n, store.ListOptions{IncludeArchived: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		if x.Meta.Archived {
			out = append(out, x.Thumbprint+"+a")
		} else {
			out = append(out, x.Thumbprint)
		}
	}
	return out
}

// history returns the user context's history.
func (e *env) history(t *testing.T) []Record {
	t.Helper()
	h, _ := e.core.History(store.User)
	recs, err := h.Read(HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// hashTree hashes every file under dir (names and contents).
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	var names []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := os.ReadFile(n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// issuedCount counts the certificates the CA issued.
func (e *env) issuedCount(t *testing.T) int {
	t.Helper()
	ca := e.ca
	files, _ := filepath.Glob(filepath.Join(e.caDir, "requests", "*.json"))
	n := 0
	for _, f := range files {
		id := filepath.Base(f)
		r, err := ca.Get(id[:len(id)-len(".json")])
		if err == nil && r.Status == "issued" {
			n++
		}
	}
	return n
}

// newServerEnv is newEnv with the testca CEP registered in the user
// context and its password saved.
func newServerEnv(t *testing.T) (*env, Server) {
	t.Helper()
	e := newEnv(t, envOpt{})
	return e, e.addServer(t, testca.DefaultPassword)
}

// statusOne polls the user context's pending requests and fails unless
// there is exactly one outcome, want.
func (e *env) statusOne(t *testing.T, want Outcome) RequestOutcome {
	t.Helper()
	outs, err := e.core.RequestStatus(context.Background(), store.User)
	if err != nil || len(outs) != 1 || outs[0].Outcome != want {
		t.Fatalf("status: %+v, %v; want one %s", outs, err, want)
	}
	return outs[0]
}

// foreignTLS starts an HTTPS server whose certificate the user context
// trusts (in its Root store) and which answers every request with 500. It
// counts the connections and the requests it gets.
func (e *env) foreignTLS(t *testing.T) (url string, conns, reqs *atomic.Int32) {
	t.Helper()
	conns, reqs = new(atomic.Int32), new(atomic.Int32)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		http.Error(w, "foreign", http.StatusInternalServerError)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s, _ := e.core.Store(store.User)
	if _, _, err := s.Add(context.Background(), store.Root, srv.Certificate(), nil, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	return srv.URL, conns, reqs
}
