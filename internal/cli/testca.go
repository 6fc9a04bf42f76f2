package cli

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll/testca"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

const testcaUsage = `usage:
  certdesk testca serve   [-addr 127.0.0.1:0] [-dir D] [-user NAME:PASSWORD]... [-validity DURATION] [-pending] [-kbr]
                          [-behind-proxy] [-empty-policies none|once|always] [-cas N] [-ca-fault none|unreachable|noenroll]
                          [-scep-http ADDR]
  certdesk testca resign  -dir D -not-before TIME -validity DURATION IN OUT
  certdesk testca approve -dir D REQUESTID
  certdesk testca deny    -dir D REQUESTID [-reason TEXT]
  certdesk testca pending -dir D                 list the requests waiting for approval
  certdesk testca revoke  -dir D THUMBPRINT [-reason R]   revoke an issued certificate (CRL and OCSP)
The embedded test CEP/CES server with its own small CA (docs/testca.md); for tests
and demonstrations, never for real certificates.`

// runTestCA implements "certdesk testca ..." (issue #3): the embedded test
// CEP/CES server and its CA database.
func (c *cmd) runTestCA(args []string) int {
	if len(args) == 0 {
		return c.needSub("testca", args)
	}
	switch args[0] {
	case "serve":
		return c.testcaServe(args[1:])
	case "resign":
		return c.testcaResign(args[1:])
	case "approve", "deny":
		return c.testcaDecide(args[0], args[1:])
	case "pending":
		return c.testcaPending(args[1:])
	case "revoke":
		return c.testcaRevoke(args[1:])
	}
	return c.needSub("testca", args)
}

// userFlags collects repeated -user NAME:PASSWORD flags.
type userFlags map[string]string

func (u userFlags) String() string { return "" }

func (u userFlags) Set(v string) error {
	name, pw, ok := strings.Cut(v, ":")
	if !ok || name == "" || pw == "" {
		return errors.New("want NAME:PASSWORD")
	}
	u[name] = pw
	return nil
}

// durationFlag parses Go durations plus a "d" (days) suffix: 365d, 10m.
type durationFlag struct{ d *time.Duration }

// String shows whole days as "365d", so -h prints defaults as they are
// typed.
func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	if *f.d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", *f.d/(24*time.Hour))
	}
	return f.d.String()
}

func (f durationFlag) Set(v string) error {
	d, err := parseDuration(v)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func parseDuration(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("invalid duration %q", v)
		}
		return time.Duration(days * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid duration %q", v)
	}
	return d, nil
}

// extraCAs returns the CAs beyond the first for "-cas n": "<default
// name> 2" and on, priority 2 and on; fault applies to the second CA and
// makes it the one tried first (priority 0).
func extraCAs(n int, fault string) ([]testca.ExtraCA, error) {
	if n < 1 || n > 9 {
		return nil, fmt.Errorf("testca: -cas %d is not from 1 to 9", n)
	}
	var out []testca.ExtraCA
	for i := 2; i <= n; i++ {
		out = append(out, testca.ExtraCA{Name: fmt.Sprintf("%s %d", testca.DefaultName, i), Priority: uint32(i)})
	}
	switch fault {
	case "none":
		return out, nil
	case "unreachable", "noenroll":
		if len(out) == 0 {
			return nil, fmt.Errorf("testca: -ca-fault %s needs -cas 2 or more", fault)
		}
		out[0].Priority, out[0].Unreachable, out[0].NoEnrollPermission = 0, fault == "unreachable", fault == "noenroll"
		return out, nil
	}
	return nil, fmt.Errorf("testca: -ca-fault %q is not none, unreachable or noenroll", fault)
}

func (c *cmd) testcaServe(args []string) int {
	fs := c.newFlags("testca serve")
	addr := fs.String("addr", "127.0.0.1:0", "listen `address`")
	dir := fs.String("dir", "", "state `directory` (default: a new temporary directory)")
	users := userFlags{}
	fs.Var(users, "user", "account `NAME:PASSWORD` (repeatable; default "+testca.DefaultUser+")")
	validity := testca.DefaultValidity
	fs.Var(durationFlag{&validity}, "validity", "validity of issued certificates, a `DURATION` such as 365d or 720h")
	pending := fs.Bool("pending", false, "pend every request until approved")
	kbr := fs.Bool("kbr", false, "serve the key-based-renewal CEP and the certificate CES")
	emptyPolicies := fs.String("empty-policies", "none", "fault: answer GetPolicies without templates: none, once or always")
	cas := fs.Int("cas", 1, "number of CAs the policy lists (the others are served by the same CA)")
	caFault := fs.String("ca-fault", "none", "the second CA, tried first: none, unreachable (0x800706BA) or noenroll (enrollPermission false)")
	scepHTTP := fs.String("scep-http", "", "also serve the SCEP (NDES) endpoint over plain HTTP on this address, e.g. 127.0.0.1:0")
	behindProxy := fs.Bool("behind-proxy", false, "serve plain HTTP on loopback for a TLS-terminating proxy that passes the client certificate in "+testca.ProxyCertHeader)
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return c.usage("testca serve takes no arguments, got %q", pos[0])
	}
	emptyMode, err := testca.ParseEmptyPolicies(*emptyPolicies)
	if err != nil {
		return c.usage("%s", err)
	}
	extra, err := extraCAs(*cas, *caFault)
	if err != nil {
		return c.usage("%s", err)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "certdesk-testca-")
		if err != nil {
			return c.fail(fmt.Errorf("testca: create state directory: %w", err))
		}
		*dir = d
	}
	ca, err := testca.New(testca.Config{Dir: *dir, Users: users, Validity: validity, Pending: *pending, KBR: *kbr, ExtraCAs: extra, BehindProxy: *behindProxy})
	if err != nil {
		return c.fail(err)
	}
	srv, err := ca.Start(*addr)
	if err != nil {
		return c.fail(err)
	}
	srv.SetEmptyPolicies(emptyMode)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	textf(c.stdout, "CEP (username/password):       %s\n", srv.CEPURL())
	textf(c.stdout, "CES (username/password):       %s\n", srv.CESURL())
	for _, u := range srv.ExtraCESURLs() {
		textf(c.stdout, "CES (another CA):              %s\n", u)
	}
	if *kbr {
		textf(c.stdout, "CEP (key-based renewal):       %s\n", srv.KBRCEPURL())
		textf(c.stdout, "CES (certificate, renewal):    %s\n", srv.CESCertURL())
	}
	textf(c.stdout, "SCEP (NDES):                   %s\n", srv.SCEPURL())
	if *scepHTTP != "" {
		h, err := srv.StartSCEPHTTP(*scepHTTP)
		if err != nil {
			return c.fail(err)
		}
		defer h.Close()
		textf(c.stdout, "SCEP (NDES, plain HTTP):       %s\n", h.URL())
	}
	textf(c.stdout, "NDES challenge page:           %s\n", srv.SCEPAdminURL())
	textf(c.stdout, "SCEP CA fingerprint (SHA-256): %s\n", app.Fingerprint(ca.Issuing()))
	textf(c.stdout, "EST (labels: template names):  %s\n", srv.ESTURL())
	textf(c.stdout, "CA file to trust:              %s\n", ca.RootFile())
	accounts := ca.Users()
	names := make([]string, 0, len(accounts))
	for n := range accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		textf(c.stdout, "account:                       %s  password: %s\n", n, accounts[n])
	}
	textf(c.stdout, "state directory:               %s\n", *dir)
	fmt.Fprintln(c.stdout, "serving; interrupt to stop")
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	return exitOK
}

// openTestCA opens an existing CA directory; it never creates one.
func openTestCA(dir string) (*testca.CA, error) {
	if dir == "" {
		return nil, errors.New("no -dir given")
	}
	if _, err := os.Stat(filepath.Join(dir, "root.pem")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("testca: no test CA in %s", dir)
	}
	return testca.New(testca.Config{Dir: dir})
}

func (c *cmd) testcaDecide(verb string, args []string) int {
	fs := c.newFlags("testca " + verb)
	dir := fs.String("dir", "", "state `directory` of the test CA")
	reason := ""
	if verb == "deny" {
		fs.StringVar(&reason, "reason", "", "denial `reason` shown to the client")
	}
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || *dir == "" {
		return c.usage("testca %s needs -dir D and one request id (certdesk testca %s -h)", verb, verb)
	}
	ca, err := openTestCA(*dir)
	if err != nil {
		return c.fail(err)
	}
	if verb == "deny" {
		if err := ca.Deny(pos[0], reason); err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "request %s denied\n", pos[0])
		return exitOK
	}
	cert, err := ca.Approve(pos[0])
	if err != nil {
		return c.fail(err)
	}
	textf(c.stdout, "request %s issued: %s, serial %X, valid until %s\n", pos[0], cert.Subject, cert.SerialNumber, cert.NotAfter.UTC().Format(time.RFC3339))
	return exitOK
}

func (c *cmd) testcaPending(args []string) int {
	fs := c.newFlags("testca pending")
	dir := fs.String("dir", "", "state `directory` of the test CA")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 || *dir == "" {
		return c.usage("testca pending needs -dir D and no arguments (certdesk testca pending -h)")
	}
	ca, err := openTestCA(*dir)
	if err != nil {
		return c.fail(err)
	}
	reqs, err := ca.Pending()
	if err != nil {
		return c.fail(err)
	}
	for _, r := range reqs {
		textf(c.stdout, "%s\t%s\t%s\t%s\n", r.ID, r.Template, r.Requester, r.Submitted.UTC().Format(time.RFC3339))
	}
	return exitOK
}

func (c *cmd) testcaResign(args []string) int {
	fs := c.newFlags("testca resign")
	dir := fs.String("dir", "", "state `directory` of the test CA")
	nb := fs.String("not-before", "", "new NotBefore: RFC 3339 `TIME`, or a duration relative to now (-720h, -30d)")
	var validity time.Duration
	fs.Var(durationFlag{&validity}, "validity", "new validity, a `DURATION` such as 1h or 30d")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 || *dir == "" || *nb == "" || validity == 0 {
		return c.usage("testca resign needs -dir D, -not-before TIME, -validity DURATION, IN and OUT (certdesk testca resign -h)")
	}
	notBefore, err := parseTime(*nb, time.Now())
	if err != nil {
		return c.usage("%v", err)
	}
	ca, err := openTestCA(*dir)
	if err != nil {
		return c.fail(err)
	}
	data, err := atomicfile.Read(pos[0], 1<<20)
	if err != nil {
		return c.fail(fmt.Errorf("cannot read: %w", err))
	}
	der := data
	if b, _ := pem.Decode(data); b != nil {
		der = b.Bytes
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return c.fail(fmt.Errorf("%s is not a certificate: %w", pos[0], err))
	}
	out, err := ca.Resign(cert, notBefore, validity)
	if err != nil {
		return c.fail(err)
	}
	if err := atomicfile.Write(pos[1], pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: out.Raw}), 0o644); err != nil {
		return c.fail(err)
	}
	textf(c.stdout, "%s re-signed: valid %s to %s\n", pos[1], out.NotBefore.UTC().Format(time.RFC3339), out.NotAfter.UTC().Format(time.RFC3339))
	return exitOK
}

// parseTime reads RFC 3339 or a (possibly negative) duration from now.
func parseTime(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	neg := strings.HasPrefix(v, "-")
	d, err := parseDuration(strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+"))
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid -not-before %q: want RFC 3339 or a duration like -720h", v)
	}
	if neg {
		d = -d
	}
	return now.Add(d), nil
}
