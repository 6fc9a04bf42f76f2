package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
)

// TestScheduleCLI runs the verb end to end on Linux with a fake systemctl
// first in PATH that logs its arguments, so no real timer is ever enabled.
func TestScheduleCLI(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("drives the systemd glue")
	}
	tmp := t.TempDir()
	bin, cfg := filepath.Join(tmp, "bin"), filepath.Join(tmp, "cfg")
	log := filepath.Join(tmp, "systemctl.log")
	os.MkdirAll(bin, 0o755)
	script := "#!/bin/sh\necho \"$*\" >> '" + log + "'\n" +
		"case \"$*\" in *show*) echo ActiveState=active; echo UnitFileState=enabled; echo NextElapseUSecRealtime=@1800000000;; esac\n"
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("CERTDESK_ROOT", filepath.Join(tmp, "root"))
	t.Setenv("XDG_CONFIG_HOME", cfg)
	unitDir := filepath.Join(cfg, "systemd", "user")

	steps := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"status before", []string{"schedule", "status"}, 0, "user: not scheduled"},
		{"install", []string{"schedule", "install", "-context", "app:vpn"}, 0, "loginctl enable-linger"},
		{"status after", []string{"schedule", "status", "-context", "app:vpn"}, 0, "scheduled, active, next run " + time.Unix(1800000000, 0).Local().Format(time.RFC3339)},
		{"remove", []string{"schedule", "remove", "-context", "app:vpn"}, 0, "removed the schedule"},
		{"remove again", []string{"schedule", "remove", "-context", "app:vpn"}, 0, "no schedule was installed"},
		{"no action", []string{"schedule"}, 2, ""},
		{"bad action", []string{"schedule", "start"}, 2, ""},
		{"bad context", []string{"schedule", "status", "-context", "app:"}, 2, ""},
	}
	for _, st := range steps {
		out, errOut, code := runCLI(t, st.args...)
		if code != st.code || !strings.Contains(out, st.contains) {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q", st.name, code, st.code, out, errOut)
		}
		if st.name == "install" {
			if _, err := os.Stat(filepath.Join(unitDir, "certdesk-pulse-app-vpn.timer")); err != nil {
				t.Errorf("timer not written: %v", err)
			}
			svc, _ := os.ReadFile(filepath.Join(unitDir, "certdesk-pulse-app-vpn.service"))
			if !strings.Contains(string(svc), `Environment="CERTDESK_ROOT=`+filepath.Join(tmp, "root")+`"`) {
				t.Errorf("CERTDESK_ROOT not passed to the job:\n%s", svc)
			}
		}
	}
	calls, _ := os.ReadFile(log)
	want := "--user daemon-reload\n--user enable --now certdesk-pulse-app-vpn.timer\n" +
		"--user show certdesk-pulse-app-vpn.timer --timestamp=unix -p ActiveState -p UnitFileState -p NextElapseUSecRealtime\n" +
		"--user disable --now certdesk-pulse-app-vpn.timer\n--user daemon-reload\n"
	if string(calls) != want {
		t.Errorf("systemctl calls:\n%s\nwant:\n%s", calls, want)
	}
	if left, _ := os.ReadDir(unitDir); len(left) != 0 {
		t.Errorf("unit files left: %v", left)
	}
}

func TestScheduleStatusFormat(t *testing.T) {
	tests := []struct {
		name string
		st   app.ScheduleStatus
		want string
	}{
		{"not installed", app.ScheduleStatus{Context: "user"}, "user: not scheduled (certdesk schedule install -context user)"},
		{"installed, OS silent", app.ScheduleStatus{Context: "machine", Installed: true, Detail: "systemd not reachable", Files: []string{"/etc/x.timer"}},
			"machine: scheduled (systemd not reachable)\n  /etc/x.timer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatScheduleStatus(tt.st); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
