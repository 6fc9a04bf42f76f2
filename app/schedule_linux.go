package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Linux: systemd units. User and app contexts get user units, run by the
// person's systemd --user manager; the machine context gets system units.

// systemSystemdDir is where the machine context's units go.
const systemSystemdDir = "/etc/systemd/system"

func defaultJobDir(j pulseJob) (string, error) {
	if j.machine() {
		return systemSystemdDir, nil
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "systemd", "user"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("schedule: find the systemd user unit directory: %w", err)
	}
	return filepath.Join(home, ".config", "systemd", "user"), nil
}

// systemctlArgs prefixes args with --user for user and app contexts.
func systemctlArgs(j pulseJob, args ...string) []string {
	if j.machine() {
		return args
	}
	return append([]string{"--user"}, args...)
}

func unitFiles(j pulseJob, dir string) (service, timer string) {
	return filepath.Join(dir, j.name()+".service"), filepath.Join(dir, j.name()+".timer")
}

// installJob writes the service and timer, then reloads systemd and enables
// the timer. The files are written first and kept on failure: they are
// valid on their own, and the error names the commands that finish the job.
func installJob(ctx context.Context, run CommandRunner, j pulseJob, dir string) ([]string, error) {
	if err := checkSystemdExecutable(j.exe); err != nil {
		return nil, err
	}
	service, timer := unitFiles(j, dir)
	hint := ""
	if j.machine() {
		hint = " (the machine context's units are system units: run as root)"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("schedule: create %s%s: %w", dir, hint, err)
	}
	for _, f := range []struct{ path, text string }{{service, j.systemdService()}, {timer, j.systemdTimer()}} {
		if err := atomicfile.Write(f.path, []byte(f.text), 0o644); err != nil {
			return nil, fmt.Errorf("schedule: write %s%s: %w", f.path, hint, err)
		}
	}
	for _, args := range [][]string{
		systemctlArgs(j, "daemon-reload"),
		systemctlArgs(j, "enable", "--now", j.name()+".timer"),
	} {
		if out, err := run(ctx, "systemctl", args...); err != nil {
			sc := strings.Join(append([]string{"systemctl"}, systemctlArgs(j)...), " ") + " "
			return nil, fmt.Errorf("schedule: wrote %s and %s, but systemd did not enable the timer (%w); where systemd runs, finish with \"%sdaemon-reload && %senable --now %s.timer\"",
				service, timer, commandError("systemctl", args, out, err), sc, sc, j.name())
		}
	}
	var notes []string
	if !j.machine() {
		notes = append(notes, "user timers run only while you are logged in; to run them at all times: loginctl enable-linger $USER")
	}
	return notes, nil
}

// removeJob stops and disables the timer, deletes both units and reloads.
func removeJob(ctx context.Context, run CommandRunner, j pulseJob, dir string) ([]string, error) {
	service, timer := unitFiles(j, dir)
	if _, err := os.Stat(timer); errors.Is(err, fs.ErrNotExist) {
		os.Remove(service) // a half-installed leftover, if any
		return []string{"no schedule was installed for the " + j.context + " context"}, nil
	}
	var notes []string
	if out, err := run(ctx, "systemctl", systemctlArgs(j, "disable", "--now", j.name()+".timer")...); err != nil {
		// The files still go: without them the timer cannot come back at
		// the next boot or login, which is what the person asked for.
		notes = append(notes, "systemd could not stop the timer now ("+firstLine(out)+"); it will not start again once the files are gone")
	}
	for _, f := range []string{timer, service} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return notes, fmt.Errorf("schedule: remove %s: %w", f, err)
		}
	}
	if _, err := run(ctx, "systemctl", systemctlArgs(j, "daemon-reload")...); err != nil && len(notes) == 0 {
		notes = append(notes, "systemd did not reload its units; it will at the next boot or login")
	}
	return notes, nil
}

// jobStatus reads the unit files and asks systemd for the timer's state
// and next elapse; without systemd it still reports the files.
func jobStatus(ctx context.Context, run CommandRunner, j pulseJob, dir string) (ScheduleStatus, error) {
	service, timer := unitFiles(j, dir)
	var st ScheduleStatus
	for _, f := range []string{service, timer} {
		if _, err := os.Stat(f); err == nil {
			st.Files = append(st.Files, f)
		}
	}
	st.Installed = len(st.Files) == 2
	if !st.Installed {
		return st, nil
	}
	args := systemctlArgs(j, "show", j.name()+".timer", "--timestamp=unix", "-p", "ActiveState", "-p", "UnitFileState", "-p", "NextElapseUSecRealtime")
	out, err := run(ctx, "systemctl", args...)
	if err != nil {
		st.Detail = "systemd not reachable: " + firstLine(out)
		return st, nil
	}
	props := parseProperties(string(out))
	st.Active = props["ActiveState"] == "active"
	st.NextRun = parseSystemdTime(props["NextElapseUSecRealtime"])
	st.Detail = fmt.Sprintf("timer %s, %s", props["ActiveState"], props["UnitFileState"])
	return st, nil
}

// parseProperties reads systemctl show's KEY=VALUE lines.
func parseProperties(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			m[k] = v
		}
	}
	return m
}

// parseSystemdTime reads a timestamp as --timestamp=unix prints it
// ("@1764100000"), or systemd's default form for older versions that ignore
// the flag; zero when empty or unparsable ("n/a" before the first run).
func parseSystemdTime(s string) time.Time {
	if secs, ok := strings.CutPrefix(s, "@"); ok {
		if n, err := strconv.ParseInt(secs, 10, 64); err == nil {
			return time.Unix(n, 0)
		}
	}
	if t, err := time.Parse("Mon 2006-01-02 15:04:05 MST", s); err == nil {
		return t
	}
	return time.Time{}
}
