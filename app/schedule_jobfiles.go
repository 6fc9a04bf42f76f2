package app

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"
)

// The job definitions each OS scheduler reads, generated from a pulseJob:
// systemd units, a launchd property list, a Task Scheduler XML task. They
// are pure functions of the job, so every OS's files are tested on any OS;
// the per-OS files (schedule_linux.go and its siblings) only write and
// load them.

// systemdService returns the oneshot service unit that runs pulse once.
func (j pulseJob) systemdService() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[Unit]\nDescription=certdesk renewal check (pulse) of the %s context\n", j.context)
	b.WriteString("Documentation=https://github.com/certdesk/certdesk/blob/main/docs/renewal.md\n")
	if j.machine() {
		// The system manager has network-online.target; a user manager
		// does not, and verify would flag the dependency.
		b.WriteString("Wants=network-online.target\nAfter=network-online.target\n")
	}
	b.WriteString("\n[Service]\nType=oneshot\n")
	for _, kv := range j.env {
		b.WriteString("Environment=" + systemdEnv(kv) + "\n")
	}
	b.WriteString("ExecStart=" + systemdExecutable(j.exe))
	for _, a := range j.args() {
		b.WriteString(" " + systemdQuote(a))
	}
	b.WriteString("\n")
	return b.String()
}

// systemdTimer returns the timer that starts the service 5 minutes after
// boot and at fixed wall-clock times every 8 hours, spread by up to 30
// minutes. A calendar timer, not OnUnitActiveSec: only OnCalendar= honours
// Persistent=true, which runs a check missed while the device slept or was
// off as soon as it is back.
func (j pulseJob) systemdTimer() string {
	return fmt.Sprintf(`[Unit]
Description=certdesk renewal check of the %s context every %s

[Timer]
OnBootSec=%s
OnCalendar=*-*-* 00/%d:00:00
RandomizedDelaySec=%s
Persistent=true
Unit=%s.service

[Install]
WantedBy=timers.target
`, j.context, systemdSpan(scheduleInterval), systemdSpan(scheduleBootDelay), int(scheduleInterval/time.Hour), systemdSpan(scheduleJitter), j.name())
}

// systemdSpan writes whole minutes or hours the way systemd.time(7) reads
// them: "5min", "8h".
func systemdSpan(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dmin", d/time.Minute)
}

// systemdQuote quotes one ExecStart word: double quotes with C-style
// escapes when it holds anything but plain path characters, and always
// doubling % and $ so systemd expands neither specifiers nor variables.
func systemdQuote(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._:+,=@%$-") == "" {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

// systemdEnv quotes one Environment= assignment (systemd.exec(5)): the whole
// KEY=VALUE in double quotes, with C-style escapes for backslash and double
// quote, and % doubled because the setting expands specifiers. Environment=
// does not expand variables, so $ stays as it is ($$ would stay $$).
func systemdEnv(kv string) string {
	return `"` + strings.NewReplacer("%", "%%", `\`, `\\`, `"`, `\"`).Replace(kv) + `"`
}

// systemdExecutable writes the command name of ExecStart=. systemd expands
// specifiers there but not variables, and refuses a command name holding a
// quote or a backslash even escaped (checkSystemdExecutable says so first);
// so % is doubled, $ left alone, and the path double-quoted when it holds a
// space or anything else beyond plain path characters.
func systemdExecutable(exe string) string {
	exe = strings.ReplaceAll(exe, "%", "%%")
	if exe != "" && strings.Trim(exe, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._:+,=@%-") == "" {
		return exe
	}
	return `"` + exe + `"`
}

// checkSystemdExecutable refuses an executable path that systemd cannot run
// from a unit: one holding a double quote, a single quote or a backslash,
// which systemd rejects in a command name however it is quoted.
func checkSystemdExecutable(exe string) error {
	if err := checkJobValue("executable path", exe); err != nil {
		return err
	}
	if strings.ContainsAny(exe, `"'\`) {
		return fmt.Errorf("schedule: the executable path %q contains a quote or a backslash, which systemd refuses in a unit's command; move certdesk to another directory; nothing was written", exe)
	}
	return nil
}

// launchdLabel is the job's launchd label and plist stem, e.g.
// io.github.certdesk.pulse.user.
func (j pulseJob) launchdLabel() string { return DefaultLaunchdPrefix + ".pulse." + j.slug() }

// launchdPlist returns the LaunchAgent/LaunchDaemon property list: every 8
// hours (launchd coalesces runs missed during sleep) and at load.
func (j pulseJob) launchdPlist() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	fmt.Fprintf(&b, "\t<key>Label</key>\n\t<string>%s</string>\n", xmlText(j.launchdLabel()))
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{j.exe}, j.args()...) {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", xmlText(a))
	}
	b.WriteString("\t</array>\n")
	fmt.Fprintf(&b, "\t<key>StartInterval</key>\n\t<integer>%d</integer>\n", int(scheduleInterval/time.Second))
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	if len(j.env) > 0 {
		b.WriteString("\t<key>EnvironmentVariables</key>\n\t<dict>\n")
		for _, kv := range j.env {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(&b, "\t\t<key>%s</key>\n\t\t<string>%s</string>\n", xmlText(k), xmlText(v))
		}
		b.WriteString("\t</dict>\n")
	}
	b.WriteString("\t<key>ProcessType</key>\n\t<string>Background</string>\n")
	if j.logDir != "" {
		log := xmlText(filepath.Join(j.logDir, "pulse-"+j.slug()+".log"))
		fmt.Fprintf(&b, "\t<key>StandardOutPath</key>\n\t<string>%s</string>\n", log)
		fmt.Fprintf(&b, "\t<key>StandardErrorPath</key>\n\t<string>%s</string>\n", log)
	}
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}

// taskPath is the Task Scheduler path of the job, in certdesk's folder.
func (j pulseJob) taskPath() string { return `\certdesk\` + j.name() }

// taskXML returns the Task Scheduler definition for schtasks /Create /XML:
// every 8 hours with a random delay, plus at logon (user contexts, as
// userID) or at boot (machine, as SYSTEM); a missed run starts as soon as
// possible. Trigger children follow the schema's xs:sequence order
// ([MS-TSCH] 2.5.3: Enabled, StartBoundary, Repetition, then the trigger's
// own elements); Windows' own exports reorder them, but the schema is what
// validation holds us to. Its declaration says UTF-16: encode it with
// utf16LE.
func (j pulseJob) taskXML(userID string) string {
	var trigger, principal string
	if j.machine() {
		trigger = "\t\t<BootTrigger>\n\t\t\t<Enabled>true</Enabled>\n\t\t\t<Delay>PT5M</Delay>\n\t\t</BootTrigger>\n"
		// S-1-5-18 is LocalSystem, the identity of the machine context.
		principal = "\t\t\t<UserId>S-1-5-18</UserId>\n\t\t\t<RunLevel>HighestAvailable</RunLevel>\n"
	} else {
		u := xmlText(userID)
		trigger = "\t\t<LogonTrigger>\n\t\t\t<Enabled>true</Enabled>\n\t\t\t<UserId>" + u + "</UserId>\n\t\t\t<Delay>PT5M</Delay>\n\t\t</LogonTrigger>\n"
		// InteractiveToken: run as the person, only while logged on, and
		// with no stored password (which schtasks would otherwise need).
		principal = "\t\t\t<UserId>" + u + "</UserId>\n\t\t\t<LogonType>InteractiveToken</LogonType>\n\t\t\t<RunLevel>LeastPrivilege</RunLevel>\n"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
	<RegistrationInfo>
		<Author>certdesk</Author>
		<Description>certdesk renewal check (pulse) of the %[1]s context</Description>
		<URI>%[2]s</URI>
	</RegistrationInfo>
	<Triggers>
		<TimeTrigger>
			<Enabled>true</Enabled>
			<StartBoundary>2026-01-01T00:00:00</StartBoundary>
			<Repetition>
				<Interval>PT8H</Interval>
				<StopAtDurationEnd>false</StopAtDurationEnd>
			</Repetition>
			<RandomDelay>PT30M</RandomDelay>
		</TimeTrigger>
%[3]s	</Triggers>
	<Principals>
		<Principal id="Author">
%[4]s		</Principal>
	</Principals>
	<Settings>
		<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
		<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
		<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
		<StartWhenAvailable>true</StartWhenAvailable>
		<ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
		<Enabled>true</Enabled>
	</Settings>
	<Actions Context="Author">
		<Exec>
			<Command>%[5]s</Command>
			<Arguments>%[6]s</Arguments>
		</Exec>
	</Actions>
</Task>
`, xmlText(j.context), xmlText(j.taskPath()), trigger, principal, xmlText(j.exe), xmlText(strings.Join(j.args(), " ")))
}

// parseSchtasksList reads "schtasks /Query /FO LIST /V": whether the task
// is enabled, and its next run as Windows wrote it. The listing is
// localised, so the date is passed on as text rather than parsed in a
// format we cannot know; on a non-English system both may be empty.
func parseSchtasksList(out []byte) (enabled bool, detail string) {
	for _, l := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Next Run Time":
			detail = "next run " + v
		case "Scheduled Task State":
			enabled = v == "Enabled"
		}
	}
	return enabled, detail
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a buffer cannot fail
	return b.String()
}

// utf16LE encodes s as UTF-16 little-endian with a byte-order mark, the
// encoding schtasks expects of an XML task file.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2, 2+2*len(u))
	out[0], out[1] = 0xFF, 0xFE
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}
