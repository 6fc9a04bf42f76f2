package app

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// Windows: a Task Scheduler task in the \certdesk\ folder, created from an
// XML definition because only XML carries the logon trigger and
// StartWhenAvailable. A copy of the XML is kept in dir for reference.

func defaultJobDir(j pulseJob) (string, error) {
	base := os.Getenv("LOCALAPPDATA")
	if j.machine() {
		base = os.Getenv("ProgramData")
	}
	if base == "" {
		return "", fmt.Errorf("schedule: %%LOCALAPPDATA%% or %%ProgramData%% is not set")
	}
	return filepath.Join(base, "certdesk", "schedule"), nil
}

func taskFile(j pulseJob, dir string) string { return filepath.Join(dir, j.name()+".xml") }

// installJob writes the task XML (UTF-16, as schtasks wants) and creates
// or replaces the task from it.
func installJob(ctx context.Context, run CommandRunner, j pulseJob, dir string) ([]string, error) {
	if len(j.env) > 0 {
		return nil, fmt.Errorf("schedule: Task Scheduler cannot give the task an environment (%s); schedule without it, or set it system-wide", strings.Join(j.env, " "))
	}
	var userID string
	if !j.machine() {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("schedule: find the current user: %w", err)
		}
		userID = u.Username // DOMAIN\name, as Task Scheduler expects
		if err := checkJobValue("user name", userID); err != nil {
			return nil, err
		}
	}
	path := taskFile(j, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("schedule: create %s: %w", dir, err)
	}
	if err := atomicfile.Write(path, utf16LE(j.taskXML(userID)), 0o644); err != nil {
		return nil, fmt.Errorf("schedule: write %s: %w", path, err)
	}
	args := []string{"/Create", "/TN", j.taskPath(), "/XML", path, "/F"}
	if out, err := run(ctx, "schtasks", args...); err != nil {
		hint := ""
		if j.machine() {
			hint = " (the machine context needs an elevated prompt)"
		}
		return nil, fmt.Errorf("schedule: Task Scheduler did not create the task%s (%w)", hint, commandError("schtasks", args, out, err))
	}
	return nil, nil
}

// removeJob deletes the task, if Task Scheduler has it, and the XML copy.
func removeJob(ctx context.Context, run CommandRunner, j pulseJob, dir string) ([]string, error) {
	if _, err := run(ctx, "schtasks", "/Query", "/TN", j.taskPath()); err != nil {
		os.Remove(taskFile(j, dir))
		return []string{"no schedule was installed for the " + j.context + " context"}, nil
	}
	args := []string{"/Delete", "/TN", j.taskPath(), "/F"}
	if out, err := run(ctx, "schtasks", args...); err != nil {
		return nil, fmt.Errorf("schedule: Task Scheduler did not delete the task (%w)", commandError("schtasks", args, out, err))
	}
	os.Remove(taskFile(j, dir))
	return nil, nil
}

// jobStatus asks Task Scheduler for the task; it is the source of truth, the
// XML copy is only for reference.
func jobStatus(ctx context.Context, run CommandRunner, j pulseJob, dir string) (ScheduleStatus, error) {
	var st ScheduleStatus
	out, err := run(ctx, "schtasks", "/Query", "/TN", j.taskPath(), "/FO", "LIST", "/V")
	if err != nil {
		return st, nil
	}
	st.Installed = true
	if _, err := os.Stat(taskFile(j, dir)); err == nil {
		st.Files = []string{taskFile(j, dir)}
	}
	st.Active, st.Detail = parseSchtasksList(out)
	return st, nil
}
