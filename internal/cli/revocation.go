package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const revocationUsage = `usage:
  certdesk revocation check [-context C] [THUMBPRINT] [-json]
Exit status: 0 when no certificate is revoked (good, unknown and not checked
are printed), 1 when one is revoked or the stores cannot be read, 2 for bad usage.`

// runRevocation implements "certdesk revocation check": the revocation
// status of the certificates of My, asked now over the network (OCSP, then
// the CRL), and cached for status, the metrics and the GUI.
func (c *cmd) runRevocation(args []string) int {
	if len(args) == 0 || args[0] != "check" {
		return c.needSub("revocation", args)
	}
	fs := c.newFlags("revocation check")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print the results as JSON (docs/monitoring.md)")
	pos, code, ok := c.parseOrExit(fs, args[1:])
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return c.usage("revocation check takes at most one THUMBPRINT")
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.fail(err)
	}
	ctx := context.Background()
	var rs []app.RevocationResult
	if len(pos) == 1 {
		var r *app.RevocationResult
		if r, err = core.Revocation(ctx, cx, pos[0], true); err == nil {
			rs = []app.RevocationResult{*r}
		}
	} else {
		rs, err = core.CheckRevocation(ctx, cx, true)
	}
	if err != nil {
		return c.fail(err)
	}
	status := exitOK
	for _, r := range rs {
		if r.Status == app.RevocationRevoked {
			status = exitFail
		}
	}
	if *asJSON {
		if rs == nil {
			rs = []app.RevocationResult{}
		}
		if code := c.printJSON(rs); code != exitOK {
			return code
		}
		return status
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "THUMBPRINT\tSTATUS\tDETAIL\tSUBJECT")
	for _, r := range rs {
		detail := r.Reason
		if r.Status == app.RevocationRevoked && !r.RevokedAt.IsZero() {
			detail += " since " + r.RevokedAt.UTC().Format(time.RFC3339)
		}
		if detail == "" {
			detail = "-"
		}
		textf(tw, "%s\t%s\t%s\t%s\n", r.Thumbprint, r.Status, detail, r.Subject)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return status
}

// testcaRevoke implements "certdesk testca revoke -dir D THUMBPRINT
// [-reason R]": the test CA's CRL and OCSP responder say revoked from now.
func (c *cmd) testcaRevoke(args []string) int {
	fs := c.newFlags("testca revoke")
	dir := fs.String("dir", "", "state `directory` of the test CA")
	reason := fs.String("reason", "", "RFC 5280 `reason`: keyCompromise, superseded, cessationOfOperation, …")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || *dir == "" {
		return c.usage("usage: certdesk testca revoke -dir D THUMBPRINT [-reason R]")
	}
	ca, err := openTestCA(*dir)
	if err != nil {
		return c.fail(err)
	}
	cert, err := ca.Revoke(pos[0], *reason)
	if err != nil {
		return c.fail(err)
	}
	textf(c.stdout, "revoked %s, serial %X\n", cert.Subject, cert.SerialNumber)
	return exitOK
}

// listedEntry is an entry of "store list -json": for My, with its cached
// revocation status.
type listedEntry struct {
	store.Entry
	Revocation string `json:"revocation,omitempty"`
}

// withRevocation adds the cached revocation status and the renewal state
// (meta.renewal) to the entries of My; other stores are listed as they
// are.
func withRevocation(s *store.Store, n store.Name, es []store.Entry) any {
	if n != store.My {
		return es
	}
	m, renewal := app.ReadRevocation(s, time.Now()), app.RenewalStates(s)
	out := make([]listedEntry, len(es))
	for i, e := range es {
		e.Meta.Renewal = renewal[e.Thumbprint]
		out[i] = listedEntry{Entry: e, Revocation: app.RevocationNotChecked}
		if r, ok := m[e.Thumbprint]; ok {
			out[i].Revocation = r.Status
		}
	}
	return out
}

// revocationOf is the cached revocation answer of an entry of My for
// "store show -json"; nil for the other stores.
func revocationOf(s *store.Store, n store.Name, e store.Entry, now time.Time) *app.RevocationResult {
	if n != store.My {
		return nil
	}
	if r, ok := app.ReadRevocation(s, now)[e.Thumbprint]; ok {
		return &r
	}
	return &app.RevocationResult{Thumbprint: e.Thumbprint, Subject: e.Subject, Status: app.RevocationNotChecked}
}
