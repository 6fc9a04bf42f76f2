package cli

import (
	"context"
	"fmt"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const requestUsage = `usage:
  certdesk request new    [-context C] -subject DN [-dns NAME]... [-key rsa2048|rsa3072|rsa4096|p256|p384] -out FILE|- [-force] [-json]
  certdesk request accept [-context C] FILE [-json]     install a CA's answer (CER, PEM or P7B) with its waiting key
  certdesk request status [-context C] [-json]          poll pending requests; exit 1 if a poll failed`

// runRequest implements "certdesk request new|accept|status".
func (c *cmd) runRequest(args []string) int {
	if len(args) == 0 || (args[0] != "new" && args[0] != "accept" && args[0] != "status") {
		return c.needSub("request", args)
	}
	fs := c.newFlags("request " + args[0])
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print JSON (docs/core.md)")
	var r app.OfflineRequest
	var dns multiFlag
	var out string
	var force bool
	if args[0] == "new" {
		fs.StringVar(&r.Subject, "subject", "", "subject DN")
		fs.Var(&dns, "dns", "DNS name (repeatable)")
		fs.StringVar(&r.Key, "key", "", "key type (default rsa2048)")
		fs.StringVar(&out, "out", "", "where to write the CSR (PEM), - for standard output")
		fs.BoolVar(&force, "force", false, "replace an existing -out file")
	}
	pos, code, ok := c.parseOrExit(fs, args[1:])
	if !ok {
		return code
	}
	if r.Key != "" && !app.IsKeyName(r.Key) {
		return c.usage("unknown -key %q (rsa2048, rsa3072, rsa4096, p256 or p384)", r.Key)
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	ctx := context.Background()
	switch args[0] {
	case "new":
		if len(pos) != 0 || out == "" || (r.Subject == "" && len(dns) == 0) {
			return c.usage("request new needs -subject DN (or -dns NAME) and -out FILE (certdesk request new -h)")
		}
		if err := checkOutput(out, force); err != nil {
			return c.fail(err)
		}
		r.DNSNames = dns
		csr, e, err := core.RequestNew(ctx, cx, r)
		if err != nil {
			return c.fail(err)
		}
		if err := c.writeOutput(out, force, csr, 0o644); err != nil {
			// The key is stored but useless without its CSR: remove it.
			if s, serr := core.Store(cx); serr == nil {
				_ = s.Purge(ctx, store.Request, e.Thumbprint)
			}
			return c.fail(err)
		}
		if *asJSON {
			return c.printJSON(map[string]string{"request": e.Thumbprint, "subject": e.Subject, "csr": out})
		}
		msg := c.stdout
		if out == "-" {
			msg = c.stderr // the CSR itself went to standard output
		}
		textf(msg, "wrote %s; the key waits in Request as %s; install the CA's answer with \"certdesk request accept FILE\"\n", out, e.Thumbprint)
		return exitOK
	case "accept":
		if len(pos) != 1 {
			return c.usage("request accept needs one file (certdesk request accept -h)")
		}
		data, err := store.ReadImportFile(pos[0])
		if err != nil {
			return c.fail(err)
		}
		e, err := core.RequestAccept(ctx, cx, pos[0], data)
		if err != nil {
			return c.fail(err)
		}
		if *asJSON {
			return c.printJSON(e)
		}
		textf(c.stdout, "installed %s %s with its key in My\n", e.Thumbprint, e.Subject)
		return exitOK
	case "status":
		if len(pos) != 0 {
			return c.usage("request status takes no arguments (certdesk request status -h)")
		}
		outs, err := core.RequestStatus(ctx, cx)
		if err != nil {
			return c.fail(err)
		}
		if outs == nil {
			outs = []app.RequestOutcome{}
		}
		failed := c.printRequests(outs, *asJSON)
		if failed > 0 {
			return exitFail
		}
		return exitOK
	}
	return c.needSub("request", args)
}

// printRequests prints poll outcomes and returns how many failed.
func (c *cmd) printRequests(outs []app.RequestOutcome, asJSON bool) (failed int) {
	for _, o := range outs {
		if o.Outcome == app.OutcomeFailed {
			failed++
		}
	}
	if asJSON {
		c.printJSON(outs)
		return failed
	}
	if len(outs) == 0 {
		fmt.Fprintln(c.stdout, "no pending requests")
	}
	for _, o := range outs {
		switch o.Outcome {
		case app.OutcomeOK:
			textf(c.stdout, "request %s issued: installed %s %s\n", o.RequestID, o.Thumbprint, o.Subject)
		case app.OutcomePending:
			textf(c.stdout, "request %s still pending\n", o.RequestID)
		case app.OutcomeDenied:
			textf(c.stdout, "request %s denied: %s (its key was removed)\n", o.RequestID, oneLine(o.Reason))
		default:
			textf(c.stderr, "certdesk: request %s: %s\n", o.RequestID, oneLine(o.Reason))
		}
	}
	return failed
}
