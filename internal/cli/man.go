package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// writeMan writes the certdesk(1) manual page as roff ("certdesk help
// -man", "make man"): the synopsis is the top-level usage, and each verb's
// section is its usage text and the flags of each of its leaves, read from
// the verb table and the flag sets the -h output uses.
func writeMan(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH CERTDESK 1 \"\" %s \"User Commands\"\n", roffQuote("certdesk "+Version()))
	b.WriteString(".SH NAME\ncertdesk \\- certificate manager for AD CS CEP/CES enrollment\n")
	b.WriteString(".SH SYNOPSIS\n")
	roffLiteral(&b, strings.TrimPrefix(usageText, "usage:\n"))
	b.WriteString(".SH DESCRIPTION\n" +
		"Without arguments certdesk opens its GUI; with a verb it runs headless. " +
		"Flags may come before, between or after the arguments; " + roffText("--") + " ends the flags. " +
		"Passwords are read from a file or standard input, never from the command line.\n")
	b.WriteString(".SH COMMANDS\n")
	for _, name := range verbNames() {
		v := verbs[name]
		fmt.Fprintf(&b, ".SS %s\n", name)
		roffLiteral(&b, v.usage)
		if len(v.subs) == 0 || v.alone {
			roffFlags(&b, name)
		}
		for _, sub := range v.subs {
			roffFlags(&b, name, sub)
		}
	}
	b.WriteString(".SH EXIT STATUS\n" +
		"0 success (also for help), 1 the operation failed, 2 bad usage. " +
		"Exceptions are given with their verb: " + roffText("status") +
		" uses the monitoring-plugin levels 0 to 3.\n")
	b.WriteString(".SH SEE ALSO\nREADME.md and docs/cli.md in the certdesk sources.\n")
	io.WriteString(w, b.String())
}

// roffFlags writes the flags of the leaf path as a tagged list, each with
// its value name and default as "certdesk VERB -h" prints them.
func roffFlags(b *strings.Builder, path ...string) {
	fs := flagSet(path...)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintf(b, ".PP\nFlags of \\fBcertdesk %s\\fR:\n", roffText(strings.Join(path, " ")))
			first = false
		}
		value, usage := flag.UnquoteUsage(f)
		b.WriteString(".TP\n\\fB" + roffText("-"+f.Name) + "\\fR")
		if value != "" {
			b.WriteString(" \\fI" + roffText(value) + "\\fR")
		}
		b.WriteString("\n" + roffLine(usage))
		switch f.DefValue {
		case "", "false", "0", "[]":
		default:
			b.WriteString(" (default " + roffText(f.DefValue) + ")")
		}
		b.WriteString("\n")
	})
}

// roffLiteral writes text unfilled, line for line.
func roffLiteral(b *strings.Builder, text string) {
	b.WriteString(".PP\n.nf\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(roffLine(line) + "\n")
	}
	b.WriteString(".fi\n")
}

// roffLine is roffText made safe at the start of an input line, where a
// dot or quote would start a request.
func roffLine(s string) string {
	s = roffText(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return "\\&" + s
	}
	return s
}

// roffText escapes s for roff: backslashes, hyphens as minus signs (so
// flags copy and paste) and every non-ASCII character by its code point,
// which groff reads whatever the input encoding.
func roffText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7f:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roffQuote is s as one quoted macro argument.
func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffText(s), `"`, `""`) + `"`
}
