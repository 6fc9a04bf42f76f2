package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// importLeft imports a self-signed certificate named cn that ends left
// from now (no key) into the user context's My.
func importLeft(t *testing.T, cn string, left time.Duration) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(min(left, 0) - 48*time.Hour), NotAfter: now.Add(left)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "c.cer")
	if err := os.WriteFile(p, der, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCLIStdin(t, "", "store", "import", "-store", "My", p); code != 0 {
		t.Fatal(e)
	}
}

// oneStatusLine checks the plugin output: exactly one line, starting with
// want, with one "|" before the perfdata.
func oneStatusLine(t *testing.T, out, want string) {
	t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, want) {
		t.Fatalf("output %q, want one line starting %q", out, want)
	}
	if strings.HasPrefix(want, "CERTDESK UNKNOWN") {
		return
	}
	if strings.Count(out, "|") != 1 {
		t.Errorf("output %q: the perfdata separator must appear once", out)
	}
}

const day = 24 * time.Hour

func TestStatusExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		certs map[string]time.Duration
		args  []string
		code  int
		want  string
	}{
		{"no certificates", nil, nil, 0, "CERTDESK OK - No certificates | certificates=0;;;0 warning=0;;;0 critical=0;;;0\n"},
		{"all fine", map[string]time.Duration{"a": 200 * day, "b": 100 * day}, nil, 0, "CERTDESK OK - All 2 certificates are fine | "},
		{"warning", map[string]time.Duration{"web01": 20*day + time.Hour, "b": 100 * day}, nil, 1,
			`CERTDESK WARNING - 1 of 2 certificates needs attention: "web01" expires in 20 days | certificates=2;;;0 warning=1;;;0 critical=0;;;0 expiry=`},
		{"critical", map[string]time.Duration{"web01": 3*day + time.Hour}, nil, 2, `CERTDESK CRITICAL - 1 of 1 certificate needs attention: "web01" expires in 3 days | `},
		{"expired", map[string]time.Duration{"old": -5*day - time.Hour}, nil, 2, `CERTDESK CRITICAL - 1 of 1 certificate needs attention: "old" expired 5 days ago | `},
		{"narrower warning", map[string]time.Duration{"web01": 20 * day}, []string{"-warn-days", "10"}, 0, "CERTDESK OK - "},
		{"wider critical", map[string]time.Duration{"web01": 20 * day}, []string{"-crit-days", "21"}, 2, "CERTDESK CRITICAL - "},
		{"crit 0: only expired", map[string]time.Duration{"web01": 2 * day}, []string{"-crit-days", "0"}, 1, "CERTDESK WARNING - "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setupRoot(t)
			for cn, left := range tt.certs {
				importLeft(t, cn, left)
			}
			out, errs, code := runCLI(t, append([]string{"status"}, tt.args...)...)
			if code != tt.code || errs != "" {
				t.Fatalf("exit %d (want %d), stderr %q, out %q", code, tt.code, errs, out)
			}
			oneStatusLine(t, out, tt.want)
		})
	}
}

func TestStatusPerfdataExpiry(t *testing.T) {
	setupRoot(t)
	importLeft(t, "web01", 20*day)
	out, _, _ := runCLI(t, "status", "-warn-days", "25", "-crit-days", "5")
	_, perf, _ := strings.Cut(out, " | ")
	if !strings.Contains(perf, ";2160000:;432000:\n") || !strings.Contains(perf, " expiry=17279") && !strings.Contains(perf, " expiry=17280") {
		t.Errorf("perfdata %q: want expiry≈1728000s with thresholds 2160000: and 432000:", perf)
	}
}

func TestStatusUnknown(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad flag", []string{"-warn-days", "x"}, "CERTDESK UNKNOWN - bad usage"},
		{"argument", []string{"extra"}, "CERTDESK UNKNOWN - status takes no arguments"},
		{"crit over warn", []string{"-warn-days", "5", "-crit-days", "9"}, "CERTDESK UNKNOWN - -crit-days 9 exceeds -warn-days 5"},
		{"negative", []string{"-crit-days", "-1"}, "CERTDESK UNKNOWN - -warn-days 30 and -crit-days -1"},
		{"bad context", []string{"-context", "nobody"}, "CERTDESK UNKNOWN - store: unknown context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setupRoot(t)
			out, _, code := runCLI(t, append([]string{"status"}, tt.args...)...)
			if code != 3 {
				t.Fatalf("exit %d, want 3 (UNKNOWN), out %q", code, out)
			}
			oneStatusLine(t, out, tt.want)
		})
	}
	t.Run("stores unreadable", func(t *testing.T) {
		root := setupRoot(t)
		importLeft(t, "web01", 100*day)
		// The user context's directory replaced by a file.
		if err := os.RemoveAll(filepath.Join(root, "user")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "user"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _, code := runCLI(t, "status")
		if code != 3 {
			t.Fatalf("exit %d, want 3, out %q", code, out)
		}
		oneStatusLine(t, out, "CERTDESK UNKNOWN - the user stores cannot be read: ")
		out, _, code = runCLI(t, "status", "-json")
		var v struct{ Level, Error string }
		if code != 3 || json.Unmarshal([]byte(out), &v) != nil || v.Level != "UNKNOWN" || v.Error == "" {
			t.Errorf("-json: exit %d, %q", code, out)
		}
	})
}

func TestStatusHostileName(t *testing.T) {
	setupRoot(t)
	importLeft(t, "evil | forged=1\nCERTDESK OK - \x1b[2J", 2*day)
	out, _, code := runCLI(t, "status")
	if code != 2 {
		t.Fatalf("exit %d, out %q", code, out)
	}
	oneStatusLine(t, out, "CERTDESK CRITICAL - ")
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `"evil ¦ forged=1\nCERTDESK OK - \x1b[2J" expires`) {
		t.Errorf("hostile name not shown escaped: %q", out)
	}
}

func TestStatusJSONShape(t *testing.T) {
	setupRoot(t)
	importLeft(t, "web01", 20*day)
	out, _, code := runCLI(t, "status", "-json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"context", "time", "level", "warnDays", "critDays", "certificates", "warning", "critical", "attention", "entries"} {
		if _, ok := v[k]; !ok {
			t.Errorf("status -json lacks %q: %s", k, out)
		}
	}
	if v["level"] != "WARNING" {
		t.Errorf("level %v", v["level"])
	}
	e := v["entries"].([]any)[0].(map[string]any)
	for _, k := range []string{"store", "thumbprint", "name", "subject", "notAfter", "level", "reasons", "keyStorage", "revocation", "renewalFailures"} {
		if _, ok := e[k]; !ok {
			t.Errorf("entry lacks %q: %v", k, e)
		}
	}
}
