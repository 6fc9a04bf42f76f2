package cli

import (
	"context"
	"errors"
	"flag"
	"strings"

	"github.com/certdesk/certdesk/app"
)

const pinUsage = `usage:
  certdesk pin [-context C] [-token LABEL]                 is a PIN saved for the token?
  certdesk pin save [-context C] [-token LABEL] [-pin-stdin | -pin-file F]   (one of them)
  certdesk pin forget [-context C] [-token LABEL]
A token's PIN saved here (or with -save-pin of enroll and renew) lets the
scheduled pulse renew keys on that token; save checks it with the token first.
It is kept in the OS keyring (the machine context: a root-only file) under the
PKCS#11 module and the token's label; -token defaults to the pkcs11Token setting.`

// pinFlags are the flags that give a token PIN for one command.
type pinFlags struct {
	stdin *bool
	file  *string
	save  *bool
}

// addPINFlags registers -pin-stdin and -pin-file on fs, and -save-pin
// when withSave.
func addPINFlags(fs *flag.FlagSet, withSave bool) pinFlags {
	p := pinFlags{
		stdin: fs.Bool("pin-stdin", false, "read the token's PIN from standard input"),
		file:  fs.String("pin-file", "", "read the token's PIN from this file"),
		save:  new(bool),
	}
	if withSave {
		fs.BoolVar(p.save, "save-pin", false, "keep the PIN in the OS keyring once the token accepts it, for unattended renewal (docs/keys.md)")
	}
	return p
}

// read returns the PIN given, or exits as usage (two sources, -save-pin
// without a PIN) or failure (an unreadable file).
func (c *cmd) readPIN(p pinFlags) (app.TokenPIN, int, bool) {
	pin, err := c.readPassword(*p.file, *p.stdin)
	switch {
	case errors.Is(err, errPasswordSources):
		return app.TokenPIN{}, c.usage("give the PIN once: -pin-stdin or -pin-file"), false
	case err != nil:
		return app.TokenPIN{}, c.fail(errors.New(strings.ReplaceAll(err.Error(), "password", "PIN"))), false
	case *p.save && pin == "":
		return app.TokenPIN{}, c.usage("-save-pin needs the PIN: -pin-stdin or -pin-file"), false
	}
	return app.TokenPIN{PIN: pin, Save: *p.save}, 0, true
}

// runPin implements "certdesk pin [save|forget] [-context C] [-token LABEL]".
func (c *cmd) runPin(args []string) int {
	sub := ""
	if len(args) > 0 && (args[0] == "save" || args[0] == "forget") {
		sub, args = args[0], args[1:]
	}
	fs := c.newFlags("pin")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	token := fs.String("token", "", "the token's label (default: the pkcs11Token setting)")
	var pf pinFlags
	if sub == "save" {
		pf = addPINFlags(fs, false)
	}
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return c.usage("unknown pin command %q: use save or forget (certdesk pin -h)", pos[0])
	}
	var pin app.TokenPIN
	if sub == "save" {
		if pin, code, ok = c.readPIN(pf); !ok {
			return code
		}
		if pin.PIN == "" {
			return c.usage("pin save needs the PIN: -pin-stdin or -pin-file")
		}
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	ctx := context.Background()
	label, err := core.PINToken(*token)
	if err != nil {
		return c.fail(err)
	}
	switch sub {
	case "save":
		if err := core.SavePIN(ctx, cx, label, pin.PIN); err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "token %q accepted the PIN; it is saved for unattended renewal\n", label)
	case "forget":
		err := core.ForgetPIN(ctx, cx, label)
		if errors.Is(err, app.ErrNoPIN) {
			textf(c.stdout, "no PIN was saved for token %q\n", label)
			return exitOK
		}
		if err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "the PIN of token %q is forgotten\n", label)
	default:
		saved, err := core.HasPIN(ctx, cx, label)
		switch {
		case err != nil:
			return c.fail(err)
		case saved:
			textf(c.stdout, "a PIN is saved for token %q\n", label)
		default:
			textf(c.stdout, "no PIN is saved for token %q\n", label)
		}
	}
	return exitOK
}
