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
}

// GUI opens the graphical interface and returns when its window closes;
// with demo, over the embedded test CEP/CES. Messages for the person (the
// demo's addresses) go to stdout. A nil GUI is a build without one.
type GUI func(demo bool, stdout io.Writer) error

// verbs maps the first argument to its handler. The GUI is the default.
var verbs = map[string]func(c *cmd, args []string) int{
	"store":     (*cmd).runStore,
	"server":    (*cmd).runServer,
	"templates": (*cmd).runTemplates,
	"enroll":    (*cmd).runEnroll,
	"request":   (*cmd).runRequest,
	"pulse":     (*cmd).runPulse,
	"hook":      (*cmd).runHook,
	"schedule":  (*cmd).runSchedule,
	"history":   (*cmd).runHistory,
	"status":    (*cmd).runStatus,
	"settings":  (*cmd).runSettings,
	"testca":    (*cmd).runTestCA,
}

const usageText = `usage:
  certdesk                 open the GUI
  certdesk --demo          open the GUI with the embedded test CEP/CES
  certdesk store list|show|import|export|delete|verify|publish|unpublish ...
  certdesk server add|list|remove ...
  certdesk templates -server ID
  certdesk enroll -server ID -template NAME ...
  certdesk request new|accept|status ...
  certdesk pulse
  certdesk hook set|list|remove|run ...
  certdesk schedule install|remove|status
  certdesk history
  certdesk status [-warn-days N] [-crit-days N]
  certdesk settings [set NAME VALUE]
  certdesk testca serve|resign|approve|deny ...
Run "certdesk VERB -h" for the flags of a verb.`

// Run is the whole program minus os.Exit: it returns the exit status.
// gui is started with no arguments or --demo.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, gui GUI) int {
	c := &cmd{stdin: stdin, stdout: stdout, stderr: stderr, gui: gui}
	if len(args) == 0 {
		return c.runGUI(false)
	}
	switch args[0] {
	case "--demo", "-demo":
		return c.runGUI(true)
	case "-h", "--help", "-help", "help":
		fmt.Fprintln(stdout, usageText)
		return exitOK
	}
	verb, ok := verbs[args[0]]
	if !ok {
		return c.usage("unknown command %q\n%s", args[0], usageText)
	}
	return verb(c, args[1:])
}

// runGUI starts the GUI, or explains that this build has none.
func (c *cmd) runGUI(demo bool) int {
	if c.gui == nil {
		return c.usage("this build has no GUI (built with -tags nogui); run a verb, see certdesk -h")
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

// newFlags returns a flag set that reports errors instead of exiting.
func (c *cmd) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("certdesk "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
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
// code at once (help printed, or a usage error already reported by flag).
func (c *cmd) parseOrExit(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK, false
	}
	if err != nil {
		return nil, exitUsage, false
	}
	return pos, 0, true
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
