// Package cli is certdesk's command line: one file per verb group, every
// verb headless (no Fyne here; the GUI starter is passed in by main).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Exit statuses of the command line (README.md): 0 success, 1 the operation
// failed, 2 bad usage.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// cmd carries the standard streams of one invocation, so verbs run
// in-process in tests exactly as they do from a shell.
type cmd struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	gui            GUI
	// flagSets, when set, receives the flag set of a verb run with -h
	// instead of its help being printed (shell completion).
	flagSets func(*flag.FlagSet)
}

// GUI opens the graphical interface and returns when its window closes;
// with demo, over the embedded test CEP/CES. Messages for the person (the
// demo's addresses) go to stdout. A nil GUI is a build without one.
type GUI func(demo bool, stdout io.Writer) error

// verb is one first argument of the command line: its handler, its help
// text (printed by -h, --help and "certdesk help VERB") and its sub-verbs,
// if any. The table drives dispatch, help and shell completion alike.
type verb struct {
	run   func(c *cmd, args []string) int
	usage string
	subs  []string
	// alone: the verb also runs without a sub-verb ("settings"), so its
	// -h lists its own flags too.
	alone bool
}

// verbs maps the first argument to its verb. The GUI is the default.
var verbs map[string]verb

func init() {
	// Set in init: the handlers refer back to the table (help, completion).
	verbs = map[string]verb{
		"store":      {(*cmd).runStore, storeUsage, storeSubs(), false},
		"server":     {(*cmd).runServer, serverUsage, []string{"add", "set", "list", "remove", "test", "confirm-hosts"}, false},
		"templates":  {(*cmd).runTemplates, templatesUsage, nil, false},
		"enroll":     {(*cmd).runEnroll, enrollUsage, nil, false},
		"request":    {(*cmd).runRequest, requestUsage, []string{"new", "accept", "status"}, false},
		"renew":      {(*cmd).runRenew, renewUsage, nil, false},
		"pin":        {(*cmd).runPin, pinUsage, []string{"save", "forget"}, true},
		"pulse":      {(*cmd).runPulse, pulseUsage, nil, false},
		"hook":       {(*cmd).runHook, hookUsage, []string{"set", "list", "remove", "run"}, false},
		"schedule":   {(*cmd).runSchedule, scheduleUsage, []string{"install", "remove", "status"}, false},
		"history":    {(*cmd).runHistory, historyUsage, nil, false},
		"status":     {(*cmd).runStatus, statusUsage, nil, false},
		"settings":   {(*cmd).runSettings, settingsUsage, []string{"set"}, true},
		"testca":     {(*cmd).runTestCA, testcaUsage, []string{"serve", "resign", "approve", "deny", "pending", "revoke"}, false},
		"revocation": {(*cmd).runRevocation, revocationUsage, []string{"check"}, false},
		"completion": {(*cmd).runCompletion, completionUsage, []string{"bash", "zsh", "fish"}, false},
	}
}

// verbNames returns the verbs in alphabetical order.
func verbNames() []string { return sortedKeys(verbs) }

const usageText = `usage:
  certdesk                 open the GUI
  certdesk --demo          open the GUI with the embedded test CEP/CES
  certdesk --version       print the version
  certdesk store list|show|import|export|delete|purge|verify|protect|publish|unpublish ...
  certdesk server add|set|list|remove|test|confirm-hosts ...
  certdesk templates -server ID
  certdesk enroll -server ID -template NAME ...
  certdesk request new|accept|status ...
  certdesk renew THUMBPRINT
  certdesk pin [save|forget] [-token LABEL]
  certdesk pulse [-dry-run] [-retry] [-q]
  certdesk hook set|list|remove|run ...
  certdesk schedule install|remove|status
  certdesk history
  certdesk status [-warn-days N] [-crit-days N]
  certdesk revocation check [THUMBPRINT]
  certdesk settings [set NAME VALUE]
  certdesk testca serve|resign|approve|deny|pending|revoke ...
  certdesk completion bash|zsh|fish
  certdesk help VERB [SUBVERB]
  certdesk help -man       print the manual page certdesk(1) as roff
Run "certdesk VERB -h" for the flags of a verb.`

// Run is the whole program minus os.Exit: it returns the exit status.
// gui is started with no arguments or --demo.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, gui GUI) int {
	c := &cmd{stdin: stdin, stdout: stdout, stderr: stderr, gui: gui}
	return c.run(args)
}

// run dispatches args to the GUI, the help or a verb.
func (c *cmd) run(args []string) int {
	if len(args) == 0 {
		return c.runGUI(false)
	}
	switch args[0] {
	case "--demo", "-demo":
		return c.runGUI(true)
	case "--version", "-version", "version":
		textln(c.stdout, "certdesk", Version())
		return exitOK
	case "-h", "--help", "-help":
		fmt.Fprintln(c.stdout, usageText)
		return exitOK
	case "help":
		if len(args) == 1 {
			fmt.Fprintln(c.stdout, usageText)
			return exitOK
		}
		if len(args) == 2 && args[1] == "-man" {
			writeMan(c.stdout)
			return exitOK
		}
		if _, ok := verbs[args[1]]; !ok {
			return c.usage("help: unknown verb %q (certdesk -h lists them)", args[1])
		}
		return c.run(append(append([]string(nil), args[1:]...), "-h"))
	}
	v, ok := verbs[args[0]]
	if !ok {
		return c.usage("unknown verb %q (certdesk -h lists them)", args[0])
	}
	if len(v.subs) > 0 && !v.alone && len(args) > 1 && isHelp(args[1]) {
		fmt.Fprintln(c.stdout, v.usage)
		return exitOK
	}
	return v.run(c, args[1:])
}

// isHelp says whether a is a request for help.
func isHelp(a string) bool {
	switch a {
	case "-h", "-help", "--help", "--h", "help":
		return true
	}
	return false
}

// needSub is the usage error of a verb group given no sub-verb or an
// unknown one.
func (c *cmd) needSub(group string, args []string) int {
	subs := strings.Join(verbs[group].subs, ", ")
	if len(args) == 0 {
		return c.usage("%s needs one of: %s (certdesk %s -h)", group, subs, group)
	}
	return c.usage("unknown %s verb %q: use one of %s (certdesk %s -h)", group, args[0], subs, group)
}

// runGUI starts the GUI, or explains that this build has none.
func (c *cmd) runGUI(demo bool) int {
	if c.gui == nil {
		return c.usage("this build has no GUI (built with -tags nogui); run a verb (certdesk -h)")
	}
	if err := c.gui(demo, c.stdout); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// fail prints err, with what to do about it (howTo), as the one-line
// error the contract promises and returns exitFail.
func (c *cmd) fail(err error) int {
	textf(c.stderr, "certdesk: %s\n", oneLine(explain(err)))
	return exitFail
}

// usage prints a usage error and returns exitUsage. An error among a is
// printed with what to do about it (howTo).
func (c *cmd) usage(format string, a ...any) int {
	for i, v := range a {
		if err, ok := v.(error); ok {
			a[i] = explain(err)
		}
	}
	textf(c.stderr, "certdesk: "+format+"\n", a...)
	return exitUsage
}

// newFlags returns a flag set that reports errors instead of exiting and
// prints nothing itself: parseOrExit prints the help (-h) on stdout and a
// bad flag as one line on stderr. name is the verb and sub-verb ("store
// list"); its first word selects the help text.
func (c *cmd) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("certdesk "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses flags that may appear before, between or after positional
// arguments ("store show THUMB -json") and returns the positionals. It
// returns the flag set's error as it is (flag.ErrHelp for -h); callers
// turn any error into exitUsage (or exitOK for -h).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseOrExit wraps parse for verbs: ok is false when the verb must return
// code at once: the help printed on stdout (exit 0), or a bad flag
// reported as one line on stderr (exit 2).
func (c *cmd) parseOrExit(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(fs)
		return nil, exitOK, false
	}
	if err != nil {
		name := strings.TrimPrefix(fs.Name(), "certdesk ")
		return nil, c.usage("%s: %s (certdesk %s -h)", name, err, name), false
	}
	return pos, 0, true
}

// help prints the help of the verb of fs on stdout: the verb's usage text
// and every flag with its default. With c.flagSets set (completion), it
// records fs instead.
func (c *cmd) help(fs *flag.FlagSet) {
	if c.flagSets != nil {
		c.flagSets(fs)
		return
	}
	name := strings.TrimPrefix(fs.Name(), "certdesk ")
	group, _, _ := strings.Cut(name, " ")
	if v, ok := verbs[group]; ok {
		fmt.Fprintln(c.stdout, v.usage)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	textf(c.stdout, "\nflags of certdesk %s:\n", name)
	fs.SetOutput(c.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// errPasswordSources is the usage error of readPassword.
var errPasswordSources = errors.New("give -password-file or -password-stdin, not both")

// passwordError reports a readPassword error: bad usage (exit 2) for
// both sources at once, else a failure (exit 1) naming the file.
func (c *cmd) passwordError(err error) int {
	if errors.Is(err, errPasswordSources) {
		return c.usage("%s", err)
	}
	return c.fail(err)
}

// readPassword reads a secret from a file (first line) or from standard
// input, never from argv. Neither source given means no password.
func (c *cmd) readPassword(file string, fromStdin bool) (string, error) {
	var data []byte
	var err error
	switch {
	case file != "" && fromStdin:
		return "", errPasswordSources
	case file != "":
		data, err = atomicfile.Read(file, 64<<10)
		var nr *atomicfile.NotRegularError
		if errors.As(err, &nr) {
			return "", fmt.Errorf("cannot read password file: %w", err)
		}
		if err != nil {
			return "", fmt.Errorf("cannot read password file %s: %w", file, atomicfile.StripPath(err))
		}
	case fromStdin:
		data, err = io.ReadAll(io.LimitReader(c.stdin, 64<<10))
		if err != nil {
			return "", fmt.Errorf("cannot read password from standard input: %w", err)
		}
	default:
		return "", nil
	}
	s := string(data)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s, nil
}
