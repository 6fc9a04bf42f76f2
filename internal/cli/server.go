package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const serverUsage = `usage:
  certdesk server add    [-context C] [-protocol cep|scep|est] -url URL
                         -auth password|certificate|anonymous [-name NAME]
                         [-username U] [-password-stdin | -password-file F] [-autoenroll]
                         [-ca-file F [-trust-ca]] [-ca-fingerprint SHA256HEX] [-kbr-url URL]
                         [-cert THUMBPRINT] [-replace] [-json]
  certdesk server set    [-context C] ID [-name NAME] [-password-stdin | -password-file F]
                         [-autoenroll=true|false] [-kbr-url URL] [-ca-file F [-trust-ca]] [-json]
  certdesk server list   [-context C] [-json]
  certdesk server remove [-context C] ID
  certdesk server test   [-context C] ID [-json]
  certdesk server confirm-hosts [-context C] [-json] ID
The password goes to the OS keyring (the machine context: a root-only file), never
to a file certdesk writes in clear; an empty password is refused. -ca-file names the
CA to trust for the server; it is put into the context's Root store only with
-trust-ca, after you have checked the fingerprint that "-ca-file F" prints without it.
"server add" refuses a URL already registered unless -replace (which replaces the
whole entry); "server set" changes only the fields given.
With password authentication, "server add" fetches the policy (the password goes
to the CEP's host only) and prints the hosts that will receive the password; they
are confirmed by adding the server. The password never goes to another host: when
a later policy names a CES elsewhere, enrollment and renewal stop until you run
"server confirm-hosts ID", which prints and confirms the hosts the policy names.
"server test ID" fetches the policy with the saved credentials and reports the
number of templates and the hosts the password goes to.
-protocol is cep (AD CS CEP/CES, the default), scep (NDES and other SCEP servers) or
est; a SCEP or EST server without -auth is anonymous. -ca-fingerprint pins the
server's CA by the SHA-256 of its certificate (colons and case ignored): SCEP over
plain http needs it, and a CA that does not match is refused before anything is
sent (docs/protocols.md).`

// openCore opens the core of CERTDESK_ROOT or the platform's locations and
// parses the context a verb names.
func openCore(ctxName string) (*app.Core, store.Context, error) {
	cx, err := store.ParseContext(ctxName)
	if err != nil {
		return nil, "", err
	}
	core, err := app.Open(store.Location{})
	return core, cx, err
}

// multiFlag is a repeatable string flag (-dns a -dns b).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runServer implements "certdesk server add|set|list|remove|test|confirm-hosts".
func (c *cmd) runServer(args []string) int {
	switch {
	case len(args) == 0:
		return c.needSub("server", args)
	case args[0] == "add":
		return c.serverAdd(args[1:])
	case args[0] == "set":
		return c.serverSet(args[1:])
	case args[0] == "test":
		return c.serverTest(args[1:])
	case args[0] == "confirm-hosts":
		return c.serverConfirmHosts(args[1:])
	case args[0] == "list":
		return c.serverList(args[1:])
	case args[0] == "remove":
		return c.serverRemove(args[1:])
	}
	return c.needSub("server", args)
}

// serverFlags returns the flag set of "server verb" with -context, and
// -json when withJSON.
func (c *cmd) serverFlags(verb string, withJSON bool) (fs *flag.FlagSet, ctxName *string, asJSON *bool) {
	fs = c.newFlags("server " + verb)
	ctxName = fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON = new(bool)
	if withJSON {
		asJSON = fs.Bool("json", false, "print JSON (docs/cli.md)")
	}
	return fs, ctxName, asJSON
}

// readNewPassword reads a password to save from -password-file or
// -password-stdin; given but empty is a usage error (ok false, code set).
func (c *cmd) readNewPassword(file string, fromStdin bool) (pw string, given bool, code int, ok bool) {
	pw, err := c.readPassword(file, fromStdin)
	if err != nil {
		return "", false, c.passwordError(err), false
	}
	given = file != "" || fromStdin
	if given && pw == "" {
		return "", false, c.usage("%s", app.ErrEmptyPassword), false
	}
	return pw, given, 0, true
}

func (c *cmd) serverAdd(args []string) int {
	fs, ctxName, asJSON := c.serverFlags("add", true)
	var o app.ServerOptions
	var auth, proto string
	fs.StringVar(&proto, "protocol", "cep", "cep, scep or est")
	fs.StringVar(&o.CAFingerprint, "ca-fingerprint", "", "SHA-256 of the server's CA certificate (hex; colons and case ignored)")
	fs.StringVar(&o.URL, "url", "", "CEP URL")
	fs.StringVar(&auth, "auth", "", "password, certificate or anonymous")
	fs.StringVar(&o.FriendlyName, "name", "", "friendly name")
	fs.StringVar(&o.Username, "username", "", "user name (password authentication)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input and save it in the keyring")
	pwFile := fs.String("password-file", "", "read the password from the first line of this file")
	fs.BoolVar(&o.AutoEnroll, "autoenroll", false, "renew this server's certificates automatically")
	fs.StringVar(&o.CAFile, "ca-file", "", "CA certificate to trust for this server")
	fs.BoolVar(&o.TrustCA, "trust-ca", false, "confirm: put -ca-file into the context's Root store")
	fs.StringVar(&o.KBRURL, "kbr-url", "", "key-based-renewal CEP URL (certificate authentication)")
	fs.StringVar(&o.ClientCert, "cert", "", "thumbprint in My to present (certificate authentication)")
	replace := fs.Bool("replace", false, "replace a server registered with the same URL (the whole entry)")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	p, err := app.ParseProtocol(proto)
	if err != nil {
		return c.usage("%s", err)
	}
	o.Protocol = p
	if auth == "" && p != app.ProtocolCEP {
		auth = string(app.AuthAnonymous)
	}
	if o.CAFingerprint != "" {
		if _, err := app.ParseFingerprint(o.CAFingerprint); err != nil {
			return c.usage("-ca-fingerprint %s", err)
		}
	}
	switch {
	case len(pos) != 0:
		return c.usage("server add takes no arguments, got %q (certdesk server add -h)", pos[0])
	case o.URL == "" || auth == "":
		return c.usage("server add needs -url and -auth (certdesk server add -h)")
	}
	o.Auth = app.Auth(auth)
	switch o.Auth {
	case app.AuthPassword:
		if o.Username == "" {
			return c.usage("server add -auth password needs -username")
		}
	case app.AuthCertificate:
		if o.ClientCert == "" {
			return c.usage("server add -auth certificate needs -cert THUMBPRINT")
		}
	case app.AuthAnonymous:
	default:
		return c.usage("unknown -auth %q: use password, certificate or anonymous", auth)
	}
	pw, _, code, ok := c.readNewPassword(*pwFile, *pwStdin)
	if !ok {
		return code
	}
	o.Password = pw
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	o.OnlyNew = !*replace
	if o.OnlyNew {
		// Before anything is fetched: the duplicate is the answer.
		var se *app.ServerExistsError
		if err := core.CheckNewServer(cx, o.URL); errors.As(err, &se) {
			return c.fail(fmt.Errorf("%w; change it with \"certdesk server set %s\" or give -replace", err, se.Server.ID))
		}
	}
	why := learnPasswordHosts(core, cx, &o)
	srv, err := core.AddServer(context.Background(), cx, o)
	if errors.Is(err, app.ErrCAFileNotTrusted) {
		return c.fail(fmt.Errorf("%w; if that is your CA's fingerprint, repeat with -trust-ca", err))
	}
	if err != nil {
		return c.fail(err)
	}
	if o.Auth == app.AuthPassword {
		hosts := srv.ConfirmedHosts()
		if why == "" {
			textf(c.stderr, "Your password will be sent to: %s\n", strings.Join(hosts, ", "))
		} else {
			textf(c.stderr, "Your password will be sent to: %s (%s; \"certdesk server confirm-hosts -context %s %s\" confirms the hosts of its enrollment services once the policy can be fetched)\n",
				strings.Join(hosts, ", "), oneLine(why), cx, srv.ID)
		}
	}
	if *asJSON {
		return c.printJSON(srv)
	}
	textf(c.stdout, "added policy server %s (%s)\n", srv.ID, srv.URL)
	return exitOK
}

// serverSet implements "certdesk server set ID": the fields given change,
// the others stay (app.Core.UpdateServer).
func (c *cmd) serverSet(args []string) int {
	fs, ctxName, asJSON := c.serverFlags("set", true)
	name := fs.String("name", "", "new friendly name (\"\" removes it)")
	pwStdin := fs.Bool("password-stdin", false, "read a new password from standard input and save it in the keyring")
	pwFile := fs.String("password-file", "", "read a new password from the first line of this file")
	autoEnroll := fs.Bool("autoenroll", false, "renew this server's certificates automatically: -autoenroll=true or -autoenroll=false")
	kbr := fs.String("kbr-url", "", "key-based-renewal CEP URL (\"\" removes it)")
	var u app.ServerUpdate
	fs.StringVar(&u.CAFile, "ca-file", "", "CA certificate to trust for this server")
	fs.BoolVar(&u.TrustCA, "trust-ca", false, "confirm: put -ca-file into the context's Root store")
	core, cx, id, code, ok := c.parseServerID(fs, args, ctxName)
	if !ok {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["name"] {
		u.FriendlyName = name
	}
	if set["autoenroll"] {
		u.AutoEnroll = autoEnroll
	}
	if set["kbr-url"] {
		u.KBRURL = kbr
	}
	pw, given, code, ok := c.readNewPassword(*pwFile, *pwStdin)
	if !ok {
		return code
	}
	if given {
		u.Password = &pw
	}
	if u == (app.ServerUpdate{}) {
		return c.usage("server set: nothing to change; give -name, -password-stdin, -password-file, -autoenroll, -kbr-url or -ca-file")
	}
	srv, err := core.UpdateServer(context.Background(), cx, id, u)
	if errors.Is(err, app.ErrCAFileNotTrusted) {
		return c.fail(fmt.Errorf("%w; if that is your CA's fingerprint, repeat with -trust-ca", err))
	}
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		return c.printJSON(srv)
	}
	textf(c.stdout, "updated policy server %s (%s)\n", srv.ID, srv.URL)
	return exitOK
}

// parseServerID parses the flags of a server verb that takes one server
// id and opens the core of the context -context names (read after
// parsing); ok is false when the verb must return code.
func (c *cmd) parseServerID(fs *flag.FlagSet, args []string, ctxName *string) (*app.Core, store.Context, string, int, bool) {
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return nil, "", "", code, false
	}
	name := strings.TrimPrefix(fs.Name(), "certdesk ")
	if len(pos) != 1 {
		return nil, "", "", c.usage("%s needs one server id (certdesk %s -h)", name, name), false
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return nil, "", "", c.usage("%s", err), false
	}
	return core, cx, pos[0], 0, true
}

// serverTestResult is the -json shape of "server test".
type serverTestResult struct {
	Server        app.Server `json:"server"`
	Templates     int        `json:"templates"`
	PasswordHosts []string   `json:"passwordHosts"`
}

// serverTest implements "certdesk server test ID": the policy fetched now
// with the saved credentials.
func (c *cmd) serverTest(args []string) int {
	fs, ctxName, asJSON := c.serverFlags("test", true)
	core, cx, id, code, ok := c.parseServerID(fs, args, ctxName)
	if !ok {
		return code
	}
	srv, err := core.Server(cx, id)
	if err != nil {
		return c.fail(err)
	}
	pol, err := core.Policies(context.Background(), cx, srv.ID, "", true)
	if err != nil {
		return c.fail(confirmHint(err, cx))
	}
	r := serverTestResult{Server: srv, Templates: len(pol.Templates), PasswordHosts: []string{}}
	if srv.Auth == app.AuthPassword {
		r.PasswordHosts = srv.ConfirmedHosts()
	}
	if *asJSON {
		return c.printJSON(r)
	}
	textf(c.stdout, "server %s (%s): policy fetched, %d templates\n", srv.ID, srv.URL, r.Templates)
	if srv.Auth == app.AuthPassword {
		textf(c.stdout, "the password goes to: %s\n", strings.Join(r.PasswordHosts, ", "))
	}
	return exitOK
}

func (c *cmd) serverConfirmHosts(args []string) int {
	fs, ctxName, asJSON := c.serverFlags("confirm-hosts", true)
	core, cx, id, code, ok := c.parseServerID(fs, args, ctxName)
	if !ok {
		return code
	}
	srv, hosts, err := core.UnconfirmedHosts(context.Background(), cx, id)
	if err == nil && len(hosts) > 0 {
		srv, err = core.ConfirmHosts(context.Background(), cx, srv.ID, hosts)
	}
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		return c.printJSON(srv)
	}
	if len(hosts) == 0 {
		textf(c.stdout, "server %s: nothing new to confirm; the password goes to %s\n", srv.ID, strings.Join(srv.ConfirmedHosts(), ", "))
		return exitOK
	}
	textf(c.stdout, "server %s: confirmed %s; the password goes to %s\n", srv.ID, strings.Join(hosts, ", "), strings.Join(srv.ConfirmedHosts(), ", "))
	return exitOK
}

func (c *cmd) serverRemove(args []string) int {
	fs, ctxName, _ := c.serverFlags("remove", false)
	core, cx, id, code, ok := c.parseServerID(fs, args, ctxName)
	if !ok {
		return code
	}
	if err := core.RemoveServer(context.Background(), cx, id); err != nil {
		return c.fail(err)
	}
	textf(c.stdout, "removed policy server %s\n", id)
	return exitOK
}

func (c *cmd) serverList(args []string) int {
	fs, ctxName, asJSON := c.serverFlags("list", true)
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return c.usage("server list takes no arguments, got %q", pos[0])
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	list, err := core.Servers(cx)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		if list == nil {
			list = []app.Server{}
		}
		return c.printJSON(list)
	}
	if len(list) == 0 {
		textf(c.stdout, "no policy servers in the %s context\n", cx)
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROTOCOL\tAUTH\tUSER\tAUTOENROLL\tNAME\tURL")
	for _, s := range list {
		name := dash(s.FriendlyName)
		if s.Managed {
			name += " (set by your organisation)"
		}
		textf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\n", s.ID, s.Protocol, s.Auth, dash(s.Username), s.AutoEnroll, name, s.URL)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// learnPasswordHosts fetches the policy of a password server about to be
// added (the password goes to the CEP's host only) and sets o's confirmed
// hosts to every host it would send the password to: adding the server
// after printing them is the person's confirmation. It returns why no
// policy could be had, or "".
func learnPasswordHosts(core *app.Core, cx store.Context, o *app.ServerOptions) string {
	switch {
	case o.Auth != app.AuthPassword || o.Username == "":
		return "" // AddServer refuses or needs no hosts
	case o.CAFile != "" && !o.TrustCA:
		return "" // AddServer asks for the CA first; nothing is sent before
	case o.Password == "":
		return "the policy was not fetched without a password"
	}
	pol, err := core.TestServer(context.Background(), cx, *o)
	if err != nil {
		return "the policy could not be fetched: " + err.Error()
	}
	o.ConfirmedHosts = app.PasswordHosts(o.URL, pol)
	return ""
}

// confirmHint adds to an *app.UnconfirmedHostsError the command that
// confirms the hosts.
func confirmHint(err error, cx store.Context) error {
	var ue *app.UnconfirmedHostsError
	if errors.As(err, &ue) {
		return fmt.Errorf("%w; if it is yours, run \"certdesk server confirm-hosts -context %s %s\"", err, cx, ue.Server)
	}
	return err
}
