package cli

import (
	"time"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const scheduleUsage = `usage:
  certdesk schedule install [-context C]   an OS job runs "certdesk pulse -context C" every 8 hours
  certdesk schedule remove  [-context C]
  certdesk schedule status  [-context C]
The job is a systemd user timer (Linux), a launchd agent (macOS) or a Task Scheduler
task (Windows); the machine context's job needs root.`

// runSchedule implements "certdesk schedule install|remove|status
// [-context C]": the OS job that runs "certdesk pulse -context C".
func (c *cmd) runSchedule(args []string) int {
	fs := c.newFlags("schedule")
	ctxName := fs.String("context", "user", "context: machine, user or app:<id>")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.needSub("schedule", pos)
	}
	if _, err := store.ParseContext(*ctxName); err != nil {
		return c.usage("%s", err)
	}
	var s app.Scheduler
	if root := os.Getenv("CERTDESK_ROOT"); root != "" {
		// The job must look where this invocation looks, from any
		// working directory.
		abs, err := filepath.Abs(root)
		if err != nil {
			return c.fail(fmt.Errorf("resolve CERTDESK_ROOT: %w", err))
		}
		s.Env = []string{"CERTDESK_ROOT=" + abs}
	}
	ctx := context.Background()
	switch pos[0] {
	case "install":
		notes, err := s.Install(ctx, *ctxName)
		if err != nil {
			return c.fail(err)
		}
		textf(c.stdout, "scheduled certdesk pulse for the %s context every 8 hours\n", *ctxName)
		c.notes(notes)
	case "remove":
		notes, err := s.Remove(ctx, *ctxName)
		if err != nil {
			return c.fail(err)
		}
		if len(notes) == 0 {
			textf(c.stdout, "removed the schedule of the %s context\n", *ctxName)
		}
		c.notes(notes)
	case "status":
		st, err := s.Status(ctx, *ctxName)
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintln(c.stdout, formatScheduleStatus(st))
	default:
		return c.needSub("schedule", pos)
	}
	return exitOK
}

func (c *cmd) notes(notes []string) {
	for _, n := range notes {
		textf(c.stdout, "note: %s\n", n)
	}
}

// formatScheduleStatus is the one-paragraph answer of "schedule status".
func formatScheduleStatus(st app.ScheduleStatus) string {
	if !st.Installed {
		return fmt.Sprintf("%s: not scheduled (certdesk schedule install -context %s)", st.Context, st.Context)
	}
	var b strings.Builder
	textf(&b, "%s: scheduled", st.Context)
	if st.Active {
		b.WriteString(", active")
	}
	if !st.NextRun.IsZero() {
		textf(&b, ", next run %s", st.NextRun.Local().Format(time.RFC3339))
	}
	if st.Detail != "" {
		textf(&b, " (%s)", st.Detail)
	}
	for _, f := range st.Files {
		textf(&b, "\n  %s", f)
	}
	return b.String()
}
