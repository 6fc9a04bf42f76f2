package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certdesk/certdesk/store"
)

// SettingSource says where a setting's value comes from.
type SettingSource string

// The sources of a setting. SourceManaged is a value the administrator's
// managed file sets (Core.ListSettings, docs/managed.md): read-only.
const (
	SourceDefault SettingSource = "default" // nobody changed it
	SourcePerson  SettingSource = "person"  // differs from the default: the person chose it
	SourceManaged SettingSource = "managed"
)

// SettingInfo is one setting as "certdesk settings" and the GUI's settings
// tab list it. Its JSON form is the stable shape of "certdesk settings
// -json" (docs/monitoring.md).
type SettingInfo struct {
	Name        string        `json:"name"`
	Value       string        `json:"value"`
	Default     string        `json:"default"`
	Source      SettingSource `json:"source"`
	Description string        `json:"description"`
}

// settingDef names one field of Settings for the command line: how to
// show it (for a context) and how to parse a new value, which is the
// setting's one validation.
type settingDef struct {
	name, desc string
	show       func(s Settings, cx store.Context) string
	parse      func(s *Settings, v string) error
}

var settingDefs = []settingDef{
	{"checkInterval", "how often the running GUI and the OS job check for due certificates (15m to 168h)",
		func(s Settings, _ store.Context) string { return formatInterval(s.CheckInterval) },
		func(s *Settings, v string) (err error) { s.CheckInterval, err = ParseCheckInterval(v); return err }},
	{"renewalRatio", "share of the lifetime after which a certificate without a template renewal period is due (0.8 or 80%)",
		func(s Settings, _ store.Context) string { return strconv.FormatFloat(s.RenewalRatio, 'g', -1, 64) },
		func(s *Settings, v string) (err error) { s.RenewalRatio, err = ParseRenewalRatio(v); return err }},
	{"notifyDays", "days before expiry at which the person is told, such as 30,14,7,1, or none",
		func(s Settings, _ store.Context) string { return formatDays(s.NotifyDays) },
		func(s *Settings, v string) (err error) { s.NotifyDays, err = ParseNotifyDays(v); return err }},
	{"startInTray", "the GUI starts hidden in the system tray (true or false)",
		func(s Settings, _ store.Context) string { return strconv.FormatBool(s.StartInTray) },
		func(s *Settings, v string) (err error) { s.StartInTray, err = parseBool("startInTray", v); return err }},
	{"defaultContext", "the context the GUI shows first: user, machine or app:<id>",
		func(s Settings, _ store.Context) string { return s.DefaultContext },
		func(s *Settings, v string) error { s.DefaultContext = v; return checkDefaultContext(v) }},
	{"publishIssued", "add newly issued certificates to the operating system's own store (true or false)",
		func(s Settings, _ store.Context) string { return strconv.FormatBool(s.PublishIssued) },
		func(s *Settings, v string) (err error) {
			s.PublishIssued, err = parseBool("publishIssued", v)
			return err
		}},
	{"metricsDir", "directory where every pulse writes its Prometheus textfile, or off; default: " +
		defaultMachineMetricsDirWords + " for the machine context, off for the others",
		func(s Settings, cx store.Context) string { return orOff(s.MetricsDirFor(cx)) },
		func(s *Settings, v string) (err error) { s.MetricsDir, err = ParseMetricsDir(v); return err }},
	{"tpm", "the TPM keys may be kept in, as a tpm2-tss TCTI string such as device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321; empty for /dev/tpmrm0 (CERTDESK_TPM wins)",
		func(s Settings, _ store.Context) string { return s.TPM },
		func(s *Settings, v string) error { s.TPM = v; return CheckTPMSetting(v) }},
	{"pkcs11Module", "the PKCS#11 module (an absolute path) through which keys are kept on smart cards and tokens; empty for none (CERTDESK_PKCS11_MODULE wins)",
		func(s Settings, _ store.Context) string { return s.PKCS11Module },
		func(s *Settings, v string) error { s.PKCS11Module = v; return nil }},
	{"pkcs11Token", "the label of the token new keys are made on (CERTDESK_PKCS11_TOKEN wins)",
		func(s Settings, _ store.Context) string { return s.PKCS11Token },
		func(s *Settings, v string) error { s.PKCS11Token = v; return nil }},
	{"reenrollRevoked", "pulse enrolls a replacement with a new key for a revoked certificate autoenrollment keeps, and archives the revoked one (true or false)",
		func(s Settings, _ store.Context) string { return strconv.FormatBool(s.ReenrollRevoked) },
		func(s *Settings, v string) (err error) {
			s.ReenrollRevoked, err = parseBool("reenrollRevoked", v)
			return err
		}},
}

// SettingNames returns the names "certdesk settings set" takes, in order.
func SettingNames() []string {
	names := make([]string, len(settingDefs))
	for i, d := range settingDefs {
		names[i] = d.name
	}
	return names
}

// ListSettings describes every setting of s as it applies to context cx:
// value, default and source.
func ListSettings(s Settings, cx store.Context) []SettingInfo {
	def := DefaultSettings()
	out := make([]SettingInfo, len(settingDefs))
	for i, d := range settingDefs {
		v, dv := d.show(s, cx), d.show(def, cx)
		src := SourceDefault
		if v != dv || d.name == "metricsDir" && s.MetricsDir != "" {
			src = SourcePerson
		}
		out[i] = SettingInfo{Name: d.name, Value: v, Default: dv, Source: src, Description: d.desc}
	}
	return out
}

// ParseSetting returns s with setting name set to value, or s unchanged
// and a one-sentence error naming the setting and what it takes.
// The value "default" restores the default.
func ParseSetting(s Settings, name, value string) (Settings, error) {
	for _, d := range settingDefs {
		if d.name != name {
			continue
		}
		if value == "default" {
			value = d.show(DefaultSettings(), store.User)
			if name == "metricsDir" {
				value = ""
			}
		}
		next := s
		if err := d.parse(&next, strings.TrimSpace(value)); err != nil {
			return s, err
		}
		if err := next.Validate(); err != nil {
			return s, err
		}
		return next, nil
	}
	return s, fmt.Errorf("unknown setting %q: use %s", name, strings.Join(SettingNames(), ", "))
}

// IsSetting reports whether name is a setting of ParseSetting.
func IsSetting(name string) bool {
	for _, d := range settingDefs {
		if d.name == name {
			return true
		}
	}
	return false
}

// SetSetting changes one setting of the core and saves the settings; a bad
// value changes nothing.
func (c *Core) SetSetting(name, value string) error {
	s, err := ParseSetting(c.Settings(), name, value)
	if err != nil {
		return err
	}
	return c.SetSettings(s)
}

// ParseCheckInterval reads a check interval such as "8h" or "90m".
func ParseCheckInterval(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("check interval %q is not a duration: use, for example, 8h or 90m", v)
	}
	return d, checkCheckInterval(d)
}

// ParseRenewalRatio reads a renewal ratio as a fraction ("0.8") or a
// percentage ("80%").
func ParseRenewalRatio(v string) (float64, error) {
	num, pct := strings.CutSuffix(strings.TrimSpace(v), "%")
	r, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("renewal ratio %q is not a number: use, for example, 0.8 or 80%%", v)
	}
	if pct {
		r /= 100
	}
	return r, checkRenewalRatio(r)
}

// ParseNotifyDays reads notification days, "30,14,7,1" (commas or spaces,
// any order), as descending days without repeats; "none" or nothing is no
// notification. The GUI's "Tell me" field takes the same text.
func ParseNotifyDays(v string) ([]int, error) {
	days := []int{}
	if strings.TrimSpace(v) == "none" {
		return days, nil
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		d, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("notification day %q is not a whole number: use, for example, 30,14,7,1 or none", f)
		}
		days = append(days, d)
	}
	slices.Sort(days)
	slices.Reverse(days)
	days = slices.Compact(days)
	return days, checkNotifyDays(days)
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s %q is not a yes or no: use true or false", name, v)
}

// formatInterval writes d without trailing zero units: "8h", "1h30m".
func formatInterval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func orOff(dir string) string {
	if dir == "" {
		return MetricsOff
	}
	return dir
}

// MetricsOff is the metricsDir setting that writes no metrics file.
const MetricsOff = "off"

// defaultMachineMetricsDir is node_exporter's textfile directory as
// Debian's prometheus-node-exporter package sets it (--collector.textfile
// .directory): where the machine context's pulse writes unless told
// otherwise. Elsewhere there is no convention, so no default.
var defaultMachineMetricsDir = map[bool]string{true: "/var/lib/prometheus/node-exporter"}[runtime.GOOS == "linux"]

// defaultMachineMetricsDirWords names it in the setting's description.
var defaultMachineMetricsDirWords = orOff(defaultMachineMetricsDir)

// MetricsDirFor returns the directory where pulses of cx write their
// metrics, or "" for none: the metricsDir setting, else for the machine
// context node_exporter's textfile directory (on Linux), else none.
func (s Settings) MetricsDirFor(cx store.Context) string {
	switch {
	case s.MetricsDir == MetricsOff:
		return ""
	case s.MetricsDir != "":
		return s.MetricsDir
	case cx == store.Machine:
		return defaultMachineMetricsDir
	}
	return ""
}

// ParseMetricsDir reads the metricsDir setting: "off", an absolute
// directory, or "" for the default.
func ParseMetricsDir(v string) (string, error) {
	return v, checkMetricsDir(v)
}

func checkMetricsDir(v string) error {
	switch {
	case v == "" || v == MetricsOff:
		return nil
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return errors.New("metrics directory contains a control character")
	case !filepath.IsAbs(v):
		return fmt.Errorf("metrics directory %q is not an absolute path: give one, or off", v)
	}
	return nil
}
