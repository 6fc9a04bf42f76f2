package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// Defaults of the settings not already defined next to the code they tune
// (DefaultRenewalRatio, DefaultNotifyDays).
const (
	// DefaultCheckInterval is how often the running GUI checks for due
	// certificates, and the OS job runs pulse: Windows autoenrollment's 8h.
	DefaultCheckInterval = 8 * time.Hour
	// DefaultStartInTray: the GUI opens its window at start-up.
	DefaultStartInTray = false
	// DefaultContext is the context the GUI and CLI show first.
	DefaultContext = "user"
)

// Bounds of the check interval: Validate rejects, LoadSettings ignores
// values outside them.
const (
	minCheckInterval = 15 * time.Minute
	maxCheckInterval = 7 * 24 * time.Hour
)

// Preference keys. They are part of the saved format: do not rename.
const (
	prefCheckInterval  = "checkIntervalMinutes"
	prefRenewalRatio   = "renewalRatio"
	prefNotifyDays     = "notifyDays"
	prefStartInTray    = "startInTray"
	prefDefaultContext = "defaultContext"
	prefPublishIssued  = "publishIssued"   // "on", "off"; unset means the default
	prefMetricsDir     = "metricsDir"      // MetricsOff, an absolute path; unset means the default
	prefTPM            = "tpm"             // a tpm2-tss TCTI string; unset means /dev/tpmrm0
	prefPKCS11Module   = "pkcs11Module"    // an absolute path; unset means none configured
	prefPKCS11Token    = "pkcs11Token"     // a token label
	prefReenroll       = "reenrollRevoked" // "on", "off"; unset means the default
)

// Prefs is where settings persist: a method subset of fyne.Preferences, so
// the GUI passes fyneApp.Preferences() and the core never imports Fyne. A
// missing key reads as the zero value, as in Fyne.
type Prefs interface {
	String(key string) string
	SetString(key, value string)
	Bool(key string) bool
	SetBool(key string, value bool)
	Int(key string) int
	SetInt(key string, value int)
	Float(key string) float64
	SetFloat(key string, value float64)
}

// Settings are the person's choices that shape renewal and the GUI.
type Settings struct {
	// CheckInterval between renewal checks while the GUI runs.
	CheckInterval time.Duration
	// RenewalRatio of the lifetime after which a certificate without a
	// template renewal period is due.
	RenewalRatio float64
	// NotifyDays before expiry at which the person is told; empty for never.
	NotifyDays []int
	// StartInTray starts the GUI hidden in the system tray.
	StartInTray bool
	// DefaultContext shown first: "user", "machine" or "app:<id>".
	DefaultContext string
	// PublishIssued adds each newly issued certificate of the user and
	// machine contexts, with its key, to the operating system's own store
	// (Windows, macOS; see Core.Publish), where Edge, Chrome, Safari, mail
	// and VPN clients look. Renewals follow whatever was published.
	PublishIssued bool
	// MetricsDir is where every pulse writes its Prometheus textfile
	// (MetricsFileName): "" for each context's default (MetricsDirFor),
	// MetricsOff for none, or an absolute directory.
	MetricsDir string
	// TPM is the TCTI string of the TPM keys may be kept in
	// (CERTDESK_TPM wins); "" for the default device, /dev/tpmrm0.
	TPM string
	// PKCS11Module is the PKCS#11 module keys on tokens are reached
	// through (CERTDESK_PKCS11_MODULE wins); "" for none.
	PKCS11Module string
	// PKCS11Token is the label of the token new keys are made on
	// (CERTDESK_PKCS11_TOKEN wins).
	PKCS11Token string
	// ReenrollRevoked: pulse enrolls a replacement, with a new key, for a
	// revoked certificate of a template autoenrollment enrolls, and
	// archives the revoked one (revocation.go). Off, a revoked
	// certificate is reported and stays.
	ReenrollRevoked bool
}

// DefaultSettings returns the settings of a fresh install.
func DefaultSettings() Settings {
	return Settings{
		CheckInterval:  DefaultCheckInterval,
		RenewalRatio:   DefaultRenewalRatio,
		NotifyDays:     DefaultNotifyDays(),
		StartInTray:    DefaultStartInTray,
		DefaultContext: DefaultContext,
		PublishIssued:  nativeOS,
		// Autoenrollment keeps a usable certificate of each template;
		// a revoked one is not.
		ReenrollRevoked: true,
	}
}

// RenewalWindow returns the renewal policy these settings describe.
func (s Settings) RenewalWindow() RenewalWindow {
	p := DefaultRenewalWindow()
	p.Ratio = s.RenewalRatio
	return p
}

// Validate reports the first setting out of range, as a sentence for the
// settings form. Each setting has one check, which ParseSetting uses too.
func (s Settings) Validate() error {
	return firstErr(checkCheckInterval(s.CheckInterval), checkRenewalRatio(s.RenewalRatio),
		checkDefaultContext(s.DefaultContext), checkNotifyDays(s.NotifyDays), checkMetricsDir(s.MetricsDir),
		CheckTPMSetting(s.TPM), checkPKCS11Module(s.PKCS11Module), checkKeyStorageSetting("pkcs11Token", s.PKCS11Token))
}

// validateInForce is Validate, except that a check interval equal to
// inForce, the one the core runs with, passes: an interval the program
// set outside the person's range (the demo's 30 seconds) stays in force
// while the person changes other settings. A new interval is checked.
func (s Settings) validateInForce(inForce time.Duration) error {
	if inForce > 0 && s.CheckInterval == inForce {
		s.CheckInterval = DefaultCheckInterval
	}
	return s.Validate()
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func checkCheckInterval(d time.Duration) error {
	if d < minCheckInterval || d > maxCheckInterval {
		return fmt.Errorf("check interval %v is out of range: use %v to %v", d, minCheckInterval, maxCheckInterval)
	}
	return nil
}

func checkRenewalRatio(r float64) error {
	if !(r > 0 && r < 1) {
		return fmt.Errorf("renewal ratio %g is out of range: use a number between 0 and 1, such as 0.8", r)
	}
	return nil
}

func checkDefaultContext(c string) error {
	if c == "" {
		return errors.New("default context is empty")
	}
	if _, err := store.ParseContext(c); err != nil {
		return fmt.Errorf("default context: %w", err)
	}
	return nil
}

func checkNotifyDays(days []int) error {
	for _, d := range days {
		if d < 1 || d > 366 {
			return fmt.Errorf("notification day %d is out of range: use 1 to 366", d)
		}
	}
	return nil
}

// LoadSettings reads the settings from p. Missing or invalid values take
// their default, one by one, so a hand-edited bad value cannot stop the GUI.
func LoadSettings(p Prefs) Settings {
	s := DefaultSettings()
	if d := time.Duration(p.Int(prefCheckInterval)) * time.Minute; d >= minCheckInterval && d <= maxCheckInterval {
		s.CheckInterval = d
	}
	if r := p.Float(prefRenewalRatio); r > 0 && r < 1 {
		s.RenewalRatio = r
	}
	if days, ok := parseDays(p.String(prefNotifyDays)); ok {
		s.NotifyDays = days
	}
	s.StartInTray = p.Bool(prefStartInTray)
	if c := p.String(prefDefaultContext); checkDefaultContext(c) == nil {
		s.DefaultContext = c
	}
	switch p.String(prefPublishIssued) {
	case "on":
		s.PublishIssued = true
	case "off":
		s.PublishIssued = false
	}
	switch p.String(prefReenroll) {
	case "on":
		s.ReenrollRevoked = true
	case "off":
		s.ReenrollRevoked = false
	}
	if d := p.String(prefMetricsDir); checkMetricsDir(d) == nil {
		s.MetricsDir = d
	}
	if v := p.String(prefTPM); CheckTPMSetting(v) == nil {
		s.TPM = v
	}
	if v := p.String(prefPKCS11Module); checkPKCS11Module(v) == nil {
		s.PKCS11Module = v
	}
	if v := p.String(prefPKCS11Token); checkKeyStorageSetting("pkcs11Token", v) == nil {
		s.PKCS11Token = v
	}
	return s
}

// Save writes s to p. It does not validate: call Validate first.
func (s Settings) Save(p Prefs) {
	p.SetInt(prefCheckInterval, int(s.CheckInterval/time.Minute))
	p.SetFloat(prefRenewalRatio, s.RenewalRatio)
	p.SetString(prefNotifyDays, formatDays(s.NotifyDays))
	p.SetBool(prefStartInTray, s.StartInTray)
	p.SetString(prefDefaultContext, s.DefaultContext)
	p.SetString(prefPublishIssued, onOff(s.PublishIssued))
	p.SetString(prefMetricsDir, s.MetricsDir)
	p.SetString(prefTPM, s.TPM)
	p.SetString(prefPKCS11Module, s.PKCS11Module)
	p.SetString(prefPKCS11Token, s.PKCS11Token)
	p.SetString(prefReenroll, onOff(s.ReenrollRevoked))
}

// onOff is how a boolean setting whose default may be true is saved: an
// unset key (Fyne's false) must still read as the default.
func onOff(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }

// formatDays writes days as "30,14,7,1", or "none" for an empty list (the
// empty string means "not set", hence the default).
func formatDays(days []int) string {
	if len(days) == 0 {
		return "none"
	}
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ",")
}

// parseDays reads formatDays' output; ok is false for unset or bad input.
func parseDays(s string) (days []int, ok bool) {
	switch s {
	case "":
		return nil, false
	case "none":
		return []int{}, true
	}
	for _, f := range strings.Split(s, ",") {
		d, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || d < 1 || d > 366 {
			return nil, false
		}
		days = append(days, d)
	}
	return days, true
}

// FilePrefs is a Prefs kept in a JSON file, for the command line, which
// has no Fyne app to hold preferences. Set methods change memory only;
// Save writes the file atomically. It is safe for concurrent use.
type FilePrefs struct {
	path   string
	mu     sync.Mutex
	values map[string]any
}

var _ Prefs = (*FilePrefs)(nil)

// OpenFilePrefs reads the preferences file at path; a missing file is empty
// preferences. A damaged file is reported, with empty preferences that
// save over it, so settings chosen now are not lost with it.
func OpenFilePrefs(path string) (*FilePrefs, error) {
	p := &FilePrefs{path: path, values: map[string]any{}}
	data, err := atomicfile.ReadOwned(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read preferences: %w", err)
	}
	if err := json.Unmarshal(data, &p.values); err != nil {
		p.values = map[string]any{}
		return p, fmt.Errorf("read preferences %s: %w", path, err)
	}
	return p, nil
}

// Save writes the preferences to their file (temp file, fsync, rename).
func (p *FilePrefs) Save() error {
	p.mu.Lock()
	data, err := json.MarshalIndent(p.values, "", "  ")
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode preferences: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	if err := atomicfile.Write(p.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save preferences %s: %w", p.path, err)
	}
	return nil
}

func (p *FilePrefs) get(key string) any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.values[key]
}

func (p *FilePrefs) set(key string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.values[key] = v
}

// String returns the string at key, or "".
func (p *FilePrefs) String(key string) string { s, _ := p.get(key).(string); return s }

// SetString sets key to value.
func (p *FilePrefs) SetString(key, value string) { p.set(key, value) }

// Bool returns the bool at key, or false.
func (p *FilePrefs) Bool(key string) bool { b, _ := p.get(key).(bool); return b }

// SetBool sets key to value.
func (p *FilePrefs) SetBool(key string, value bool) { p.set(key, value) }

// Int returns the integer at key, or 0.
func (p *FilePrefs) Int(key string) int { return int(p.Float(key)) }

// SetInt sets key to value.
func (p *FilePrefs) SetInt(key string, value int) { p.set(key, float64(value)) }

// Float returns the number at key, or 0. Numbers are float64 once read back
// from JSON, so ints are stored as float64 from the start.
func (p *FilePrefs) Float(key string) float64 { f, _ := p.get(key).(float64); return f }

// SetFloat sets key to value.
func (p *FilePrefs) SetFloat(key string, value float64) { p.set(key, value) }
