package app

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

func mustJob(t *testing.T, ctx, exe string) pulseJob {
	t.Helper()
	j, err := newPulseJob(ctx, exe)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestPulseJobNames(t *testing.T) {
	tests := []struct {
		ctx, unit, label, task string
	}{
		{"user", "certdesk-pulse-user", "io.github.certdesk.pulse.user", `\certdesk\certdesk-pulse-user`},
		{"machine", "certdesk-pulse-machine", "io.github.certdesk.pulse.machine", `\certdesk\certdesk-pulse-machine`},
		{"app:org.example.vpn", "certdesk-pulse-app-org.example.vpn", "io.github.certdesk.pulse.app-org.example.vpn", `\certdesk\certdesk-pulse-app-org.example.vpn`},
	}
	for _, tt := range tests {
		t.Run(tt.ctx, func(t *testing.T) {
			j := mustJob(t, tt.ctx, "/usr/bin/certdesk")
			if j.name() != tt.unit || j.launchdLabel() != tt.label || j.taskPath() != tt.task {
				t.Errorf("names = %q %q %q", j.name(), j.launchdLabel(), j.taskPath())
			}
		})
	}
}

func TestNewPulseJobRejects(t *testing.T) {
	tests := []struct{ name, ctx, exe string }{
		{"unknown context", "system", "/bin/certdesk"},
		{"empty app id", "app:", "/bin/certdesk"},
		{"app id with slash", "app:../x", "/bin/certdesk"},
		{"app id with space", "app:a b", "/bin/certdesk"},
		{"relative executable", "user", "certdesk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newPulseJob(tt.ctx, tt.exe); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestSystemdQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain path", "/usr/bin/certdesk", "/usr/bin/certdesk"},
		{"context", "app:org.example", "app:org.example"},
		{"space", "/opt/cert desk/certdesk", `"/opt/cert desk/certdesk"`},
		{"specifier and variable", "/opt/100%/$HOME", "/opt/100%%/$$HOME"},
		{"quote and backslash", `/opt/a"b\c`, `"/opt/a\"b\\c"`},
		{"empty", "", `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := systemdQuote(tt.in); got != tt.want {
				t.Errorf("systemdQuote(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSystemdUnitsContent(t *testing.T) {
	j := mustJob(t, "user", "/opt/cert desk/certdesk")
	svc, tmr := j.systemdService(), j.systemdTimer()
	for _, want := range []string{"Type=oneshot\n", `ExecStart="/opt/cert desk/certdesk" pulse -context user` + "\n"} {
		if !strings.Contains(svc, want) {
			t.Errorf("service lacks %q:\n%s", want, svc)
		}
	}
	j.env = []string{`CERTDESK_ROOT=/srv/a b/50%`}
	if got := j.systemdService(); !strings.Contains(got, `Environment="CERTDESK_ROOT=/srv/a b/50%%"`+"\n") {
		t.Errorf("environment not written:\n%s", got)
	}
	if strings.Contains(svc, "network-online") {
		t.Error("user service depends on network-online.target, which user managers lack")
	}
	for _, want := range []string{"OnBootSec=5min\n", "OnCalendar=*-*-* 00/8:00:00\n", "RandomizedDelaySec=30min\n", "Persistent=true\n", "Unit=certdesk-pulse-user.service\n", "WantedBy=timers.target\n"} {
		if !strings.Contains(tmr, want) {
			t.Errorf("timer lacks %q:\n%s", want, tmr)
		}
	}
	if m := mustJob(t, "machine", "/usr/bin/certdesk").systemdService(); !strings.Contains(m, "After=network-online.target") {
		t.Errorf("machine service does not wait for the network:\n%s", m)
	}
}

// TestSystemdAnalyzeVerify checks the generated units with systemd's own
// parser. Without a running systemd, "verify" still loads the units and
// checks every setting and that ExecStart is executable; it reports
// problems on stderr, sometimes with exit status 0 (an unknown key), so the
// test wants a clean stderr. A broken unit must fail, proving the check
// works here.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true executable")
	}
	root := t.TempDir()
	// A real executable at a path with a space and a percent sign.
	exeDir := filepath.Join(root, "cert desk 100%")
	os.MkdirAll(exeDir, 0o755)
	exe := filepath.Join(exeDir, "certdesk")
	if err := os.Symlink(truePath, exe); err != nil {
		t.Fatal(err)
	}
	verify := func(t *testing.T, j pulseJob, service string) (string, error) {
		dir := t.TempDir()
		svc, tmr := filepath.Join(dir, j.name()+".service"), filepath.Join(dir, j.name()+".timer")
		os.WriteFile(svc, []byte(service), 0o644)
		os.WriteFile(tmr, []byte(j.systemdTimer()), 0o644)
		args := []string{"verify", svc, tmr}
		cmd := exec.Command(analyze, args...)
		if !j.machine() {
			// A user-mode verify needs a runtime directory, which a
			// container without a session lacks.
			cmd = exec.Command(analyze, append([]string{"--user"}, args...)...)
			cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
		}
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	for _, ctx := range []string{"user", "machine", "app:org.example.vpn"} {
		t.Run(ctx, func(t *testing.T) {
			j := mustJob(t, ctx, exe)
			j.env = []string{`CERTDESK_ROOT=/srv/cert desk/100%/"q"`, "LANG=C.UTF-8"}
			if msg, err := verify(t, j, j.systemdService()); err != nil || msg != "" {
				t.Errorf("systemd-analyze verify: %v\n%s\nservice:\n%s", err, msg, j.systemdService())
			}
		})
	}
	t.Run("broken unit is caught", func(t *testing.T) {
		j := mustJob(t, "machine", filepath.Join(root, "missing", "certdesk"))
		if msg, err := verify(t, j, j.systemdService()); err == nil && msg == "" {
			t.Error("verify accepted a service whose executable does not exist")
		}
	})
}

func TestLaunchdPlist(t *testing.T) {
	j := mustJob(t, "user", "/Applications/Cert Desk & Co.app/Contents/MacOS/certdesk")
	j.logDir = "/Users/a b/Library/Logs/certdesk"
	j.env = []string{"CERTDESK_ROOT=/Users/a b/<portable>"}
	data := j.launchdPlist()
	var doc struct {
		Dict struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("plist does not parse: %v\n%s", err, data)
	}
	// Walk the dict as key/value pairs.
	dec := xml.NewDecoder(strings.NewReader("<d>" + string(doc.Dict.Inner) + "</d>"))
	got := map[string]string{}
	var key, cur string
	var args []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			cur = tk.Name.Local
			if cur == "true" {
				got[key] = "true"
			}
		case xml.CharData:
			s := strings.TrimSpace(string(tk))
			switch {
			case s == "":
			case cur == "key":
				key = s
			case key == "ProgramArguments":
				args = append(args, s)
			default:
				got[key] = s
			}
		}
	}
	want := map[string]string{
		"Label":             "io.github.certdesk.pulse.user",
		"StartInterval":     "28800",
		"RunAtLoad":         "true",
		"CERTDESK_ROOT":     "/Users/a b/<portable>",
		"StandardOutPath":   "/Users/a b/Library/Logs/certdesk/pulse-user.log",
		"StandardErrorPath": "/Users/a b/Library/Logs/certdesk/pulse-user.log",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if strings.Join(args, "|") != j.exe+"|pulse|-context|user" {
		t.Errorf("ProgramArguments = %q", args)
	}
}

type taskDoc struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/windows/2004/02/mit/task Task"`
	URI      string   `xml:"RegistrationInfo>URI"`
	Triggers struct {
		Time struct {
			Interval    string `xml:"Repetition>Interval"`
			RandomDelay string
		} `xml:"TimeTrigger"`
		Logon *struct {
			UserID string `xml:"UserId"`
		} `xml:"LogonTrigger"`
		Boot *struct{ Delay string } `xml:"BootTrigger"`
	}
	Principal struct {
		UserID    string `xml:"UserId"`
		LogonType string
	} `xml:"Principals>Principal"`
	StartWhenAvailable bool   `xml:"Settings>StartWhenAvailable"`
	Command            string `xml:"Actions>Exec>Command"`
	Arguments          string `xml:"Actions>Exec>Arguments"`
}

func TestTaskXML(t *testing.T) {
	tests := []struct {
		name, ctx, user, wantUser string
		logon                     bool
		order                     string
	}{
		{"user runs at logon as the person", "user", `PC\Ann & Bob`, `PC\Ann & Bob`, true,
			"TimeTrigger[Enabled StartBoundary Repetition RandomDelay] LogonTrigger[Enabled UserId Delay]"},
		{"machine runs at boot as SYSTEM", "machine", "", "S-1-5-18", false,
			"TimeTrigger[Enabled StartBoundary Repetition RandomDelay] BootTrigger[Enabled Delay]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := pulseJob{context: tt.ctx, exe: `C:\Program Files\certdesk\certdesk.exe`} // a Windows path is not absolute on Linux
			raw := utf16LE(j.taskXML(tt.user))
			if raw[0] != 0xFF || raw[1] != 0xFE {
				t.Fatal("no UTF-16LE byte-order mark")
			}
			// Go's XML decoder reads UTF-8 only: decode the UTF-16 back
			// (which also tests utf16LE) and accept the declaration.
			dec := xml.NewDecoder(strings.NewReader(fromUTF16LE(raw[2:])))
			dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
			var doc taskDoc
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("task XML does not parse: %v", err)
			}
			if doc.Triggers.Time.Interval != "PT8H" || doc.Triggers.Time.RandomDelay != "PT30M" || !doc.StartWhenAvailable {
				t.Errorf("time trigger/settings = %+v, StartWhenAvailable %v", doc.Triggers.Time, doc.StartWhenAvailable)
			}
			if (doc.Triggers.Logon != nil) != tt.logon || (doc.Triggers.Boot != nil) == tt.logon {
				t.Errorf("logon trigger %v, boot trigger %v", doc.Triggers.Logon, doc.Triggers.Boot)
			}
			if tt.logon && doc.Triggers.Logon.UserID != tt.wantUser {
				t.Errorf("logon trigger user = %q", doc.Triggers.Logon.UserID)
			}
			if doc.Principal.UserID != tt.wantUser || doc.URI != j.taskPath() {
				t.Errorf("principal %q, URI %q", doc.Principal.UserID, doc.URI)
			}
			if got := triggerOrder(t, fromUTF16LE(raw[2:])); got != tt.order {
				t.Errorf("trigger element order %s, want the schema's %s", got, tt.order)
			}
			if doc.Command != j.exe || doc.Arguments != "pulse -context "+tt.ctx {
				t.Errorf("exec %q %q", doc.Command, doc.Arguments)
			}
		})
	}
}

func fromUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// triggerOrder lists each trigger's child elements in document order, to
// compare with the xs:sequence of [MS-TSCH] 2.5.3.
func triggerOrder(t *testing.T, doc string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var parts []string
	var path []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			path = append(path, tk.Name.Local)
			if len(path) == 3 && path[1] == "Triggers" {
				parts = append(parts, tk.Name.Local+"[")
			} else if len(path) == 4 && path[1] == "Triggers" {
				parts[len(parts)-1] += tk.Name.Local + " "
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i]) + "]"
	}
	return strings.Join(parts, " ")
}

func TestParseSchtasksList(t *testing.T) {
	tests := []struct {
		name        string
		out         string
		wantEnabled bool
		wantDetail  string
	}{
		{"enabled", "Folder: \\certdesk\r\nTaskName: \\certdesk\\certdesk-pulse-user\r\nNext Run Time: 11/25/2026 10:00:00 PM\r\nStatus: Ready\r\nScheduled Task State: Enabled\r\n", true, "next run 11/25/2026 10:00:00 PM"},
		{"disabled", "Next Run Time: N/A\r\nScheduled Task State: Disabled\r\n", false, "next run N/A"},
		{"localised listing", "Nächste Laufzeit: 25.11.2026 22:00:00\r\n", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enabled, detail := parseSchtasksList([]byte(tt.out))
			if enabled != tt.wantEnabled || detail != tt.wantDetail {
				t.Errorf("got %v %q, want %v %q", enabled, detail, tt.wantEnabled, tt.wantDetail)
			}
		})
	}
}

func TestSchedulerRejectsBadEnv(t *testing.T) {
	for _, env := range []string{"NOEQUALS", "=x", "A=b\nExecStart=/bin/evil"} {
		s := &Scheduler{Executable: "/usr/bin/certdesk", Dir: t.TempDir(), Env: []string{env}, Run: (&recorder{}).run}
		if _, err := s.Install(context.Background(), "user"); err == nil {
			t.Errorf("Env %q accepted", env)
		}
	}
}

// recorder is a CommandRunner that records each command and answers from
// a table keyed by the command's first words.
type recorder struct {
	calls   []string
	answers map[string]answer
}

type answer struct {
	out string
	err error
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	r.calls = append(r.calls, cmd)
	for prefix, a := range r.answers {
		if strings.HasPrefix(cmd, prefix) {
			return []byte(a.out), a.err
		}
	}
	return nil, nil
}
