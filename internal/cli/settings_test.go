package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestSettingsCLI(t *testing.T) {
	root := setupRoot(t)
	out, errs, code := runCLI(t, "settings")
	if code != 0 || !strings.HasPrefix(out, "NAME ") || errs != "" {
		t.Fatalf("exit %d: %q %q", code, out, errs)
	}
	for _, name := range []string{"checkInterval", "renewalRatio", "notifyDays", "startInTray", "defaultContext", "publishIssued", "metricsDir"} {
		if !strings.Contains(out, "\n"+name+" ") {
			t.Errorf("settings lacks %s:\n%s", name, out)
		}
	}

	out, errs, code = runCLI(t, "settings", "set", "renewalRatio", "75%")
	if code != 0 || out != "renewalRatio = 0.75 (person)\n" {
		t.Fatalf("set: exit %d, %q %q", code, out, errs)
	}
	out, _, _ = runCLI(t, "settings", "-json")
	var list []struct{ Name, Value, Default, Source, Description string }
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 10 {
		t.Fatalf("-json: %v %s", err, out)
	}
	for _, s := range list {
		wantSource := "default"
		if s.Name == "renewalRatio" {
			wantSource = "person"
		}
		if s.Source != wantSource || s.Description == "" {
			t.Errorf("%+v: want source %s", s, wantSource)
		}
	}

	out, _, _ = runCLI(t, "settings", "-context", "machine", "-json")
	if runtime.GOOS == "linux" && !strings.Contains(out, `"value": "/var/lib/prometheus/node-exporter"`) {
		t.Errorf("machine metricsDir default not shown:\n%s", out)
	}

	before := hashTree(t, root)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"renewalRatio", "1.5"}, 1, "renewal ratio 1.5 is out of range"},
		{[]string{"metricsDir", "relative"}, 1, "not an absolute path"},
		{[]string{"checkInterval", "1m"}, 1, "check interval 1m0s is out of range"},
		{[]string{"notifyDays", "0"}, 1, "notification day 0 is out of range"},
		{[]string{"colour", "blue"}, 2, "unknown setting"},
		{[]string{"renewalRatio"}, 2, "settings set takes NAME VALUE"},
	} {
		out, errs, code := runCLI(t, append([]string{"settings", "set"}, tt.args...)...)
		if code != tt.code || out != "" || !strings.Contains(errs, tt.want) {
			t.Errorf("set %q: exit %d (want %d), out %q, stderr %q", tt.args, code, tt.code, out, errs)
		}
		if tt.code == 1 && strings.Count(errs, "\n") != 1 {
			t.Errorf("set %q: want one line, got %q", tt.args, errs)
		}
	}
	if hashTree(t, root) != before {
		t.Error("a refused setting changed files")
	}
	if _, errs, code := runCLI(t, "settings", "list"); code != 2 || !strings.Contains(errs, "unknown settings command") {
		t.Errorf("settings list: exit %d, %q", code, errs)
	}
	out, _, code = runCLI(t, "settings", "set", "renewalRatio", "default")
	if code != 0 || out != "renewalRatio = 0.8 (default)\n" {
		t.Errorf("reset: exit %d, %q", code, out)
	}
}
