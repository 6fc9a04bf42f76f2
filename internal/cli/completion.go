package cli

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

const completionUsage = `usage:
  certdesk completion bash|zsh|fish
Prints a completion script for the shell, made from the verb and flag tables:
  bash: source <(certdesk completion bash)
  zsh:  source <(certdesk completion zsh)
  fish: certdesk completion fish | source`

// completionWords maps "" to the verbs, a verb with sub-verbs to them, and
// every verb or "verb sub-verb" that takes flags to its flags ("-context"),
// read from the flag sets the verbs define (each run with -h, printing
// nothing).
func completionWords() map[string][]string {
	words := map[string][]string{"": verbNames()}
	leaf := func(path ...string) {
		var flags []string
		flagSet(path...).VisitAll(func(f *flag.Flag) { flags = append(flags, "-"+f.Name) })
		sort.Strings(flags)
		words[strings.Join(path, " ")] = flags
	}
	for _, name := range verbNames() {
		v := verbs[name]
		if len(v.subs) == 0 {
			leaf(name)
			continue
		}
		var own []string
		if v.alone {
			leaf(name)
			own = words[name]
		}
		words[name] = append(append([]string(nil), v.subs...), own...)
		for _, sub := range v.subs {
			leaf(name, sub)
		}
	}
	return words
}

// flagSet returns the flag set the verb (and sub-verb) of path defines,
// got by running it with -h, which prints nothing here. A verb that
// defines none gives an empty set.
func flagSet(path ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("certdesk "+strings.Join(path, " "), flag.ContinueOnError)
	c := &cmd{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		flagSets: func(got *flag.FlagSet) { fs = got }}
	c.run(append(append([]string(nil), path...), "-h"))
	return fs
}

// runCompletion implements "certdesk completion bash|zsh|fish".
func (c *cmd) runCompletion(args []string) int {
	fs := c.newFlags("completion")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.needSub("completion", pos)
	}
	switch pos[0] {
	case "bash":
		fmt.Fprint(c.stdout, bashCompletion(completionWords()))
	case "zsh":
		// zsh runs the bash script through its bashcompinit emulation.
		fmt.Fprint(c.stdout, "#compdef certdesk\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion(completionWords()))
	case "fish":
		fmt.Fprint(c.stdout, fishCompletion(completionWords()))
	default:
		return c.needSub("completion", pos)
	}
	return exitOK
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// bashCompletion is a bash completion function over words: the first
// word completes to a verb, the second to a sub-verb or a flag, later ones
// to the flags of the verb (and sub-verb).
func bashCompletion(words map[string][]string) string {
	var b strings.Builder
	b.WriteString("# certdesk completion for bash (certdesk completion bash)\n_certdesk_words() {\n\tcase \"$1\" in\n")
	for _, k := range sortedKeys(words) {
		fmt.Fprintf(&b, "\t%q) echo %q ;;\n", k, strings.Join(words[k], " "))
	}
	b.WriteString(`	esac
}
_certdesk() {
	local cur="${COMP_WORDS[COMP_CWORD]}" key=""
	if [ "$COMP_CWORD" -ge 3 ] && [ -n "$(_certdesk_words "${COMP_WORDS[1]} ${COMP_WORDS[2]}")" ]; then
		key="${COMP_WORDS[1]} ${COMP_WORDS[2]}"
	elif [ "$COMP_CWORD" -ge 2 ]; then
		key="${COMP_WORDS[1]}"
	fi
	COMPREPLY=($(compgen -W "$(_certdesk_words "$key")" -- "$cur"))
}
complete -F _certdesk certdesk
`)
	return b.String()
}

// fishCompletion is the fish form of the same table.
func fishCompletion(words map[string][]string) string {
	var b strings.Builder
	b.WriteString("# certdesk completion for fish (certdesk completion fish)\ncomplete -c certdesk -f\n")
	verbList := strings.Join(words[""], " ")
	fmt.Fprintf(&b, "complete -c certdesk -n 'not __fish_seen_subcommand_from %s' -a '%s'\n", verbList, verbList)
	for _, name := range words[""] {
		subs := verbs[name].subs
		if len(subs) == 0 {
			for _, f := range words[name] {
				fmt.Fprintf(&b, "complete -c certdesk -n '__fish_seen_subcommand_from %s' -o %s\n", name, f[1:])
			}
			continue
		}
		subList := strings.Join(subs, " ")
		fmt.Fprintf(&b, "complete -c certdesk -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a '%s'\n", name, subList, subList)
		for _, sub := range subs {
			for _, f := range words[name+" "+sub] {
				fmt.Fprintf(&b, "complete -c certdesk -n '__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s' -o %s\n", name, sub, f[1:])
			}
		}
	}
	return b.String()
}
