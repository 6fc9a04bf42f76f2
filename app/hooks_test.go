package app

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/store"
)

// TestFailingHookKeepsTheRenewal: the files are written, the command
// fails, the failure is reported and recorded, the renewal stays.
func TestFailingHookKeepsTheRenewal(t *testing.T) {
	e := newEnv(t, envOpt{})
	ctx := context.Background()
	e.addServer(t, "")
	res := e.enroll(t, testca.TemplateShortLived)
	var ran []string
	c, err := New(Options{Location: e.core.Location(), Clock: e.clock, SystemRoots: x509.NewCertPool(),
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			ran = append(ran, name+" "+strings.Join(args, " "))
			return []byte("vpn: reload refused\n"), errors.New("exit status 3")
		}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := Hook{ChainFile: filepath.Join(dir, "chain.pem"), FullChainFile: filepath.Join(dir, "full.pem"), Mode: "0640",
		Command: []string{"systemctl", "reload", "vpn"}}
	if err := c.SetHook(ctx, store.User, res.Thumbprint, h); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(testca.DefaultShortValidity - testca.DefaultShortRenewal + time.Minute)
	rep, err := c.Pulse(ctx, store.User)
	if err != nil || rep.Failed != 0 || len(rep.Renewals) != 1 || rep.Renewals[0].Outcome != OutcomeOK {
		t.Fatalf("pulse %+v, %v: a failing hook must not fail the renewal", rep, err)
	}
	hr := rep.Renewals[0].Hooks
	if len(hr) != 1 || hr[0].OK || !strings.Contains(hr[0].Error, "reload refused") || len(ran) != 1 {
		t.Fatalf("hook result %+v, ran %q", hr, ran)
	}
	full, _ := os.ReadFile(h.FullChainFile)
	if n := strings.Count(string(full), "BEGIN CERTIFICATE"); n != 3 {
		t.Errorf("full chain has %d certificates, want leaf, issuing CA and the trusted root", n)
	}
	if b, _ := pem.Decode(full); b == nil {
		t.Error("full chain is not PEM")
	}
	if fi, _ := os.Stat(h.ChainFile); fi == nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("chain file %v", fi)
	}
	recs := e.history(t)
	if last := recs[len(recs)-1]; last.Action != ActionHook || last.Outcome != OutcomeFailed {
		t.Errorf("history ends with %+v", last)
	}
}

func TestSetHookRejects(t *testing.T) {
	c := newCore(t, t.TempDir(), SystemClock{}, 0)
	tests := []struct {
		name string
		h    Hook
		want string
	}{
		{"relative path", Hook{CertFile: "cert.pem"}, "absolute path"},
		{"bad mode", Hook{CertFile: "/tmp/x", Mode: "rw"}, "octal"},
		{"unknown certificate", Hook{CertFile: "/tmp/x"}, "no such entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.SetHook(context.Background(), store.User, strings.Repeat("AB", 20), tt.h)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestHandEditedHookRefused: a hook in a hand-edited hooks.json is
// checked as SetHook checks it before anything is written: a relative
// path (which pulse would resolve from wherever it runs) or a mode that
// is no octal permission (which left the key file at mode 0) fails the
// hook in one sentence, and no file is written.
func TestHandEditedHookRefused(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.addServer(t, "")
	res := e.enroll(t, "User")
	s, _ := e.core.Store(store.User)
	dir := t.TempDir()
	t.Chdir(dir)
	for _, h := range []Hook{
		{KeyFile: "key.pem"},
		{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), Mode: "rw"},
		{CertFile: filepath.Join(dir, "cert.pem"), Mode: "01777"},
	} {
		if err := updateConfigMap(s.Dir(), HooksFile, func(m map[string]Hook) { m[res.Thumbprint] = h }); err != nil {
			t.Fatal(err)
		}
		r, err := e.core.RunHook(context.Background(), store.User, res.Thumbprint)
		if err != nil || r.OK || r.Error == "" || strings.Contains(r.Error, "\n") {
			t.Errorf("%+v: %+v, %v; want the hook refused in one sentence", h, r, err)
		}
		if names, _ := os.ReadDir(dir); len(names) != 0 {
			t.Errorf("%+v wrote %v", h, names)
		}
	}
}
