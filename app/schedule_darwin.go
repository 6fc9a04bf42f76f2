package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// macOS: a LaunchAgent for user and app contexts, loaded into the person's
// GUI domain; a LaunchDaemon for the machine context, in the system domain.

func defaultJobDir(j pulseJob) (string, error) {
	if j.machine() {
		return "/Library/LaunchDaemons", nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("schedule: find ~/Library/LaunchAgents: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents"), nil
}

// launchdDomain is the launchctl domain target of the job.
func launchdDomain(j pulseJob) string {
	if j.machine() {
		return "system"
	}
	return "gui/" + strconv.Itoa(os.Getuid())
}

func launchdLogDir(j pulseJob) string {
	if j.machine() {
		return "/Library/Logs/certdesk"
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "Library", "Logs", "certdesk")
	}
	return ""
}

func plistPath(j pulseJob, dir string) string {
	return filepath.Join(dir, j.launchdLabel()+".plist")
}

// installJob writes the plist and loads it into the GUI or system domain,
// unloading an older copy first so a reinstall picks up changes.
func installJob(ctx context.Context, run CommandRunner, j pulseJob, dir string) ([]string, error) {
	j.logDir = launchdLogDir(j)
	path := plistPath(j, dir)
	if j.logDir != "" {
		if err := os.MkdirAll(j.logDir, 0o755); err != nil {
			return nil, fmt.Errorf("schedule: create %s: %w", j.logDir, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("schedule: create %s: %w", dir, err)
	}
	if err := atomicfile.Write(path, []byte(j.launchdPlist()), 0o644); err != nil {
		return nil, fmt.Errorf("schedule: write %s: %w", path, err)
	}
	// bootstrap refuses a label that is already loaded. A failing bootout
	// just means it was not loaded.
	_, _ = run(ctx, "launchctl", "bootout", launchdDomain(j)+"/"+j.launchdLabel())
	args := []string{"bootstrap", launchdDomain(j), path}
	if out, err := run(ctx, "launchctl", args...); err != nil {
		return nil, fmt.Errorf("schedule: wrote %s, but launchd did not load it (%w)", path, commandError("launchctl", args, out, err))
	}
	return []string{"macOS may show a \"Background Items Added\" notice for certdesk; that is this job"}, nil
}

// removeJob unloads the job and deletes the plist.
func removeJob(ctx context.Context, run CommandRunner, j pulseJob, dir string) ([]string, error) {
	path := plistPath(j, dir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return []string{"no schedule was installed for the " + j.context + " context"}, nil
	}
	_, _ = run(ctx, "launchctl", "bootout", launchdDomain(j)+"/"+j.launchdLabel())
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("schedule: remove %s: %w", path, err)
	}
	return nil, nil
}

// jobStatus reports the plist and whether launchd has the label loaded.
func jobStatus(ctx context.Context, run CommandRunner, j pulseJob, dir string) (ScheduleStatus, error) {
	var st ScheduleStatus
	path := plistPath(j, dir)
	if _, err := os.Stat(path); err != nil {
		return st, nil
	}
	st.Installed, st.Files = true, []string{path}
	// launchd does not say when a StartInterval job runs next.
	if out, err := run(ctx, "launchctl", "print", launchdDomain(j)+"/"+j.launchdLabel()); err != nil {
		st.Detail = "not loaded: " + firstLine(out)
	} else {
		st.Active, st.Detail = true, "loaded; runs every 8 hours and at login"
	}
	return st, nil
}
