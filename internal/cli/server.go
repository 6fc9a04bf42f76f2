package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const serverUsage = `usage:
  certdesk server add    [-context C] -url URL -auth password|certificate|anonymous [-name NAME]
                         [-username U] [-password-stdin | -password-file F] [-autoenroll]
                         [-ca-file F [-trust-ca]] [-kbr-url URL] [-cert THUMBPRINT] [-json]
  certdesk server list   [-context C] [-json]
  certdesk server remove [-context C] ID
  certdesk server confirm-hosts [-context C] [-json] ID
The password goes to the OS keyring (the machine context: a root-only file), never
to a file certdesk writes in clear. -ca-file names the CA to trust for the server;
it is put into the context's Root store only with -trust-ca, after you have checked
the fingerprint that "server add -ca-file F" prints without it.
With password authentication, "server add" fetches the policy (the password goes
to the CEP's host only) and prints the hosts that will receive the password; they
are confirmed by adding the server. The password never goes to another host: when
a later policy names a CES elsewhere, enrollment and renewal stop until you run
"server confirm-hosts ID", which prints and confirms the hosts the policy names.`

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

// runServer implements "certdesk server add|list|remove|confirm-hosts".
func (c *cmd) runServer(args []string) int {
	if len(args) == 0 || strings.TrimLeft(args[0], "-") == "h" || strings.TrimLeft(args[0], "-") == "help" {
		fmt.Fprintln(c.stderr, serverUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	fs := c.newFlags("server " + args[0])
	fs.Usage = func() { fmt.Fprintln(c.stderr, serverUsage) }
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print JSON (docs/core.md)")
	switch args[0] {
	case "add":
		var o app.ServerOptions
		var auth string
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
		pos, code, ok := c.parseOrExit(fs, args[1:])
		if !ok {
			return code
		}
		if len(pos) != 0 || o.URL == "" || auth == "" {
			return c.usage("server add needs -url and -auth\n%s", serverUsage)
		}
		o.Auth = app.Auth(auth)
		pw, err := c.readPassword(*pwFile, *pwStdin)
		if err != nil {
			return c.passwordError(err)
		}
		o.Password = pw
		core, cx, err := openCore(*ctxName)
		if err != nil {
			return c.usage("%s", err)
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
	case "confirm-hosts":
		pos, code, ok := c.parseOrExit(fs, args[1:])
		if !ok {
			return code
		}
		if len(pos) != 1 {
			return c.usage("server confirm-hosts needs one server id\n%s", serverUsage)
		}
		core, cx, err := openCore(*ctxName)
		if err != nil {
			return c.usage("%s", err)
		}
		srv, hosts, err := core.UnconfirmedHosts(context.Background(), cx, pos[0])
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
	case "list", "remove":
		pos, code, ok := c.parseOrExit(fs, args[1:])
		if !ok {
			return code
		}
		core, cx, err := openCore(*ctxName)
		if err != nil {
			return c.usage("%s", err)
		}
		if args[0] == "remove" {
			if len(pos) != 1 {
				return c.usage("server remove needs one server id\n%s", serverUsage)
			}
			if err := core.RemoveServer(context.Background(), cx, pos[0]); err != nil {
				return c.fail(err)
			}
			textf(c.stdout, "removed policy server %s\n", pos[0])
			return exitOK
		}
		if len(pos) != 0 {
			return c.usage("server list takes no arguments\n%s", serverUsage)
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
		fmt.Fprintln(tw, "ID\tAUTH\tUSER\tAUTOENROLL\tNAME\tURL")
		for _, s := range list {
			textf(tw, "%s\t%s\t%s\t%v\t%s\t%s\n", s.ID, s.Auth, dash(s.Username), s.AutoEnroll, dash(s.FriendlyName), s.URL)
		}
		if err := tw.Flush(); err != nil {
			return c.fail(err)
		}
		return exitOK
	}
	return c.usage("unknown server verb %q\n%s", args[0], serverUsage)
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
