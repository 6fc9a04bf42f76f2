package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSchedulerInstallLinux(t *testing.T) {
	noBus := answer{"Failed to connect to bus: No medium found\n", errors.New("exit status 1")}
	tests := []struct {
		name      string
		ctx       string
		answers   map[string]answer
		wantCalls []string
		wantErr   string
		wantNote  string
	}{
		{"user context", "user", nil, []string{
			"systemctl --user daemon-reload",
			"systemctl --user enable --now certdesk-pulse-user.timer",
		}, "", "loginctl enable-linger"},
		{"machine context has no --user", "machine", nil, []string{
			"systemctl daemon-reload",
			"systemctl enable --now certdesk-pulse-machine.timer",
		}, "", ""},
		{"app context", "app:vpn", nil, []string{
			"systemctl --user daemon-reload",
			"systemctl --user enable --now certdesk-pulse-app-vpn.timer",
		}, "", "enable-linger"},
		{"no running systemd", "user", map[string]answer{"systemctl": noBus}, []string{
			"systemctl --user daemon-reload",
		}, "but systemd did not enable the timer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			rec := &recorder{answers: tt.answers}
			s := &Scheduler{Executable: "/opt/cert desk/certdesk", Dir: dir, Run: rec.run}
			notes, err := s.Install(context.Background(), tt.ctx)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Install error = %v, want %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "No medium found")) {
				t.Errorf("error is not one sentence quoting systemctl: %q", err)
			}
			if strings.Join(rec.calls, "\n") != strings.Join(tt.wantCalls, "\n") {
				t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(rec.calls, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
			if tt.wantNote != "" && !strings.Contains(strings.Join(notes, " "), tt.wantNote) {
				t.Errorf("notes %q lack %q", notes, tt.wantNote)
			}
			// The files are written either way, so a failed enable can be
			// finished by hand.
			j := mustJob(t, tt.ctx, "/opt/cert desk/certdesk")
			svc, err := os.ReadFile(filepath.Join(dir, j.name()+".service"))
			if err != nil || string(svc) != j.systemdService() {
				t.Errorf("service file: %v\n%s", err, svc)
			}
			if tmr, err := os.ReadFile(filepath.Join(dir, j.name()+".timer")); err != nil || string(tmr) != j.systemdTimer() {
				t.Errorf("timer file: %v", err)
			}
		})
	}
}

func TestSchedulerStatusAndRemoveLinux(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{answers: map[string]answer{
		"systemctl --user show": {out: "ActiveState=active\nUnitFileState=enabled\nNextElapseUSecRealtime=@1764100000\n"},
	}}
	s := &Scheduler{Executable: "/usr/bin/certdesk", Dir: dir, Run: rec.run}
	ctx := context.Background()

	st, err := s.Status(ctx, "user")
	if err != nil || st.Installed || len(rec.calls) != 0 {
		t.Fatalf("before install: %+v, %v, calls %v", st, err, rec.calls)
	}
	if _, err := s.Install(ctx, "user"); err != nil {
		t.Fatal(err)
	}
	st, err = s.Status(ctx, "user")
	if err != nil || !st.Installed || !st.Active || !st.NextRun.Equal(time.Unix(1764100000, 0)) || len(st.Files) != 2 || st.Context != "user" {
		t.Errorf("after install: %+v, %v", st, err)
	}

	rec.calls = nil
	notes, err := s.Remove(ctx, "user")
	if err != nil || len(notes) != 0 {
		t.Fatalf("Remove: %v, %v", notes, err)
	}
	want := "systemctl --user disable --now certdesk-pulse-user.timer\nsystemctl --user daemon-reload"
	if got := strings.Join(rec.calls, "\n"); got != want {
		t.Errorf("remove commands:\n%s\nwant:\n%s", got, want)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left after remove: %v", left)
	}
	if notes, err := s.Remove(ctx, "user"); err != nil || len(notes) != 1 || !strings.Contains(notes[0], "no schedule") {
		t.Errorf("second Remove: %v, %v", notes, err)
	}
}

func TestSchedulerStatusWithoutSystemd(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	s := &Scheduler{Executable: "/usr/bin/certdesk", Dir: dir, Run: rec.run}
	if _, err := s.Install(context.Background(), "machine"); err != nil {
		t.Fatal(err)
	}
	rec.answers = map[string]answer{"systemctl": {"System has not been booted with systemd", errors.New("exit status 1")}}
	st, err := s.Status(context.Background(), "machine")
	if err != nil || !st.Installed || st.Active || !st.NextRun.IsZero() || !strings.Contains(st.Detail, "not been booted") {
		t.Errorf("status = %+v, %v", st, err)
	}
	notes, err := s.Remove(context.Background(), "machine")
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "will not start again") {
		t.Errorf("Remove = %v, %v", notes, err)
	}
}

func TestParseSystemdTime(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Time
	}{
		{"unix", "@1764100000", time.Unix(1764100000, 0)},
		{"pretty", "Wed 2026-11-25 22:00:00 UTC", time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)},
		{"not yet", "n/a", time.Time{}},
		{"empty", "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseSystemdTime(tt.in); !got.Equal(tt.want) {
				t.Errorf("parseSystemdTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDefaultJobDirLinux(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/home/ann/.cfg")
	tests := []struct{ ctx, want string }{
		{"user", "/home/ann/.cfg/systemd/user"},
		{"app:vpn", "/home/ann/.cfg/systemd/user"},
		{"machine", "/etc/systemd/system"},
	}
	for _, tt := range tests {
		t.Run(tt.ctx, func(t *testing.T) {
			if got, err := defaultJobDir(mustJob(t, tt.ctx, "")); err != nil || got != tt.want {
				t.Errorf("defaultJobDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSchedulerInstallWarnsAboutTemporaryExecutable(t *testing.T) {
	rec := &recorder{}
	s := &Scheduler{Executable: filepath.Join(os.TempDir(), "go-build1", "exe", "certdesk"), Dir: t.TempDir(), Run: rec.run}
	notes, err := s.Install(context.Background(), "machine")
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "temporary directory") {
		t.Errorf("notes %q, err %v", notes, err)
	}
}

func TestSchedulerInstallLinuxRefusesQuotedExecutable(t *testing.T) {
	for _, exe := range []string{`/opt/say "hi"/certdesk`, "/opt/it's/certdesk", `/opt/a\b/certdesk`} {
		rec := &recorder{}
		s := &Scheduler{Executable: exe, Dir: t.TempDir(), Run: rec.run}
		_, err := s.Install(context.Background(), "user")
		if err == nil || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("%q: err = %v", exe, err)
		}
		if ents, _ := os.ReadDir(s.Dir); len(ents) != 0 || len(rec.calls) != 0 {
			t.Errorf("%q: wrote %d files, ran %q", exe, len(ents), rec.calls)
		}
	}
}
