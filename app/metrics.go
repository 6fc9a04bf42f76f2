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
	"github.com/certdesk/certdesk/store"
)

// MetricsFileName returns the name of context cx's metrics file,
// "certdesk_<context>.prom" with the app id's characters outside
// [A-Za-z0-9_-] as "_", so contexts sharing a directory do not collide
// and node_exporter (which reads *.prom) never sees a temporary file.
func MetricsFileName(cx store.Context) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, string(cx))
	return "certdesk_" + name + ".prom"
}

// Pulse checks context cx now (see pulse) and then writes the metrics
// file of cx, if its metricsDir is set (writeMetrics). A pulse that
// succeeded but whose metrics could not be written returns its report
// with that error.
func (c *Core) Pulse(ctx context.Context, cx store.Context) (*PulseReport, error) {
	rep, err := c.pulse(ctx, cx)
	if merr := c.writeMetrics(ctx, cx, rep, err); merr != nil && err == nil {
		return rep, merr
	}
	return rep, err
}

// writeMetrics writes the Prometheus textfile of cx into its metrics
// directory, atomically, after a pulse that returned rep and perr. The
// machine context's default directory is skipped while it does not exist
// (node_exporter not installed); a directory the person chose must exist.
func (c *Core) writeMetrics(ctx context.Context, cx store.Context, rep *PulseReport, perr error) error {
	st := c.settingsFor(cx)
	dir := st.MetricsDirFor(cx)
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if errors.Is(err, fs.ErrNotExist) && st.MetricsDir == "" {
			return nil
		}
		return fmt.Errorf("write metrics: %s is not a directory (the metricsDir setting)", dir)
	}
	health, herr := c.Health(ctx, cx, DefaultHealthOptions())
	m := Metrics{Context: cx, Time: c.clock.Now(), Pulse: rep, PulseErr: perr, Health: health}
	if rep != nil {
		m.Time = rep.Time
	}
	if herr != nil {
		m.Health = nil
	}
	path := filepath.Join(dir, MetricsFileName(cx))
	if err := atomicfile.Write(path, m.Text(), 0o644); err != nil {
		return fmt.Errorf("write metrics %s: %w", path, err)
	}
	return nil
}

// Metrics is one context's state as a Prometheus textfile.
type Metrics struct {
	Context store.Context
	Time    time.Time // of the pulse
	// Pulse and PulseErr are what the pulse returned; Pulse may be nil.
	Pulse    *PulseReport
	PulseErr error
	// Health is nil when the stores could not be read.
	Health *HealthReport
}

// Text returns m in the Prometheus text exposition format (version
// 0.0.4), as node_exporter's textfile collector reads it: names with the
// certdesk_ prefix and base units (seconds), every label value escaped.
// docs/monitoring.md lists the metrics.
func (m Metrics) Text() []byte {
	var b strings.Builder
	cx := label("context", string(m.Context))
	success := 0
	if m.PulseErr == nil && m.Pulse != nil && m.Pulse.Failed == 0 {
		success = 1
	}
	metric(&b, "certdesk_pulse_last_run_timestamp_seconds", "When the last pulse of the context ran, as a Unix time.")
	sample(&b, "certdesk_pulse_last_run_timestamp_seconds", cx, float64(m.Time.UnixMilli())/1000)
	metric(&b, "certdesk_pulse_last_success", "1 if the last pulse ran and no renewal, poll or enrollment of it failed, else 0.")
	sample(&b, "certdesk_pulse_last_success", cx, float64(success))
	readable := 0
	if m.Health != nil {
		readable = 1
	}
	metric(&b, "certdesk_stores_readable", "1 if the context's stores could be read when the metrics were written, else 0.")
	sample(&b, "certdesk_stores_readable", cx, float64(readable))
	if m.Health == nil {
		return []byte(b.String())
	}
	h := m.Health
	metric(&b, "certdesk_status", "The context's health as a monitoring-plugin level: 0 OK, 1 WARNING, 2 CRITICAL (certdesk status, default thresholds).")
	sample(&b, "certdesk_status", cx, float64(h.Level))
	metric(&b, "certdesk_certificates", "Certificates in the context's My store.")
	sample(&b, "certdesk_certificates", cx, float64(h.Certificates))
	ids := make([]string, len(h.Entries))
	for i, e := range h.Entries {
		ids[i] = cx + "," + label("store", e.Store) + "," + label("thumbprint", e.Thumbprint)
	}
	metric(&b, "certdesk_certificate_not_after_timestamp_seconds", "When the certificate expires (its NotAfter), as a Unix time.")
	for i, e := range h.Entries {
		sample(&b, "certdesk_certificate_not_after_timestamp_seconds",
			ids[i]+","+label("subject", e.Subject)+","+label("template", e.Template), float64(e.NotAfter.Unix()))
	}
	metric(&b, "certdesk_certificate_info", "Constant 1; the labels say where the certificate's key lives and its revocation status.")
	for i, e := range h.Entries {
		sample(&b, "certdesk_certificate_info",
			ids[i]+","+label("key_storage", e.KeyStorage)+","+label("revocation", strings.ReplaceAll(e.Revocation, " ", "_")), 1)
	}
	metric(&b, "certdesk_certificate_status", "The certificate's health: 0 OK, 1 WARNING, 2 CRITICAL (default thresholds).")
	for i, e := range h.Entries {
		sample(&b, "certdesk_certificate_status", ids[i], float64(e.Level))
	}
	metric(&b, "certdesk_renewal_failures", "Consecutive failed renewals of the certificate; permanent=\"true\" when no automatic retry follows.")
	for i, e := range h.Entries {
		sample(&b, "certdesk_renewal_failures", ids[i]+","+label("permanent", strconv.FormatBool(e.RenewalPermanent)), float64(e.RenewalFailures))
	}
	return []byte(b.String())
}

// metric writes the HELP and TYPE lines of a gauge; help is certdesk's
// own text, without backslashes or newlines to escape.
func metric(b *strings.Builder, name, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

func sample(b *strings.Builder, name, labels string, v float64) {
	fmt.Fprintf(b, "%s{%s} %s\n", name, labels, strconv.FormatFloat(v, 'f', -1, 64))
}

// labelEscaper escapes a label value per the exposition format: backslash,
// double quote and line feed.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// label writes name="value", the value made valid UTF-8 and escaped.
func label(name, value string) string {
	return name + `="` + labelEscaper.Replace(strings.ToValidUTF8(value, "\uFFFD")) + `"`
}
