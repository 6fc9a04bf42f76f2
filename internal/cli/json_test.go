package cli

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestJSONWorksOrIsRefused: on every verb and sub-verb, -json is either a
// flag, with the verb's shape in docs/cli.md, or bad usage (exit 2).
func TestJSONWorksOrIsRefused(t *testing.T) {
	setupRoot(t)
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	words := completionWords()
	for _, p := range helpPaths() {
		path := strings.Join(p, " ")
		if len(verbs[p[0]].subs) > 0 && len(p) == 1 {
			continue // a group: its sub-verbs are checked
		}
		t.Run(path, func(t *testing.T) {
			if slices.Contains(words[path], "-json") {
				if !strings.Contains(string(doc), "`"+path+" -json") {
					t.Errorf("docs/cli.md does not document %s -json", path)
				}
				return
			}
			args := append(append([]string(nil), p...), "-json")
			code, out, errs := runCLIStdin(t, "", args...)
			if code != exitUsage || out != "" || !strings.Contains(errs, "-json") {
				t.Fatalf("exit %d, stdout %q, stderr %q: -json neither works nor is refused", code, out, errs)
			}
		})
	}
}

// TestJSONExactStringsAndTimes: JSON keeps "<" and "&" as they are, and
// times are RFC 3339 with a zone.
func TestJSONExactStringsAndTimes(t *testing.T) {
	setupRoot(t)
	thumb := importTestCert(t)
	file := "/tmp/a<b>&c.pem"
	if code, _, errs := runCLIStdin(t, "", "hook", "set", thumb, "-cert", file); code != exitOK {
		t.Fatalf("hook set: %s", errs)
	}
	if _, out, _ := runCLIStdin(t, "", "hook", "list", "-json"); !strings.Contains(out, file) {
		t.Errorf("hook list -json: %s", out)
	}
	code, out, _ := runCLIStdin(t, "", "pulse", "-json")
	var rep struct {
		Time string `json:"time"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("pulse -json: %d %s", code, out)
	}
	if _, err := time.Parse(time.RFC3339Nano, rep.Time); err != nil {
		t.Errorf("pulse time %q: %v", rep.Time, err)
	}
}
