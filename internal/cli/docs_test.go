package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/enroll/testca"
)

// notACommand marks what the docs test skips (docs/cli.md): on the line
// before a fence, the whole block; on any other line, its code spans.
const notACommand = "<!-- not a command -->"

// docCommand is one certdesk command line of the documentation.
type docCommand struct {
	where string // file:line
	text  string // from "certdesk" on, without the trailing comment
	fence string // the info string of its fenced block ("sh"), if any
}

// inlineCommand finds the code spans that start with "certdesk".
var inlineCommand = regexp.MustCompile("`(?:\\$ )?(certdesk(?: [^`]*)?)`")

// commentStart is where a synopsis line's explanation begins: two or more
// spaces and then a lowercase word, a quote, a parenthesis or "#". Spaces
// before a flag, a bracket or a placeholder only align the columns.
var commentStart = regexp.MustCompile(`\s{2,}[a-z"(#]| #`)

// docCommands extracts the commands of README.md and docs/*.md by the
// convention at the top of docs/cli.md.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []docCommand
	for _, file := range append([]string{"../../README.md"}, files...) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(file, "../../")
		inFence, skipFence, prev, cont, fence := false, false, "", "", ""
		for i, line := range strings.Split(string(data), "\n") {
			where := fmt.Sprintf("%s:%d", name, i+1)
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "```"):
				inFence, fence = !inFence, strings.TrimPrefix(trimmed, "```")
				skipFence = inFence && strings.Contains(prev, notACommand)
			case inFence && !skipFence:
				if strings.HasSuffix(trimmed, `\`) {
					cont += strings.TrimSuffix(trimmed, `\`) + " "
					break
				}
				trimmed, cont = cont+trimmed, ""
				for _, part := range splitShell(trimmed) {
					if cmd, ok := commandOf(part); ok {
						cmds = append(cmds, docCommand{where, cmd, fence})
					}
				}
			case !inFence && !strings.Contains(line, notACommand):
				for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
					if cmd, ok := commandOf(strings.Split(m[1], " | ")[0]); ok {
						cmds = append(cmds, docCommand{where, cmd, ""})
					}
				}
			}
			prev = line
		}
	}
	return cmds
}

// shellSeparator is where a shell line holds more than one command.
var shellSeparator = regexp.MustCompile(`;|&&| \| `)

// splitShell splits a shell line at ";", "&&" and " | ".
func splitShell(line string) []string { return shellSeparator.Split(line, -1) }

// commandOf returns part from "certdesk" on, without a prompt, sudo or
// trailing comment, if it is a certdesk command.
func commandOf(part string) (string, bool) {
	part = strings.TrimSpace(part)
	part = strings.TrimPrefix(part, "$ ")
	part = strings.TrimPrefix(part, "sudo ")
	if part != "certdesk" && !strings.HasPrefix(part, "certdesk ") {
		return "", false
	}
	if loc := commentStart.FindStringIndex(part); loc != nil {
		part = part[:loc[0]]
	}
	return strings.TrimSpace(part), true
}

// isPlaceholder says whether a word stands for a value (ID, FILE,
// NAME:PASSWORD): capitals and no lowercase letter.
func isPlaceholder(s string) bool {
	return strings.ToUpper(s) == s && strings.ToLower(s) != s
}

// synopsisWords splits a command into words, dropping the synopsis
// notation: brackets, a lone "|", and "..." repetitions.
func synopsisWords(cmd string) []string {
	var words []string
	for _, w := range strings.Fields(cmd) {
		w = strings.TrimLeft(w, "[")
		w = strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(w, "..."), "…"), "]")
		w = strings.TrimSuffix(strings.TrimSuffix(w, "..."), "…")
		if w != "" && w != "|" {
			words = append(words, w)
		}
	}
	return words
}

// checkCommand reports why cmd would not parse: an unknown verb or
// sub-verb, an unknown flag, a flag value its flag set refuses, or a
// missing flag the verb's usage synopsis requires (unless cmd ends in
// "...", leaving arguments out). Placeholders stand for any value; "a|b"
// means each of a and b.
func checkCommand(cmd string) error {
	fields := strings.Fields(cmd)
	last := fields[len(fields)-1]
	elided := last == "..." || last == "…"
	words := synopsisWords(cmd)[1:]
	if len(words) == 0 {
		return nil
	}
	switch first := words[0]; {
	case first == "help":
		if len(words) == 2 && words[1] == "-man" {
			return nil
		}
		if len(words) < 2 || isPlaceholder(words[1]) {
			return nil
		}
		return checkPath(words[1:2], words[2:], false, true)
	case isPlaceholder(first): // "certdesk VERB -h"
		return nil
	case strings.HasPrefix(first, "-"):
		switch strings.TrimLeft(first, "-") {
		case "demo", "version", "h", "help":
			return nil
		}
		return fmt.Errorf("unknown top-level flag %s", first)
	}
	return checkPath(words[:1], words[1:], true, elided)
}

// checkPath checks the sub-verb (when the verb has them) and the flags in
// rest against the verb of path; with elided, not that the required ones
// are there. For a path from "help", flags are not expected.
func checkPath(path, rest []string, flags, elided bool) error {
	v, ok := verbs[path[0]]
	if !ok {
		return fmt.Errorf("unknown verb %q", path[0])
	}
	leaves := [][]string{path}
	if len(v.subs) > 0 && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		if isPlaceholder(rest[0]) {
			return nil
		}
		leaves = nil
		for _, sub := range strings.Split(rest[0], "|") {
			if !contains(v.subs, sub) {
				if v.alone && !strings.Contains(rest[0], "|") {
					leaves = [][]string{path} // a positional of the verb itself
					break
				}
				return fmt.Errorf("unknown %s verb %q (one of %s)", path[0], sub, strings.Join(v.subs, ", "))
			}
			leaves = append(leaves, []string{path[0], sub})
		}
		if len(leaves[0]) == 2 {
			rest = rest[1:]
		}
	} else if len(v.subs) > 0 && !v.alone && (len(rest) == 0 || !isHelp(rest[0])) && flags && !elided {
		return fmt.Errorf("%s needs one of %s", path[0], strings.Join(v.subs, ", "))
	}
	if !flags {
		return nil
	}
	for _, leaf := range leaves {
		if err := checkFlags(flagSet(leaf...), rest); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(leaf, " "), err)
		}
		if elided || len(leaves) > 1 || (len(rest) > 0 && isHelp(rest[len(rest)-1])) {
			continue
		}
		for _, req := range requiredFlags(leaf) {
			if !containsFlag(rest, req) {
				return fmt.Errorf("%s: %s is required (certdesk %s -h)", strings.Join(leaf, " "), req, strings.Join(leaf, " "))
			}
		}
	}
	return nil
}

// requiredFlags returns the flags the usage synopsis of leaf gives outside
// brackets ("-server" in "certdesk templates [-context C] -server ID").
func requiredFlags(leaf []string) []string {
	head := "certdesk " + strings.Join(leaf, " ") + " "
	var synopsis string
	in := false
	for _, line := range strings.Split(verbs[leaf[0]].usage, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed+" ", head):
			in = true
		case in && line != trimmed && (strings.HasPrefix(trimmed, "[") ||
			strings.HasPrefix(trimmed, "-") && !strings.HasSuffix(strings.Fields(trimmed)[0], ":")):
			// a continuation, not an explanation ("-system: the ...")
		default:
			in = false
		}
		if in {
			if loc := commentStart.FindStringIndex(trimmed); loc != nil {
				trimmed = trimmed[:loc[0]]
			}
			synopsis += " " + trimmed
		}
	}
	var req []string
	depth := 0
	for _, w := range strings.Fields(synopsis) {
		depth += strings.Count(w, "[")
		if depth == 0 && strings.HasPrefix(w, "-") && w != "--" {
			req = append(req, w)
		}
		depth -= strings.Count(w, "]")
	}
	return req
}

// containsFlag says whether args give flag, as "-f", "--f" or "-f=v".
func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && "-"+name == flag {
			return true
		}
	}
	return false
}

// checkFlags checks that every flag of args is defined in fs and takes
// its value.
func checkFlags(fs *flag.FlagSet, args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if isHelp("-" + name) {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			return fmt.Errorf("unknown flag -%s", name)
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if hasVal {
				return checkValue(f, val)
			}
			continue
		}
		if !hasVal {
			if i+1 == len(args) {
				return fmt.Errorf("flag -%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if err := checkValue(f, val); err != nil {
			return err
		}
	}
	return nil
}

// checkValue sets f to val, or to each alternative of "a|b"; a
// placeholder is any value.
func checkValue(f *flag.Flag, val string) error {
	if isPlaceholder(val) {
		return nil
	}
	for _, alt := range strings.Split(val, "|") {
		if err := f.Value.Set(alt); err != nil {
			return fmt.Errorf("flag -%s %s: %v", f.Name, alt, err)
		}
	}
	return nil
}

// contains says whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDocCommandsParse: every certdesk command of README.md and docs/*.md
// names a verb and sub-verb that exist, with flags their flag sets define
// and values they take (issue #15).
func TestDocCommandsParse(t *testing.T) {
	setupRoot(t)
	cmds := docCommands(t)
	if len(cmds) < 50 {
		t.Fatalf("found only %d commands in the docs; is the convention of docs/cli.md still followed?", len(cmds))
	}
	for _, c := range cmds {
		if err := checkCommand(c.text); err != nil {
			t.Errorf("%s: %s: %v", c.where, c.text, err)
		}
	}
}

// TestReadmeWalkthroughRuns runs the certdesk commands of README.md's
// walkthrough (its one "sh" block) against testca, its example host, CA
// file, account and template replaced by testca's. "schedule install" is
// left out: it would install a timer in this machine's OS.
func TestReadmeWalkthroughRuns(t *testing.T) {
	setupRoot(t)
	ca, srv := startTestCA(t, testca.Config{})
	replace := strings.NewReplacer(
		"https://cep.corp.example"+testca.PathCEP, srv.CEPURL(),
		"corp-root.cer", ca.RootFile(),
		"kiosk01@corp.example", testca.DefaultUser,
		"Workstation", testca.TemplateWebServer)
	ran := 0
	for _, c := range docCommands(t) {
		if !strings.HasPrefix(c.where, "README.md:") || c.fence != "sh" || c.text == "certdesk schedule install" {
			continue
		}
		args := strings.Fields(replace.Replace(c.text))[1:]
		code, out, errs := runCLIStdin(t, testca.DefaultPassword+"\n", args...)
		if code != exitOK {
			t.Fatalf("%s: %s: exit %d\n%s%s", c.where, c.text, code, out, errs)
		}
		ran++
	}
	if ran < 5 {
		t.Fatalf("ran %d commands of the walkthrough; want server add, templates, enroll, status, history", ran)
	}
}

// TestDocCommandsCheckerRefuses: the checker catches the mistakes it is
// for, so a passing TestDocCommandsParse means something.
func TestDocCommandsCheckerRefuses(t *testing.T) {
	setupRoot(t)
	for _, bad := range []string{
		"certdesk bogus",
		"certdesk store",
		"certdesk store bogus",
		"certdesk templates -bogus",
		"certdesk enroll -server ID -template T -password-file F",
		"certdesk templates -refresh",
		"certdesk store export THUMBPRINT -format pem",
		"certdesk status -warn-days many",
		"certdesk server add -url",
		"certdesk -bogus",
	} {
		if checkCommand(bad) == nil {
			t.Errorf("%s: passed the check", bad)
		}
	}
	for _, good := range []string{
		"certdesk",
		"certdesk help -man",
		"certdesk help store list",
		"certdesk VERB -h",
		"certdesk store list|show ...",
		"certdesk store unpublish -to system ...",
		"certdesk templates -server ID -refresh",
		"certdesk settings [-context C] [-json]",
		"certdesk hook set [-context C] THUMBPRINT [-cert F] [-- COMMAND ARGS...]",
		"certdesk testca serve [-user NAME:PASSWORD]... [-validity DURATION]",
	} {
		if err := checkCommand(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}
