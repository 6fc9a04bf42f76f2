package cli

import (
	"strings"
	"testing"
)

// helpPaths returns every verb and "verb sub-verb" of the verb table.
func helpPaths() [][]string {
	var paths [][]string
	for _, name := range verbNames() {
		paths = append(paths, []string{name})
		for _, sub := range verbs[name].subs {
			paths = append(paths, []string{name, sub})
		}
	}
	return paths
}

// TestHelpEveryVerb: -h, --help and "certdesk help VERB" on every verb and
// sub-verb exit 0 and print a usage naming it on standard output, nothing
// on standard error.
func TestHelpEveryVerb(t *testing.T) {
	setupRoot(t)
	for _, p := range helpPaths() {
		for _, form := range []string{"-h", "--help", "help"} {
			args := append(append([]string(nil), p...), form)
			if form == "help" {
				args = append([]string{"help"}, p...)
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errs := runCLIStdin(t, "", args...)
				if code != exitOK || errs != "" {
					t.Fatalf("exit %d, stderr %q", code, errs)
				}
				if !strings.Contains(out, "certdesk "+strings.Join(p, " ")) || !strings.HasPrefix(out, "usage:") {
					t.Fatalf("the help does not name %q:\n%s", strings.Join(p, " "), out)
				}
			})
		}
	}
}

// TestHelpListsFlagsWithDefaults: a leaf's help lists its flags with their
// real defaults, and the top-level help names every verb.
func TestHelpListsFlagsWithDefaults(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"testca", "serve", "-h"}, []string{"-validity DURATION", "(default 365d)", "-addr"}},
		{[]string{"enroll", "-h"}, []string{"-name", "-template", "-key"}},
		{[]string{"store", "-h"}, []string{"store purge", "store protect"}},
		{[]string{"testca", "-h"}, []string{"testca pending"}},
		{[]string{"pulse", "-h"}, []string{"-dry-run", "-q", "-retry"}},
		{[]string{"server", "add", "-h"}, []string{"-replace", "(default \"user\")"}},
		{[]string{"settings", "-h"}, []string{"settings set", "-context", "-json"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, _ := runCLIStdin(t, "", tt.args...)
			for _, w := range tt.want {
				if code != exitOK || !strings.Contains(out, w) {
					t.Fatalf("exit %d, no %q in:\n%s", code, w, out)
				}
			}
		})
	}
	_, out, _ := runCLIStdin(t, "", "-h")
	for _, v := range verbNames() {
		if !strings.Contains(out, "certdesk "+v) {
			t.Errorf("certdesk -h does not name %s", v)
		}
	}
}

// TestUsageMistakes: every usage mistake exits 2 with one line on stderr
// and nothing on stdout, a bad flag without a usage dump.
func TestUsageMistakes(t *testing.T) {
	dir := setupRoot(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown verb", []string{"frobnicate"}, "unknown verb"},
		{"unknown flag", []string{"store", "list", "-bogus"}, "-bogus"},
		{"unknown flag after positional", []string{"request", "status", "-nope"}, "-nope"},
		{"request without sub-verb", []string{"request"}, "new, accept, status"},
		{"hook without sub-verb", []string{"hook"}, "set, list"},
		{"help unknown verb", []string{"help", "nope"}, "unknown verb"},
		{"server add bogus auth", []string{"server", "add", "-url", "https://ca.example/CEP", "-auth", "bogus"}, "-auth"},
		{"server add without username", []string{"server", "add", "-url", "https://ca.example/CEP", "-auth", "password"}, "-username"},
		{"server add empty password", []string{"server", "add", "-url", "https://ca.example/CEP", "-auth", "password", "-username", "u", "-password-stdin"}, "empty"},
		{"server set nothing", []string{"server", "set", "abc"}, "nothing to change"},
		{"request new without subject", []string{"request", "new", "-out", dir + "/r.csr"}, "-subject"},
		{"hook set relative path", []string{"hook", "set", "-cert", "cert.pem", "AB"}, "absolute"},
		{"hook remove json", []string{"hook", "remove", "-json", "AB"}, "-json"},
		{"pfx export without password", []string{"store", "export", "AB", "-format", "pfx", "-out", dir + "/x.pfx"}, "password"},
		{"json refused on delete", []string{"store", "delete", "-json", "AB"}, "-json"},
		{"renew without thumbprint", []string{"renew"}, "one thumbprint"},
		{"pulse dry-run and retry", []string{"pulse", "-dry-run", "-retry"}, "together"},
		{"completion unknown shell", []string{"completion", "tcsh"}, "bash, zsh, fish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLIStdin(t, "", tt.args...)
			if code != exitUsage || out != "" || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errs, tt.want)
			}
			if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "certdesk: ") {
				t.Fatalf("want one line, got %q", errs)
			}
		})
	}
}

// TestCompletion: the scripts carry every verb, sub-verb and flag from
// the tables, and -version prints one line.
func TestCompletion(t *testing.T) {
	words := completionWords()
	for _, p := range helpPaths() {
		if _, ok := words[strings.Join(p, " ")]; !ok {
			t.Errorf("no completion words for %q", strings.Join(p, " "))
		}
	}
	if got := strings.Join(words["enroll"], " "); !strings.Contains(got, "-template") || !strings.Contains(got, "-name") {
		t.Errorf("enroll flags: %s", got)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, _ := runCLIStdin(t, "", "completion", sh)
		if code != exitOK || !strings.Contains(out, "confirm-hosts") || !strings.Contains(out, "dry-run") {
			t.Errorf("completion %s: exit %d\n%s", sh, code, out)
		}
	}
	code, out, _ := runCLIStdin(t, "", "--version")
	if code != exitOK || !strings.HasPrefix(out, "certdesk ") || strings.Count(out, "\n") != 1 {
		t.Errorf("--version: %d %q", code, out)
	}
}
