package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestVerbsQuietUnderAnyLocale: a verb of the built binary prints nothing on
// stderr whatever the locale environment (Fyne used to log "Error parsing
// user locale" for C.UTF-8 and the like at package init).
func TestVerbsQuietUnderAnyLocale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "certdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	root := t.TempDir()
	var base []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains([]string{"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "CERTDESK_ROOT"}, name) {
			base = append(base, kv)
		}
	}
	base = append(base, "CERTDESK_ROOT="+root)
	values := []string{"", "C", "POSIX", "C.UTF-8", "C.utf8", "en_US.UTF-8", "de_DE.UTF-8", "xx_YY.bogus", "english", "sr_RS@latin"}
	for _, name := range []string{"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"} {
		for _, v := range values {
			t.Run(name+"="+v, func(t *testing.T) {
				cmd := exec.Command(bin, "history")
				cmd.Env = append(slices.Clone(base), name+"="+v)
				if name == "LANGUAGE" {
					cmd.Env = append(cmd.Env, "LANG=en_US.UTF-8")
				}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("history: %v\nstderr: %s", err, stderr.String())
				}
				if stderr.Len() != 0 {
					t.Errorf("stderr not empty:\n%s", stderr.String())
				}
				if !strings.Contains(stdout.String(), "history") {
					t.Errorf("stdout = %q, want the verb's own output", stdout.String())
				}
			})
		}
	}
}
