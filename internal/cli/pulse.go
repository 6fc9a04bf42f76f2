package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const pulseUsage = `usage:
  certdesk pulse [-context C] [-retry] [-dry-run] [-q] [-json]
A renewal check now: polls pending requests, renews what is due, autoenrolls.
Exit 0 when nothing failed; 1 when a renewal, a poll or an enrollment failed, or
when a due renewal waits on a retry (backing off, or failed for good: fix the
cause and run "certdesk pulse -retry").
-dry-run lists what is due and what would be done with it; nothing is sent or
written. -q prints nothing on standard output (for cron); errors still go to
standard error.`

const renewUsage = `usage:
  certdesk renew [-context C] [-pin-stdin | -pin-file F] [-save-pin] [-json] THUMBPRINT
Renews one certificate of My now, whether it is due or not (the GUI's "Renew now");
an earlier failure of its renewal is forgotten first. Exit 1 if the renewal failed.
A key on a token needs its PIN: given here, or saved ("certdesk pin save").`

// runPulse implements "certdesk pulse [-context C] [-retry] [-dry-run]
// [-q] [-json]": exit 0 when nothing failed, 1 when a renewal, a poll or
// an enrollment failed or a due renewal waits on a retry.
func (c *cmd) runPulse(args []string) int {
	fs := c.newFlags("pulse")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print the report as JSON (docs/cli.md)")
	retry := fs.Bool("retry", false, "first forget every backoff and permanent failure (after fixing their cause) and fetch the policies in full")
	dryRun := fs.Bool("dry-run", false, "list what is due and what would be done; send and write nothing")
	quiet := fs.Bool("q", false, "print nothing on standard output; errors still go to standard error")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) != 0:
		return c.usage("pulse takes no arguments, got %q", pos[0])
	case *dryRun && *retry:
		return c.usage("pulse: -dry-run and -retry do not go together (-retry writes)")
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	if *quiet {
		c.stdout = io.Discard
	}
	if *dryRun {
		return c.pulseDryRun(core, cx, *asJSON)
	}
	c.reportManaged(core, cx)
	if *retry {
		if err := core.Retry(context.Background(), cx); err != nil {
			return c.fail(err)
		}
	}
	rep, err := core.Pulse(context.Background(), cx)
	if rep == nil {
		return c.fail(err)
	}
	if *asJSON {
		c.printJSON(rep)
	} else {
		if len(rep.Requests) > 0 {
			c.printRequests(rep.Requests, false)
		}
		for _, o := range rep.Renewals {
			switch o.Outcome {
			case app.OutcomeOK:
				textf(c.stdout, "renewed %s (%s, %s renewal) → %s\n", o.Thumbprint, o.Subject, o.Method, o.NewThumbprint)
				for _, h := range o.Hooks {
					if !h.OK {
						textf(c.stderr, "certdesk: %s (the renewal is kept)\n", oneLine(h.Error))
					}
				}
			case app.OutcomePending:
				textf(c.stdout, "renewal of %s pending: %s\n", o.Thumbprint, oneLine(o.Reason))
			default:
				retry := "not retried automatically"
				if !o.Permanent {
					retry = "retried after " + o.NextAttempt.Local().Format(time.RFC3339)
				}
				textf(c.stderr, "certdesk: renew %s (%s): %s; %s\n", o.Thumbprint, o.Subject, oneLine(o.Reason), retry)
			}
		}
		for _, a := range rep.Enrollments {
			switch a.Outcome {
			case app.OutcomeOK:
				textf(c.stdout, "autoenrolled %s from %s: %s\n", a.Template, a.Server, a.Thumbprint)
			case app.OutcomePending:
				textf(c.stdout, "autoenrollment of %s from %s pending: %s\n", a.Template, a.Server, oneLine(a.Reason))
			default:
				textf(c.stderr, "certdesk: autoenroll %s from %s: %s\n", dash(a.Template), a.Server, oneLine(a.Reason))
			}
		}
		textf(c.stdout, "%s: %d checked, %d due, %d renewed, %d failed\n", rep.Context, rep.Checked, rep.Due, countOK(rep.Renewals), rep.Failed)
	}
	if err != nil {
		// The pulse ran but something after it failed (the retry state,
		// the metrics file): its report above, then the error.
		return c.fail(err)
	}
	if rep.Failed > 0 {
		return exitFail
	}
	if rep.Retrying > 0 {
		textf(c.stderr, "certdesk: pulse %s: %d due renewals wait on a retry (certdesk pulse -dry-run shows them; fix the cause, then certdesk pulse -retry)\n", rep.Context, rep.Retrying)
		return exitFail
	}
	return exitOK
}

// pulseDryRun prints what a pulse would renew now (app.Core.PlanPulse);
// it exits as the pulse would for what waits on a retry.
func (c *cmd) pulseDryRun(core *app.Core, cx store.Context, asJSON bool) int {
	plan, err := core.PlanPulse(context.Background(), cx)
	if err != nil {
		return c.fail(err)
	}
	retrying := 0
	for _, p := range plan {
		if p.Action == app.PlanRetryWait {
			retrying++
		}
	}
	if asJSON {
		c.printJSON(plan)
	} else {
		if len(plan) == 0 {
			textf(c.stdout, "%s: nothing is due\n", cx)
		}
		for _, p := range plan {
			switch p.Action {
			case app.PlanRenew:
				textf(c.stdout, "would renew %s (%s), due since %s\n", p.Thumbprint, p.Subject, p.RenewAt.Format(time.RFC3339))
			case app.PlanCAPending:
				textf(c.stdout, "would poll the CA for %s (%s): its renewal waits for approval\n", p.Thumbprint, p.Subject)
			default:
				when := "not retried automatically (certdesk pulse -retry)"
				if !p.NextAttempt.IsZero() {
					when = "retried after " + p.NextAttempt.Format(time.RFC3339)
				}
				textf(c.stdout, "would wait for %s (%s): %s; %s\n", p.Thumbprint, p.Subject, dash(oneLine(p.LastError)), when)
			}
		}
	}
	if retrying > 0 {
		return exitFail
	}
	return exitOK
}

// runRenew implements "certdesk renew [-context C] [-json] THUMBPRINT".
func (c *cmd) runRenew(args []string) int {
	fs := c.newFlags("renew")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print the outcome as JSON (docs/cli.md)")
	pf := addPINFlags(fs, true)
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usage("renew needs one thumbprint (certdesk renew -h)")
	}
	pin, code, ok := c.readPIN(pf)
	if !ok {
		return code
	}
	t, err := store.NormalizeThumbprint(pos[0])
	if err != nil {
		return c.usage("%s", err)
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	ctx := context.Background()
	if pin.PIN != "" {
		ctx = app.WithTokenPIN(ctx, pin)
	}
	o, err := core.Renew(ctx, cx, t)
	if pe := new(app.PINError); errors.As(err, &pe) {
		return c.fail(err) // it names the renewal already
	}
	if err != nil {
		return c.fail(fmt.Errorf("renew %s: %w", t, err))
	}
	if *asJSON {
		c.printJSON(o)
	}
	switch o.Outcome {
	case app.OutcomeOK:
		if !*asJSON {
			textf(c.stdout, "renewed %s (%s, %s renewal) → %s\n", o.Thumbprint, o.Subject, o.Method, o.NewThumbprint)
		}
		for _, h := range o.Hooks {
			if !h.OK {
				textf(c.stderr, "certdesk: %s (the renewal is kept)\n", oneLine(h.Error))
			}
		}
		return exitOK
	case app.OutcomePending:
		if !*asJSON {
			textf(c.stdout, "renewal of %s pending: %s\n", o.Thumbprint, oneLine(o.Reason))
		}
		return exitOK
	}
	textf(c.stderr, "certdesk: renew %s (%s): %s\n", o.Thumbprint, o.Subject, oneLine(o.Reason))
	return exitFail
}

func countOK(os []app.RenewalOutcome) int {
	n := 0
	for _, o := range os {
		if o.Outcome == app.OutcomeOK {
			n++
		}
	}
	return n
}
