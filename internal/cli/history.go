package cli

import (
	"time"

	"fmt"
	"text/tabwriter"

	"github.com/certdesk/certdesk/app"
)

const historyUsage = `usage:
  certdesk history [-context C] [-outcome ok|nothing-due|failed|pending|denied] [-json]
Every check, renewal, enrollment and poll of the context, oldest first.`

// runHistory implements "certdesk history [-context C] [-json] [-outcome O]".
func (c *cmd) runHistory(args []string) int {
	fs := c.newFlags("history")
	ctxName := fs.String("context", "user", "context: machine, user or app:<id>")
	asJSON := fs.Bool("json", false, "print the records as a JSON array (docs/cli.md)")
	outcome := fs.String("outcome", "", "only records with this outcome: ok, nothing-due, failed, pending or denied")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return c.usage("history takes no arguments, got %q", pos[0])
	}
	want, err := app.ParseOutcome(*outcome)
	if err != nil {
		return c.usage("%s", err)
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	h, err := core.History(cx)
	if err != nil {
		return c.fail(err)
	}
	recs, err := h.Read(app.HistoryFilter{Outcome: want})
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		if recs == nil {
			recs = []app.Record{} // "[]", not "null", for scripts
		}
		return c.printJSON(recs)
	}
	if len(recs) == 0 {
		textf(c.stdout, "no history for the %s context\n", *ctxName)
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tOUTCOME\tSUBJECT\tREASON")
	for _, r := range recs {
		subject := r.Subject
		if subject == "" {
			subject = r.Thumbprint
		}
		textf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format(time.RFC3339), r.Action, r.Outcome.Text(), dash(subject), dash(oneLine(r.Reason)))
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
