package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

const settingsUsage = `usage:
  certdesk settings [-context C] [-json]   every setting: value, default and source
  certdesk settings set [-json] NAME VALUE change one ("default" restores the default)

A setting the administrator's managed file sets (docs/managed.md) has the
source "managed" and cannot be set here.`

// runSettings implements "certdesk settings [-context C] [-json]" and
// "certdesk settings set NAME VALUE", the GUI's Settings tab. Parsing and
// validation are the core's (app.ParseSetting); a bad value is one
// sentence, exit 1, and changes nothing.
func (c *cmd) runSettings(args []string) int {
	set := len(args) > 0 && args[0] == "set"
	if set {
		args = args[1:]
	}
	fs := c.newFlags("settings")
	ctxName := fs.String("context", "user", "context whose effective values are shown (metricsDir differs by context)")
	asJSON := fs.Bool("json", false, "print the settings as a JSON array (with set: the one setting as an object; docs/cli.md)")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	switch {
	case !set && len(pos) > 0:
		return c.usage("unknown settings command %q: use \"settings set NAME VALUE\" (certdesk settings -h)", pos[0])
	case set && len(pos) != 2:
		return c.usage("settings set takes NAME VALUE (certdesk settings -h)")
	case set && !app.IsSetting(pos[0]):
		return c.usage("unknown setting %q: use %s", pos[0], strings.Join(app.SettingNames(), ", "))
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	c.reportManaged(core, cx)
	if set {
		if err := core.SetSetting(pos[0], pos[1]); err != nil {
			return c.fail(err)
		}
	}
	list := core.ListSettings(cx)
	if set {
		for _, s := range list {
			if s.Name != pos[0] {
				continue
			}
			if *asJSON {
				return c.printJSON(s)
			}
			textf(c.stdout, "%s = %s (%s)\n", s.Name, s.Value, string(s.Source))
		}
		return exitOK
	}
	if *asJSON {
		return c.printJSON(list)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVALUE\tSOURCE\tDEFAULT")
	for _, s := range list {
		textf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Value, string(s.Source), s.Default)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// reportManaged writes the problems of the administrator's managed file to
// stderr, once per content of the file (app.Core.ReportManaged, which
// also records them in the history).
func (c *cmd) reportManaged(core *app.Core, cx store.Context) {
	problems, err := core.ReportManaged(cx)
	for _, p := range problems {
		textf(c.stderr, "certdesk: managed configuration %s: %s\n", core.Managed().Path, oneLine(p))
	}
	if err != nil {
		textf(c.stderr, "certdesk: managed configuration: %s\n", oneLine(err.Error()))
	}
}
