package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const storeUsage = `usage:
  certdesk store list    [-context C] [-store S] [-all] [-system] [-l | -json]
                         -system: the operating system's own store (Windows, macOS)
                         -l: also template, days left, when renewal is due, cached
                         revocation status and the last renewal error
  certdesk store show    [-context C] [-store S] THUMBPRINT [-json]
  certdesk store import  [-context C] [-store S] [-password-file F | -password-stdin] [-trust-roots] [-json] FILE...
  certdesk store export  [-context C] [-store S] THUMBPRINT -format pfx|pem|der|p7b [-profile compatible|modern|pbmac1]
                         [-chain] [-key] -out FILE|- [-force] [-password-file F | -password-stdin]
  certdesk store delete  [-context C] [-store S] THUMBPRINT     archive (hidden from list; list -all shows it)
  certdesk store purge   [-context C] [-store S] THUMBPRINT     remove for good
                         both first unpublish it (see publish below)
  certdesk store verify  [-context C] [-json]                   integrity check; exit 1 on damage
  certdesk store protect [-context C] -mode keyring|file        how private keys are protected at rest
  certdesk store publish   -to system|browsers [-context C] [-store S] THUMBPRINT [-json]
  certdesk store unpublish -to system|browsers [-context C] [-store S] THUMBPRINT
                         system: a machine Root or CA certificate becomes trusted system-wide
                         (default -context machine -store Root; needs root);
                         browsers: a user Root certificate (trusted root) or My certificate with
                         its key (client identity) goes into every browser NSS database;
                         on Windows and macOS, system is the native store of the same context
                         and name (user or machine; My with key, Root, CA), which browsers read
Contexts: user (default), machine, app:<id>. Stores: My (default), Root, CA, Request, or any name.
CERTDESK_ROOT=DIR keeps every context under DIR.
Private keys in user and app contexts are encrypted with a key kept in the OS
keyring (Secret Service on Linux). On a headless device without a keyring,
"certdesk store protect -mode file" opts the context into protection by file
permissions only (0600 files in 0700 directories); see docs/store.md.`

// storeVerbs maps "certdesk store VERB" to its handler.
var storeVerbs = map[string]func(c *cmd, args []string) int{
	"list": (*cmd).storeList, "show": (*cmd).storeShow, "import": (*cmd).storeImport,
	"export": (*cmd).storeExport, "delete": (*cmd).storeDelete, "purge": (*cmd).storePurge,
	"verify": (*cmd).storeVerify, "protect": (*cmd).storeProtect,
	"publish": (*cmd).storePublish, "unpublish": (*cmd).storeUnpublish,
}

// runStore implements "certdesk store ..." (issue #2).
func (c *cmd) runStore(args []string) int {
	if len(args) == 0 {
		return c.needSub("store", args)
	}
	v, ok := storeVerbs[args[0]]
	if !ok {
		return c.needSub("store", args)
	}
	return v(c, args[1:])
}

// storeSubs returns the store verbs in alphabetical order.
func storeSubs() []string { return sortedKeys(storeVerbs) }

// storeFlags holds the flags every store verb shares.
type storeFlags struct {
	fs      *flag.FlagSet
	context *string
	name    *string
	json    *bool // false, and no -json flag, for verbs without JSON output
}

// storeFlags defines the shared flags of "store verb"; -json only for
// verbs that print JSON, so the others refuse it (exit 2).
func (c *cmd) storeFlags(verb string, withJSON bool) storeFlags {
	fs := c.newFlags("store " + verb)
	f := storeFlags{
		fs:      fs,
		context: fs.String("context", "user", "context: user, machine or app:<id>"),
		name:    fs.String("store", "My", "store name"),
		json:    new(bool),
	}
	if withJSON {
		f.json = fs.Bool("json", false, "print JSON (docs/cli.md)")
	}
	return f
}

// open parses the shared flags and opens the context under CERTDESK_ROOT
// or the platform default.
func (f storeFlags) open() (*store.Store, store.Name, error) {
	ctx, err := store.ParseContext(*f.context)
	if err != nil {
		return nil, "", err
	}
	n, err := store.ParseName(*f.name)
	if err != nil {
		return nil, "", err
	}
	loc, err := store.LocationFromEnv(os.Getenv)
	if err != nil {
		return nil, "", err
	}
	s, err := store.Open(loc, ctx)
	return s, n, err
}

// parseStore parses args, opens the store and checks the positional count
// (want < 0: at least one).
func (c *cmd) parseStore(f storeFlags, args []string, want int) (*store.Store, store.Name, []string, int, bool) {
	pos, code, ok := c.parseOrExit(f.fs, args)
	if !ok {
		return nil, "", nil, code, false
	}
	if (want >= 0 && len(pos) != want) || (want < 0 && len(pos) == 0) {
		name := strings.TrimPrefix(f.fs.Name(), "certdesk ")
		return nil, "", nil, c.usage("%s: wrong number of arguments (certdesk %s -h)", name, name), false
	}
	s, n, err := f.open()
	if err != nil {
		return nil, "", nil, c.usage("%s", err), false
	}
	return s, n, pos, 0, true
}

// printJSON prints v as indented JSON: exact strings ("<" stays "<", no
// \u003c), times in RFC 3339 with their zone (docs/cli.md).
func (c *cmd) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *cmd) storeList(args []string) int {
	f := c.storeFlags("list", true)
	all := f.fs.Bool("all", false, "include archived (deleted) entries")
	system := f.fs.Bool("system", false, "list the operating system's own store instead (Windows: certmgr.msc's; macOS: the keychain)")
	long := f.fs.Bool("l", false, "long listing: template, days left, renewal due date, revocation, last renewal error")
	s, n, _, code, ok := c.parseStore(f, args, 0)
	if !ok {
		return code
	}
	if *long && *f.json {
		return c.usage("store list: -l and -json do not go together (-l is for people; docs/cli.md)")
	}
	var es []store.Entry
	var err error
	if *system {
		es, err = nativeList(s.Context(), n)
	} else {
		c.warnMissingStore(s, n)
		es, err = s.List(context.Background(), n, store.ListOptions{IncludeArchived: *all})
	}
	if err != nil {
		return c.fail(err)
	}
	if es == nil {
		es = []store.Entry{}
	}
	if *f.json {
		// Compact on purpose: listing 10,000 entries is benchmarked.
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(withRevocation(s, n, es)); err != nil {
			return c.fail(err)
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	if *long {
		return c.storeListLong(tw, s, n, es, !*system)
	}
	fmt.Fprintln(tw, "THUMBPRINT\tNOT AFTER\tKEY\tSUBJECT")
	for _, e := range es {
		textf(tw, "%s\t%s\t%s\t%s\n", e.Thumbprint, e.NotAfter.Format("2006-01-02"), hasKey(e), listedSubject(e))
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// storeListLong prints "store list -l": the columns of "store list" with
// the template, the days left, when the renewal is due (app.Core.DueTimes),
// the cached revocation status and the last renewal error. Only entries
// of certdesk's own My (own) have the last three; the others show "-".
func (c *cmd) storeListLong(tw *tabwriter.Writer, s *store.Store, n store.Name, es []store.Entry, own bool) int {
	var due map[string]time.Time
	var rev map[string]app.RevocationResult
	var retry map[string]app.RetryState
	if own && n == store.My {
		core, err := app.Open(store.Location{})
		if err != nil {
			return c.fail(err)
		}
		cx := s.Context()
		if due, err = core.DueTimes(cx, es); err != nil {
			return c.fail(err)
		}
		if rev, err = core.RevocationStatuses(cx); err != nil {
			return c.fail(err)
		}
		if retry, err = core.RetryStates(cx); err != nil {
			return c.fail(err)
		}
	}
	now := time.Now()
	fmt.Fprintln(tw, "THUMBPRINT\tNOT AFTER\tDAYS\tDUE\tKEY\tTEMPLATE\tREVOCATION\tSUBJECT\tLAST ERROR")
	for _, e := range es {
		dueAt, revocation := "-", "-"
		if at, ok := due[e.Thumbprint]; ok {
			dueAt = at.Local().Format("2006-01-02")
		}
		if own && n == store.My {
			revocation = app.RevocationNotChecked
			if r, ok := rev[e.Thumbprint]; ok {
				revocation = r.Status
			}
		}
		textf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Thumbprint, e.NotAfter.Format("2006-01-02"), daysLeft(e.NotAfter, now),
			dueAt, hasKey(e), dash(e.Meta.TemplateName), revocation, listedSubject(e), dash(oneLine(retry[e.Thumbprint].LastError)))
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// hasKey is the KEY column of "store list": yes or -.
func hasKey(e store.Entry) string {
	if e.HasKey {
		return "yes"
	}
	return "-"
}

// listedSubject is the SUBJECT column of "store list": the common name, or
// the whole subject without one, marked when archived.
func listedSubject(e store.Entry) string {
	subj := e.SubjectCN
	if subj == "" {
		subj = e.Subject
	}
	if e.Meta.Archived {
		subj += " (archived)"
	}
	return subj
}

// daysLeft is the DAYS column of "store list -l": whole days until
// notAfter, or "expired".
func daysLeft(notAfter, now time.Time) string {
	if !now.Before(notAfter) {
		return "expired"
	}
	return strconv.Itoa(int(notAfter.Sub(now) / (24 * time.Hour)))
}

// windowsStoreNames maps the names certmgr.msc shows to certdesk's.
var windowsStoreNames = map[string]store.Name{
	"personal": store.My, "trusted root certification authorities": store.Root, "trusted": store.Root,
	"intermediate certification authorities": store.CA, "intermediate": store.CA,
	"certificate enrollment requests": store.Request, "requests": store.Request,
}

// warnMissingStore says on stderr that store n does not exist in s's
// context (a list of it is empty, not an error: a new name is a store
// that has no entries yet), with the name meant where one is likely.
func (c *cmd) warnMissingStore(s *store.Store, n store.Name) {
	names, err := s.Names()
	if err != nil {
		return
	}
	all := make([]string, len(names))
	for i, x := range names {
		if x == n {
			return
		}
		all[i] = string(x)
	}
	hint := ""
	if m, ok := windowsStoreNames[strings.ToLower(string(n))]; ok {
		hint = fmt.Sprintf("; did you mean %s?", m)
	}
	textf(c.stderr, "certdesk: warning: the %s context has no store %q (stores: %s)%s\n", s.Context(), string(n), strings.Join(all, ", "), hint)
}

// showResult is the -json shape of "store show": the entry, its expiry
// status (30-day window), its chain and where it is published.
type showResult struct {
	store.Entry
	Expiry      store.Expiry     `json:"expiry"`
	Chain       *store.Chain     `json:"chain"`
	Publication *app.Publication `json:"publication,omitempty"`

	// Revocation is the cached answer, for My only.
	Revocation *app.RevocationResult `json:"revocation,omitempty"`
}

func (c *cmd) storeShow(args []string) int {
	f := c.storeFlags("show", true)
	s, n, pos, code, ok := c.parseStore(f, args, 1)
	if !ok {
		return code
	}
	ctx, now := context.Background(), time.Now()
	e, err := s.Get(ctx, n, pos[0])
	if err != nil {
		return c.fail(err)
	}
	ch, err := s.Chain(ctx, n, e.Thumbprint, now)
	if err != nil {
		return c.fail(err)
	}
	pub, err := publication(s.Context(), n, e.Thumbprint)
	if err != nil {
		return c.fail(err)
	}
	if n == store.My {
		e.Meta.Renewal = app.RenewalStates(s)[e.Thumbprint]
	}
	r := showResult{Entry: e, Expiry: store.ExpiryStatus(e.NotBefore, e.NotAfter, now, store.ExpiringWithin), Chain: ch, Publication: pub,
		Revocation: revocationOf(s, n, e, now)}
	if *f.json {
		return c.printJSON(r)
	}
	w := c.stdout
	textf(w, "Thumbprint:  %s\nSHA-256:     %s\nSubject:     %s\nIssuer:      %s\n", e.Thumbprint, e.SHA256, e.Subject, e.Issuer)
	textf(w, "Serial:      %s\nValid:       %s to %s (%s)\nKey:         %s %d", e.Serial,
		e.NotBefore.Format(time.RFC3339), e.NotAfter.Format(time.RFC3339), r.Expiry, e.KeyType, e.KeySize)
	if e.HasKey {
		fmt.Fprint(w, " (private key present)")
	}
	fmt.Fprintln(w)
	if len(e.SANs) > 0 {
		textf(w, "SANs:        %s\n", strings.Join(e.SANs, ", "))
	}
	if e.Meta.FriendlyName != "" {
		textf(w, "Name:        %s\n", e.Meta.FriendlyName)
	}
	if e.Meta.TemplateName != "" {
		textf(w, "Template:    %s %s\n", e.Meta.TemplateName, e.Meta.TemplateOID)
	}
	if r.Publication != nil {
		textf(w, "Published:   %s\n", publicationText(*r.Publication))
	}
	status := "valid"
	if !ch.Valid {
		status = "not valid: " + ch.Error
	}
	textf(w, "Chain:       %s\n", status)
	for _, el := range ch.Elements {
		textf(w, "  %s  %-8s %s (%s)\n", el.Thumbprint, el.Source, el.Subject, el.Status)
	}
	return exitOK
}

func (c *cmd) storeImport(args []string) int {
	f := c.storeFlags("import", true)
	pwFile := f.fs.String("password-file", "", "read the PFX password from the first line of this file")
	pwStdin := f.fs.Bool("password-stdin", false, "read the PFX password from standard input")
	trust := f.fs.Bool("trust-roots", false, "add self-signed root certificates to the Root store (otherwise skipped)")
	storeSet := false
	s, n, pos, code, ok := c.parseStore(f, args, -1)
	if !ok {
		return code
	}
	f.fs.Visit(func(fl *flag.Flag) { storeSet = storeSet || fl.Name == "store" })
	pw, err := c.readPassword(*pwFile, *pwStdin)
	if err != nil {
		return c.passwordError(err)
	}
	opt := store.ImportOptions{Password: pw, TrustRoots: *trust}
	if storeSet {
		opt.Store = n
	}
	var results []*store.ImportResult
	status := exitOK
	// One batch: one lock and one index commit per store for all files.
	for _, fi := range s.ImportFiles(context.Background(), pos, opt) {
		r, err := fi.Result, fi.Err
		if err != nil {
			status = c.fail(err)
			continue
		}
		results = append(results, r)
		if !*f.json {
			c.printImport(r)
		}
	}
	if *f.json {
		if results == nil {
			results = []*store.ImportResult{}
		}
		c.printJSON(results)
	}
	return status
}

func (c *cmd) printImport(r *store.ImportResult) {
	textf(c.stdout, "%s: %s", r.File, strings.ToUpper(string(r.Format)))
	if r.PFXAlgorithms != "" {
		textf(c.stdout, " (%s)", r.PFXAlgorithms)
	}
	fmt.Fprintln(c.stdout)
	for _, it := range r.Items {
		where := string(it.Store)
		if it.Reason != "" {
			where = it.Reason
		}
		textf(c.stdout, "  %-9s %s %s: %s\n", it.Result, it.Thumbprint, it.Subject, where)
	}
}

func (c *cmd) storeExport(args []string) int {
	f := c.storeFlags("export", false)
	format := f.fs.String("format", "", "pfx, pem, der or p7b")
	profile := f.fs.String("profile", "modern", "PFX profile: compatible (3DES/SHA-1), modern (AES-256), pbmac1")
	out := f.fs.String("out", "", "output file, - for standard output")
	force := f.fs.Bool("force", false, "replace an existing -out file")
	chain := f.fs.Bool("chain", false, "include the chain (pem, p7b, pfx)")
	key := f.fs.Bool("key", false, "pem: include the private key (unencrypted)")
	pwFile := f.fs.String("password-file", "", "read the PFX password from the first line of this file")
	pwStdin := f.fs.Bool("password-stdin", false, "read the PFX password from standard input")
	s, n, pos, code, ok := c.parseStore(f, args, 1)
	if !ok {
		return code
	}
	switch store.Profile(*profile) {
	case store.Compatible, store.Modern, store.PBMAC1:
	default:
		return c.usage("unknown -profile %q (compatible, modern or pbmac1)", *profile)
	}
	fmts := map[string]store.Format{"pfx": store.FormatPFX, "p12": store.FormatPFX, "pem": store.FormatPEM, "der": store.FormatDER, "cer": store.FormatDER, "p7b": store.FormatP7B}
	fm, okf := fmts[*format]
	if !okf || *out == "" {
		return c.usage("store export needs -format pfx|pem|der|p7b and -out FILE (certdesk store export -h)")
	}
	if fm == store.FormatPFX && *pwFile == "" && !*pwStdin {
		return c.usage("store export -format pfx needs a password: -password-file F or -password-stdin")
	}
	if err := checkOutput(*out, *force); err != nil {
		return c.fail(err)
	}
	pw, err := c.readPassword(*pwFile, *pwStdin)
	if err != nil {
		return c.passwordError(err)
	}
	if fm == store.FormatPFX && pw == "" {
		return c.usage("store export -format pfx: the password is empty; a PFX needs one")
	}
	b, err := s.Export(context.Background(), n, pos[0], store.ExportOptions{
		Format: fm, Profile: store.Profile(*profile), Password: pw, Chain: *chain, Key: *key})
	if err != nil {
		return c.fail(err)
	}
	if err := c.writeOutput(*out, *force, b, 0o600); err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *cmd) storeDelete(args []string) int {
	f := c.storeFlags("delete", false)
	s, n, pos, code, ok := c.parseStore(f, args, 1)
	if !ok {
		return code
	}
	core, cx, err := openCore(string(s.Context()))
	if err == nil {
		err = core.Delete(context.Background(), cx, n, pos[0])
	}
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *cmd) storePurge(args []string) int {
	f := c.storeFlags("purge", false)
	s, n, pos, code, ok := c.parseStore(f, args, 1)
	if !ok {
		return code
	}
	core, cx, err := openCore(string(s.Context()))
	if err == nil {
		err = core.Purge(context.Background(), cx, n, pos[0])
	}
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *cmd) storeVerify(args []string) int {
	f := c.storeFlags("verify", true)
	s, _, _, code, ok := c.parseStore(f, args, 0)
	if !ok {
		return code
	}
	r, err := s.Verify(context.Background())
	if err != nil {
		return c.fail(err)
	}
	if *f.json {
		c.printJSON(r)
	} else {
		for _, p := range r.Problems {
			textf(c.stdout, "%s: %s: %s\n", p.Store, p.File, p.What)
		}
		textf(c.stdout, "%s: %d entries, %d problems\n", r.Context, r.Entries, len(r.Problems))
	}
	if r.Damaged() {
		textf(c.stderr, "certdesk: verify %s: the store is damaged (see above)\n", r.Context)
		return exitFail
	}
	return exitOK
}

func (c *cmd) storeProtect(args []string) int {
	f := c.storeFlags("protect", false)
	mode := f.fs.String("mode", "", "keyring (encrypt keys with a key kept in the OS keyring) or file (file permissions only)")
	s, _, _, code, ok := c.parseStore(f, args, 0)
	if !ok {
		return code
	}
	switch store.Protection(*mode) {
	case "", store.ProtectKeyring, store.ProtectFile:
	default:
		return c.usage("unknown -mode %q (keyring or file)", *mode)
	}
	if *mode == "" {
		p, err := s.Protection()
		if err != nil {
			return c.fail(err)
		}
		textln(c.stdout, p)
		return exitOK
	}
	if err := s.SetProtection(context.Background(), store.Protection(*mode)); err != nil {
		return c.fail(err)
	}
	return exitOK
}
