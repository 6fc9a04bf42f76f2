package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/store"
)

func TestLabelEscaping(t *testing.T) {
	if got, want := label("subject", "a\\b\"c\nd\xff"), `subject="a\\b\"c\nd`+"\uFFFD"+`"`; got != want {
		t.Errorf("label = %s, want %s", got, want)
	}
}

func TestMetricsFileName(t *testing.T) {
	for cx, want := range map[store.Context]string{store.User: "certdesk_user.prom", store.Machine: "certdesk_machine.prom",
		"app:com.example/x": "certdesk_app_com_example_x.prom"} {
		if got := MetricsFileName(cx); got != want {
			t.Errorf("%s: %s, want %s", cx, got, want)
		}
	}
}

// promtool runs "promtool check metrics" on data. It skips without
// promtool (Debian's prometheus package), except under CI, which installs it
// (scripts/setup-debian.sh).
func promtool(t *testing.T, data []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found; scripts/setup-debian.sh installs it (Debian package prometheus)")
		}
		t.Skip("promtool not found: apt-get install prometheus to check the metrics file")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(string(data))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\n--- file:\n%s", err, out, data)
	}
}

func TestPulseWritesMetrics(t *testing.T) {
	f := newHealthFix(t)
	dir := t.TempDir()
	s := f.core.Settings()
	s.MetricsDir = dir
	if err := f.core.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	hostile := "evil\"} 1\nforged_metric 1\n\\"
	tp := f.add(t, hostile, 20*day, true, store.Meta{TemplateName: `Web"Server\`})
	failing := f.add(t, "web02", 200*day, false, store.Meta{})
	f.setRetry(t, map[string]RetryState{failing: {Failures: 3, Permanent: true, LastError: "denied"}})

	rep, err := f.core.Pulse(context.Background(), store.User)
	if err != nil || rep == nil {
		t.Fatal(rep, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "certdesk_user.prom"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		`certdesk_pulse_last_run_timestamp_seconds{context="user"} ` + strconv.FormatInt(f.clock.Now().Unix(), 10) + "\n",
		`certdesk_pulse_last_success{context="user"} 1`,
		`certdesk_status{context="user"} 2`,
		`certdesk_certificates{context="user"} 2`,
		`certdesk_certificate_not_after_timestamp_seconds{context="user",store="My",thumbprint="` + tp + `",subject="CN=evil\\\"} 1\nforged_metric 1\n\\\\",template="Web\"Server\\"} `,
		`certdesk_renewal_failures{context="user",store="My",thumbprint="` + failing + `",permanent="true"} 3`,
		`certdesk_certificate_info{context="user",store="My",thumbprint="` + failing + `",key_storage="none",revocation="not_checked"} 1`,
		`certdesk_certificate_status{context="user",store="My",thumbprint="` + tp + `"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s\n%s", want, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "forged_metric") {
			t.Errorf("a subject forged a line: %q", line)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the metrics directory holds %d files, want only the .prom file", len(ents))
	}
	if st, _ := os.Stat(filepath.Join(dir, "certdesk_user.prom")); runtime.GOOS != "windows" && st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v: node_exporter must be able to read it", st.Mode())
	}
	promtool(t, data)
}

func TestPulseMetricsDirs(t *testing.T) {
	ctx := context.Background()
	t.Run("user default off", func(t *testing.T) {
		f := newHealthFix(t)
		if _, err := f.core.Pulse(ctx, store.User); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("machine default dir missing is skipped", func(t *testing.T) {
		f := newHealthFix(t)
		old := defaultMachineMetricsDir
		defaultMachineMetricsDir = filepath.Join(t.TempDir(), "node-exporter")
		defer func() { defaultMachineMetricsDir = old }()
		if _, err := f.core.Pulse(ctx, store.Machine); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(defaultMachineMetricsDir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the default directory was created: %v", err)
		}
	})
	t.Run("machine default dir present is written", func(t *testing.T) {
		f := newHealthFix(t)
		old := defaultMachineMetricsDir
		defaultMachineMetricsDir = t.TempDir()
		defer func() { defaultMachineMetricsDir = old }()
		if _, err := f.core.Pulse(ctx, store.Machine); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(defaultMachineMetricsDir, "certdesk_machine.prom"))
		if err != nil || !strings.Contains(string(data), `certdesk_certificates{context="machine"} 0`) {
			t.Fatalf("%v\n%s", err, data)
		}
		promtool(t, data)
	})
	t.Run("chosen dir missing is an error after the pulse", func(t *testing.T) {
		f := newHealthFix(t)
		s := f.core.Settings()
		s.MetricsDir = filepath.Join(t.TempDir(), "absent")
		if err := f.core.SetSettings(s); err != nil {
			t.Fatal(err)
		}
		rep, err := f.core.Pulse(ctx, store.User)
		if rep == nil || err == nil || !strings.Contains(err.Error(), "metricsDir") {
			t.Fatalf("rep %v, err %v: want the report and an error naming the setting", rep, err)
		}
	})
}
