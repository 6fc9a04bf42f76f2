package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Timing of the OS job that runs pulse. The OS adds the jitter: systemd's
// RandomizedDelaySec, Task Scheduler's RandomDelay; launchd has none, so
// the renewal jitter (RenewAt) is what spreads a fleet of Macs.
const (
	scheduleInterval  = DefaultCheckInterval
	scheduleBootDelay = 5 * time.Minute
	scheduleJitter    = 30 * time.Minute
)

// DefaultLaunchdPrefix is the reverse-DNS prefix of launchd labels: the
// application id from FyneApp.toml.
const DefaultLaunchdPrefix = "io.github.certdesk"

// ErrScheduleUnsupported is returned where certdesk cannot register a job
// with the OS scheduler.
var ErrScheduleUnsupported = errors.New("schedule: no supported scheduler on this system")

// CommandRunner runs an OS command and returns its combined output. Tests
// inject a recorder; nil means os/exec.
type CommandRunner func(ctx context.Context, name string, args ...string) ([]byte, error)

// Scheduler registers "certdesk pulse -context C" with the OS scheduler:
// systemd timers on Linux, launchd on macOS, Task Scheduler on Windows
// (docs/renewal.md). The zero value uses the running executable, the OS
// default directories and real commands.
type Scheduler struct {
	// Executable is the certdesk binary the job runs; "" means this one.
	Executable string
	// Dir is where the job files go; "" means the OS default for the
	// context (~/.config/systemd/user, ~/Library/LaunchAgents, ...).
	Dir string
	// Run runs the OS commands (systemctl, launchctl, schtasks).
	Run CommandRunner
	// Env is KEY=VALUE pairs the job runs with, e.g. CERTDESK_ROOT of a
	// portable install, without which pulse would look at the default
	// locations. Task Scheduler has no per-task environment: on Windows
	// Install refuses a non-empty Env.
	Env []string
}

// ScheduleStatus is what Status found out about a context's job.
type ScheduleStatus struct {
	Context   string
	Installed bool      // the job's files (or task) exist
	Active    bool      // the OS scheduler has it loaded and enabled
	NextRun   time.Time // zero when the OS cannot tell
	Files     []string  // the job's files
	Detail    string    // one line from the OS, e.g. why Active is unknown
}

// Install writes the job for the context and enables it. notes are
// sentences the person should read (e.g. about lingering user sessions).
// When the files are written but the OS refuses to load them, the error
// says so in one sentence; the files stay, so a later Install or a manual
// command can enable them.
func (s *Scheduler) Install(ctx context.Context, contextName string) (notes []string, err error) {
	j, dir, err := s.job(contextName, true)
	if err != nil {
		return nil, err
	}
	notes, err = installJob(ctx, s.runner(), j, dir)
	if err == nil && strings.HasPrefix(j.exe, filepath.Clean(os.TempDir())+string(filepath.Separator)) {
		// "go run" and unpacked downloads live there and vanish.
		notes = append(notes, "the job runs "+j.exe+", which is in a temporary directory; install certdesk and run schedule install again from there")
	}
	return notes, err
}

// Remove disables the job and deletes its files. Removing a job that is not
// installed is not an error.
func (s *Scheduler) Remove(ctx context.Context, contextName string) (notes []string, err error) {
	j, dir, err := s.job(contextName, false)
	if err != nil {
		return nil, err
	}
	return removeJob(ctx, s.runner(), j, dir)
}

// Status reports whether the job is installed, loaded, and when it runs
// next where the OS can tell.
func (s *Scheduler) Status(ctx context.Context, contextName string) (ScheduleStatus, error) {
	j, dir, err := s.job(contextName, false)
	if err != nil {
		return ScheduleStatus{}, err
	}
	st, err := jobStatus(ctx, s.runner(), j, dir)
	st.Context = contextName
	return st, err
}

func (s *Scheduler) job(contextName string, needExe bool) (pulseJob, string, error) {
	exe := s.Executable
	if exe == "" && needExe {
		var err error
		if exe, err = os.Executable(); err != nil {
			return pulseJob{}, "", fmt.Errorf("schedule: find the certdesk executable: %w", err)
		}
	}
	j, err := newPulseJob(contextName, exe)
	if err != nil {
		return pulseJob{}, "", err
	}
	for _, kv := range s.Env {
		if err := checkJobValue("environment entry", kv); err != nil {
			return pulseJob{}, "", err
		}
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsAny(k, " \"'") {
			return pulseJob{}, "", fmt.Errorf("schedule: environment entry %q is not KEY=VALUE", kv)
		}
	}
	j.env = s.Env
	dir := s.Dir
	if dir == "" {
		if dir, err = defaultJobDir(j); err != nil {
			return pulseJob{}, "", err
		}
	}
	return j, dir, nil
}

func (s *Scheduler) runner() CommandRunner {
	if s.Run != nil {
		return s.Run
	}
	return func(ctx context.Context, name string, args ...string) ([]byte, error) {
		return exec.CommandContext(ctx, name, args...).CombinedOutput()
	}
}

// The per-OS files (schedule_linux.go, _darwin.go, _windows.go, _other.go)
// hold only glue, each defining:
//
//	defaultJobDir(j) (dir, error)            where the job's files go by default
//	installJob(ctx, run, j, dir) (notes, error) write the files, load them
//	removeJob(ctx, run, j, dir) (notes, error)  unload, delete; idempotent
//	jobStatus(ctx, run, j, dir) (ScheduleStatus, error)
//
// They run every OS command through run, so tests see the commands, and
// report an unreachable OS scheduler in Detail or notes rather than as an
// error wherever the files alone already say what the person asked.

// pulseJob is one context's OS job, from which every OS's job definition
// is generated. The generators are pure so they are tested on any OS.
type pulseJob struct {
	context string   // "machine", "user" or "app:<id>"
	exe     string   // absolute path of certdesk
	logDir  string   // launchd only: where stdout/stderr go
	env     []string // KEY=VALUE, validated
}

// appIDPattern keeps app ids to characters valid in systemd unit names,
// launchd labels and task names alike, so none needs escaping.
var appIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func newPulseJob(contextName, exe string) (pulseJob, error) {
	switch id, isApp := strings.CutPrefix(contextName, "app:"); {
	case contextName == "machine" || contextName == "user":
	case isApp && appIDPattern.MatchString(id):
	default:
		return pulseJob{}, fmt.Errorf("schedule: unknown context %q: use machine, user or app:<id> (letters, digits, . _ -)", contextName)
	}
	if err := checkJobValue("executable path", exe); err != nil {
		return pulseJob{}, err
	}
	if exe != "" && !filepath.IsAbs(exe) {
		return pulseJob{}, fmt.Errorf("schedule: executable %q is not an absolute path", exe)
	}
	return pulseJob{context: contextName, exe: exe}, nil
}

// checkJobValue is the one check every value written into a job file (a
// systemd unit, a launchd plist, a Task Scheduler XML) goes through before
// anything is written: no control character at all (C0, DEL, C1), and valid
// UTF-8. A CR or LF would start a new directive in a unit file, and XML 1.0
// cannot carry most control characters even escaped; TAB is refused too,
// as no path or environment value needs it. The formats' quoting
// (systemdQuote, systemdEnv, xmlText) then handles everything else.
func checkJobValue(what, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("schedule: the %s %q is not valid UTF-8, so it cannot go into the job file; nothing was written", what, v)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("schedule: the %s %q contains a control character (%U), which a job file cannot hold safely; nothing was written", what, v, r)
		}
	}
	return nil
}

func (j pulseJob) machine() bool { return j.context == "machine" }

// slug is the context as it appears in job names: "user", "machine",
// "app-<id>".
func (j pulseJob) slug() string { return strings.Replace(j.context, "app:", "app-", 1) }

// name is the systemd unit stem and the Task Scheduler task's leaf name,
// e.g. certdesk-pulse-user, certdesk-pulse-app-<id>.
func (j pulseJob) name() string { return "certdesk-pulse-" + j.slug() }

func (j pulseJob) args() []string { return []string{"pulse", "-context", j.context} }

// firstLine returns the first non-empty line of command output, trimmed,
// for one-sentence errors.
func firstLine(out []byte) string {
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// commandError turns a failed command into an error quoting what it said.
func commandError(name string, args []string, out []byte, err error) error {
	if msg := firstLine(out); msg != "" {
		return fmt.Errorf("%s %s: %s: %w", name, strings.Join(args, " "), msg, err)
	}
	return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
}
