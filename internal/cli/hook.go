package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const hookUsage = `usage:
  certdesk hook set    [-context C] THUMBPRINT [-cert F] [-chain F] [-fullchain F] [-key F] [-mode 0600] [-- COMMAND ARGS...]
  certdesk hook list   [-context C] [-json]
  certdesk hook remove [-context C] THUMBPRINT
  certdesk hook run    [-context C] THUMBPRINT      deploy now
After each renewal of the certificate, its PEM files are written to the absolute paths
given (with -mode) and COMMAND runs without a shell, with CERTDESK_THUMBPRINT and
CERTDESK_CONTEXT set. The hook follows the certificate to its renewed successor.
A failing hook is reported; the renewal is kept.`

// runHook implements "certdesk hook set|list|remove|run".
func (c *cmd) runHook(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(c.stderr, hookUsage)
		return exitUsage
	}
	switch args[0] {
	case "set", "list", "remove", "run":
	default:
		return c.usage("unknown hook verb %q\n%s", args[0], hookUsage)
	}
	fs := c.newFlags("hook " + args[0])
	fs.Usage = func() { fmt.Fprintln(c.stderr, hookUsage) }
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print JSON (docs/core.md)")
	var h app.Hook
	if args[0] == "set" {
		fs.StringVar(&h.CertFile, "cert", "", "write the certificate (PEM) here")
		fs.StringVar(&h.ChainFile, "chain", "", "write the chain (PEM) here")
		fs.StringVar(&h.FullChainFile, "fullchain", "", "write the certificate and chain (PEM) here")
		fs.StringVar(&h.KeyFile, "key", "", "write the private key (PKCS#8 PEM, unencrypted) here")
		fs.StringVar(&h.Mode, "mode", "0600", "permissions of the files written")
	}
	rest := args[1:]
	for i, a := range rest {
		if a == "--" {
			h.Command, rest = append([]string(nil), rest[i+1:]...), rest[:i]
			break
		}
	}
	pos, code, ok := c.parseOrExit(fs, rest)
	if !ok {
		return code
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	ctx := context.Background()
	if args[0] == "list" {
		hooks, err := core.Hooks(cx)
		if err != nil {
			return c.fail(err)
		}
		if *asJSON {
			return c.printJSON(hooks)
		}
		keys := make([]string, 0, len(hooks))
		for k := range hooks {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x := hooks[k]
			textf(c.stdout, "%s cert=%s chain=%s fullchain=%s key=%s mode=%s command=%s\n", k, dash(x.CertFile), dash(x.ChainFile),
				dash(x.FullChainFile), dash(x.KeyFile), dash(x.Mode), dash(strings.Join(x.Command, " ")))
		}
		return exitOK
	}
	if len(pos) != 1 {
		return c.usage("hook %s needs one thumbprint\n%s", args[0], hookUsage)
	}
	t, err := store.NormalizeThumbprint(pos[0])
	if err != nil {
		return c.usage("%s", err)
	}
	switch args[0] {
	case "set", "remove":
		if args[0] == "remove" {
			h = app.Hook{}
		}
		if err := core.SetHook(ctx, cx, t, h); err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "deploy hook of %s %sd\n", t, map[string]string{"set": "save", "remove": "remove"}[args[0]])
		return exitOK
	}
	r, err := core.RunHook(ctx, cx, t)
	if err != nil {
		return c.fail(err)
	}
	if !r.OK {
		return c.fail(fmt.Errorf("%s", r.Error))
	}
	textf(c.stdout, "deployed %s\n", t)
	return exitOK
}
