package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 11 {
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

func TestSettingsManagedCLI(t *testing.T) {
	root := setupRoot(t)
	managed := `{"settings": {"renewalRatio": 0.7, "colour": "blue"},
		"servers": [{"url": "https://cep.example/CEP", "auth": "anonymous", "friendlyName": "Org CA"},
			{"url": "https://pw.example/CEP", "username": "alice"}]}`
	if err := os.WriteFile(filepath.Join(root, "managed.json"), []byte(managed), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "settings", "-json")
	if code != 0 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, `unknown setting "colour"`) {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var list []struct{ Name, Value, Source string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if (s.Name == "renewalRatio") != (s.Source == "managed") || s.Name == "renewalRatio" && s.Value != "0.7" {
			t.Errorf("%+v", s)
		}
	}
	// Reported once: the second run is quiet, the history holds one record.
	if _, errs, _ = runCLI(t, "settings"); errs != "" {
		t.Errorf("reported again: %q", errs)
	}
	if out, _, _ := runCLI(t, "history", "-json"); strings.Count(out, `"action": "managed"`) != 1 {
		t.Errorf("history: %s", out)
	}
	if out, _, _ := runCLI(t, "server", "list"); !strings.Contains(out, "Org CA (set by your organisation)") {
		t.Errorf("server list:\n%s", out)
	}
	if _, errs, code := runCLI(t, "server", "remove", "https://cep.example/CEP"); code == 0 || !strings.Contains(errs, "set by your organisation") {
		t.Errorf("server remove: exit %d, %q", code, errs)
	}
	// The password of a managed server is the person's to set, nothing else.
	if code, _, errs := runCLIStdin(t, "secret\n", "server", "set", "https://pw.example/CEP", "-password-stdin"); code != 0 {
		t.Errorf("password of a managed server: exit %d, %q", code, errs)
	}
	if _, errs, code := runCLI(t, "server", "set", "https://pw.example/CEP", "-name", "mine"); code == 0 || !strings.Contains(errs, "set by your organisation") {
		t.Errorf("rename a managed server: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "settings", "set", "renewalRatio", "0.9")
	if code != 1 || !strings.Contains(errs, "set by your organisation") {
		t.Errorf("set a managed setting: exit %d, %q", code, errs)
	}
}
