package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const hookUsage = `usage:
  certdesk hook set    [-context C] THUMBPRINT [-cert F] [-chain F] [-fullchain F] [-key F] [-mode 0600] [-force] [-- COMMAND ARGS...]
  certdesk hook list   [-context C] [-json]
  certdesk hook remove [-context C] THUMBPRINT
  certdesk hook run    [-context C] THUMBPRINT      deploy now
After each renewal of the certificate, its PEM files are written to the absolute paths
given (with -mode) and COMMAND runs without a shell, with CERTDESK_THUMBPRINT and
CERTDESK_CONTEXT set. The hook follows the certificate to its renewed successor.
A failing hook is reported; the renewal is kept. "hook set" replaces an existing
hook of the certificate only with -force.`

// hookRow is one element of "certdesk hook list -json" (docs/cli.md).
type hookRow struct {
	Thumbprint string `json:"thumbprint"`
	app.Hook
}

// runHook implements "certdesk hook set|list|remove|run".
func (c *cmd) runHook(args []string) int {
	if len(args) == 0 {
		return c.needSub("hook", args)
	}
	switch args[0] {
	case "set", "list", "remove", "run":
	default:
		return c.needSub("hook", args)
	}
	fs := c.newFlags("hook " + args[0])
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := new(bool)
	if args[0] == "list" {
		asJSON = fs.Bool("json", false, "print JSON (docs/cli.md)")
	}
	var h app.Hook
	force := new(bool)
	if args[0] == "set" {
		fs.StringVar(&h.CertFile, "cert", "", "write the certificate (PEM) here (an absolute path)")
		fs.StringVar(&h.ChainFile, "chain", "", "write the chain (PEM) here (an absolute path)")
		fs.StringVar(&h.FullChainFile, "fullchain", "", "write the certificate and chain (PEM) here (an absolute path)")
		fs.StringVar(&h.KeyFile, "key", "", "write the private key (PKCS#8 PEM, unencrypted) here (an absolute path)")
		fs.StringVar(&h.Mode, "mode", "0600", "permissions of the files written")
		force = fs.Bool("force", false, "replace the certificate's existing hook")
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
	for _, f := range []string{h.CertFile, h.ChainFile, h.FullChainFile, h.KeyFile} {
		if f != "" && !filepath.IsAbs(f) {
			return c.usage("hook set: %q is not an absolute path (pulse runs from any directory)", f)
		}
	}
	if args[0] == "list" && len(pos) != 0 {
		return c.usage("hook list takes no arguments, got %q", pos[0])
	}
	if args[0] != "list" && len(pos) != 1 {
		return c.usage("hook %s needs one thumbprint (certdesk hook %s -h)", args[0], args[0])
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	ctx := context.Background()
	hooks, err := core.Hooks(cx)
	if err != nil {
		return c.fail(err)
	}
	if args[0] == "list" {
		rows := make([]hookRow, 0, len(hooks))
		for _, k := range sortedKeys(hooks) {
			rows = append(rows, hookRow{Thumbprint: k, Hook: hooks[k]})
		}
		if *asJSON {
			return c.printJSON(rows)
		}
		if len(rows) == 0 {
			textf(c.stdout, "no deploy hooks in the %s context\n", cx)
		}
		for _, x := range rows {
			textf(c.stdout, "%s cert=%s chain=%s fullchain=%s key=%s mode=%s command=%s\n", x.Thumbprint, dash(x.CertFile), dash(x.ChainFile),
				dash(x.FullChainFile), dash(x.KeyFile), dash(x.Mode), dash(strings.Join(x.Command, " ")))
		}
		return exitOK
	}
	t, err := store.NormalizeThumbprint(pos[0])
	if err != nil {
		return c.usage("%s", err)
	}
	_, exists := hooks[t]
	switch args[0] {
	case "set":
		if exists && !*force {
			return c.fail(fmt.Errorf("%s already has a deploy hook (certdesk hook list); give -force to replace it", t))
		}
		if err := core.SetHook(ctx, cx, t, h); err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "deploy hook of %s saved\n", t)
		return exitOK
	case "remove":
		if !exists {
			return c.fail(fmt.Errorf("%s has no deploy hook in the %s context (certdesk hook list)", t, cx))
		}
		if err := core.SetHook(ctx, cx, t, app.Hook{}); err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "deploy hook of %s removed\n", t)
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
