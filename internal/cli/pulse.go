package cli

import (
	"context"

	"github.com/certdesk/certdesk/app"
)

// runPulse implements "certdesk pulse [-context C] [-retry] [-json]": exit
// 0 when nothing failed, 1 when a renewal, a poll or an enrollment failed.
func (c *cmd) runPulse(args []string) int {
	fs := c.newFlags("pulse")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	asJSON := fs.Bool("json", false, "print the report as JSON (docs/core.md)")
	retry := fs.Bool("retry", false, "first forget every backoff and permanent failure (after fixing their cause) and fetch the policies in full")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return c.usage("pulse takes no arguments, got %q", pos[0])
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
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
					retry = "retried after " + o.NextAttempt.Local().Format("2006-01-02 15:04")
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
	return exitOK
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
