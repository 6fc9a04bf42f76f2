package cli

import (
	"flag"
	"os/exec"
	"strings"
	"testing"
)

// TestManPage: "certdesk help -man" has a section for every verb and the
// flags of every leaf, and groff formats it without a warning.
func TestManPage(t *testing.T) {
	setupRoot(t)
	code, out, errs := runCLIStdin(t, "", "help", "-man")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, p := range helpPaths() {
		if len(p) == 1 {
			if !strings.Contains(out, "\n.SS "+p[0]+"\n") {
				t.Errorf("no section for %s", p[0])
			}
			continue
		}
		if flagCount(flagSet(p...)) > 0 && !strings.Contains(out, `\fBcertdesk `+roffText(strings.Join(p, " "))+`\fR`) {
			t.Errorf("no flags of %s", strings.Join(p, " "))
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed: the man page was not formatted")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(out)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
}

// flagCount is the number of flags fs defines.
func flagCount(fs *flag.FlagSet) int {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n
}
