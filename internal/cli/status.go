package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const statusUsage = `usage:
  certdesk status [-context C] [-warn-days N] [-crit-days N] [-json]
A monitoring-plugin check (Nagios, Icinga, Checkmk): one line
"CERTDESK LEVEL - summary | perfdata". Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
(bad usage is UNKNOWN too, as the plugin guidelines ask). See docs/monitoring.md.`

// runStatus implements "certdesk status [-context C] [-warn-days N]
// [-crit-days N] [-json]", a monitoring-plugin check (Nagios, Icinga,
// Checkmk): one line "CERTDESK LEVEL - summary | perfdata" and the exit
// status of the level, 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. The rule is
// app.Health's. Bad usage is UNKNOWN too, as the plugin guidelines ask: a
// 2 would page someone for a typo.
func (c *cmd) runStatus(args []string) int {
	fs := c.newFlags("status")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	warnDays := fs.Int("warn-days", int(store.ExpiringWithin/(24*time.Hour)), "WARNING when a certificate expires within this many days")
	critDays := fs.Int("crit-days", app.DefaultCritDays, "CRITICAL when a certificate expires within this many days")
	asJSON := fs.Bool("json", false, "print the report as JSON (docs/monitoring.md)")
	unknown := func(format string, a ...any) int {
		textf(c.stdout, "CERTDESK UNKNOWN - %s\n", pluginText(fmt.Sprintf(format, a...)))
		return int(app.LevelUnknown)
	}
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		if code == exitUsage {
			return unknown("bad usage (stderr says why; see certdesk status -h)")
		}
		return code
	}
	switch {
	case len(pos) != 0:
		return unknown("status takes no arguments, got %q", pos[0])
	case *critDays < 0 || *warnDays < 1 || *warnDays > 3660:
		return unknown("-warn-days %d and -crit-days %d: use 1 to 3660 warning days and 0 or more critical days", *warnDays, *critDays)
	case *critDays > *warnDays:
		return unknown("-crit-days %d exceeds -warn-days %d", *critDays, *warnDays)
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return unknown("%s", err)
	}
	rep, err := core.Health(context.Background(), cx, app.HealthOptions{Warn: time.Duration(*warnDays) * 24 * time.Hour,
		Crit: time.Duration(*critDays) * 24 * time.Hour})
	if err != nil {
		if *asJSON {
			c.printJSON(struct {
				Context string    `json:"context"`
				Level   app.Level `json:"level"`
				Error   string    `json:"error"`
			}{string(cx), app.LevelUnknown, err.Error()})
			return int(app.LevelUnknown)
		}
		return unknown("the %s stores cannot be read: %s", string(cx), err)
	}
	if *asJSON {
		c.printJSON(rep)
		return int(rep.Level)
	}
	textf(c.stdout, "CERTDESK %s - %s | %s\n", rep.Level.String(), pluginText(rep.Summary()), perfdata(rep))
	return int(rep.Level)
}

// pluginText makes s safe for a plugin's first line: escaped for a
// terminal, and with "|" (which would start the perfdata) shown as "¦".
func pluginText(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", "¦")
}

// perfdata is the report's performance data per the plugin guidelines:
// 'label'=value[UOM];warn;crit;min;max, thresholds as ranges ("N:" is
// "alert below N"). expiry is the seconds left to the soonest NotAfter
// (negative once expired), absent without certificates.
func perfdata(r *app.HealthReport) string {
	s := fmt.Sprintf("certificates=%d;;;0 warning=%d;;;0 critical=%d;;;0", r.Certificates, r.Warning, r.Critical)
	if len(r.Entries) == 0 {
		return s
	}
	soonest := r.Entries[0].NotAfter
	for _, e := range r.Entries[1:] {
		if e.NotAfter.Before(soonest) {
			soonest = e.NotAfter
		}
	}
	left := int64(soonest.Sub(r.Time) / time.Second)
	return s + fmt.Sprintf(" expiry=%ds;%d:;%d:", left, int64(r.WarnDays*86400), int64(r.CritDays*86400))
}
