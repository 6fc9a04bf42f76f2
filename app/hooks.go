package app

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// HooksFile is the name of the deploy hooks inside a context's directory.
const HooksFile = "hooks.json"

// Hook is a certbot-style deploy hook of one certificate: after each
// renewal the new certificate, its chain and its key are written as PEM to
// the chosen files (any may be empty) with Mode, then Command runs. It
// follows the certificate from renewal to renewal. Its JSON form is the
// shape of hooks.json and "certdesk hook list -json".
type Hook struct {
	CertFile      string   `json:"certFile,omitempty"`
	ChainFile     string   `json:"chainFile,omitempty"`     // intermediates (and root, if in the store)
	FullChainFile string   `json:"fullChainFile,omitempty"` // certificate then chain
	KeyFile       string   `json:"keyFile,omitempty"`       // unencrypted PKCS#8; a TPM key as a TSS2 PRIVATE KEY
	Mode          string   `json:"mode,omitempty"`          // octal, default 0600
	Command       []string `json:"command,omitempty"`       // argv, run without a shell
}

// HookRun is the result of running one hook.
type HookRun struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// SetHook sets (or with a zero Hook removes) the deploy hook of the
// certificate thumbprint in My of cx.
func (c *Core) SetHook(ctx context.Context, cx store.Context, thumbprint string, h Hook) error {
	if _, err := h.check(); err != nil {
		return err
	}
	s, err := c.Store(cx)
	if err != nil {
		return err
	}
	if _, err := s.Get(ctx, store.My, thumbprint); err != nil {
		return err
	}
	tx, err := s.Lock(ctx)
	if err != nil {
		return err
	}
	defer tx.Unlock()
	return c.updateHooks(s, func(m map[string]Hook) {
		if h.CertFile == "" && h.ChainFile == "" && h.FullChainFile == "" && h.KeyFile == "" && len(h.Command) == 0 {
			delete(m, thumbprint)
		} else {
			m[thumbprint] = h
		}
	})
}

// check is the one check of a hook, SetHook's and, for a hand-edited
// hooks.json, deploy's: absolute file paths and an octal permission. It
// returns the files' mode, 0600 by default: the key file is the private
// key in clear, and a VPN client usually runs as the same user or root.
func (h Hook) check() (fs.FileMode, error) {
	for _, f := range []string{h.CertFile, h.ChainFile, h.FullChainFile, h.KeyFile} {
		if f != "" && !filepath.IsAbs(f) {
			return 0, fmt.Errorf("hook file %q must be an absolute path (pulse runs from any directory)", f)
		}
	}
	if h.Mode == "" {
		return 0o600, nil
	}
	return parseMode(h.Mode)
}

// Hooks returns the deploy hooks of cx by thumbprint.
func (c *Core) Hooks(cx store.Context) (map[string]Hook, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return readHooks(s)
}

// RunHook deploys certificate thumbprint of My now with its hook.
func (c *Core) RunHook(ctx context.Context, cx store.Context, thumbprint string) (HookRun, error) {
	s, err := c.Store(cx)
	if err != nil {
		return HookRun{}, err
	}
	hooks, err := readHooks(s)
	if err != nil {
		return HookRun{}, err
	}
	h, ok := hooks[thumbprint]
	if !ok {
		return HookRun{}, fmt.Errorf("certificate %s has no deploy hook", thumbprint)
	}
	r := HookRun{OK: true}
	if err := c.deploy(ctx, s, thumbprint, h); err != nil {
		r = HookRun{Error: err.Error()}
	}
	return r, nil
}

// runHooks moves the hook of a renewed certificate to its successor and
// runs it. A failing hook is reported (history, result) and the renewal
// kept: the certificate is valid, only its copy elsewhere is stale.
func (c *Core) runHooks(ctx context.Context, s *store.Store, old string, ne store.Entry) []HookRun {
	hooks, err := readHooks(s)
	h, ok := hooks[old]
	if err != nil || !ok {
		return nil
	}
	r := HookRun{OK: true}
	err = c.updateHooks(s, func(m map[string]Hook) { delete(m, old); m[ne.Thumbprint] = h })
	if err == nil {
		err = c.deploy(ctx, s, ne.Thumbprint, h)
	}
	out := OutcomeOK
	if err != nil {
		r, out = HookRun{Error: err.Error()}, OutcomeFailed
	}
	_ = c.record(s.Context(), Record{Action: ActionHook, Outcome: out, Thumbprint: ne.Thumbprint, Subject: ne.Subject, Reason: r.Error})
	return []HookRun{r}
}

// deploy writes the files of h for the entry and runs its command.
func (c *Core) deploy(ctx context.Context, s *store.Store, thumbprint string, h Hook) error {
	mode, err := h.check()
	if err != nil {
		return fmt.Errorf("deploy hook: %w", err)
	}
	e, err := s.Get(ctx, store.My, thumbprint)
	if err != nil {
		return err
	}
	certPEM := pemCert(e.Certificate)
	// The chain file carries what the store knows (CA and Root), not the
	// system roots: clients that want a chain file want the private PKI's.
	var chainPEM []byte
	if ch, err := s.Chain(ctx, store.My, thumbprint, c.clock.Now()); err == nil && len(ch.Elements) > 1 {
		for _, el := range ch.Elements[1:] {
			if el.Certificate != nil && el.Source != "system" {
				chainPEM = append(chainPEM, pemCert(el.Certificate)...)
			}
		}
	}
	files := []struct {
		path string
		data func() ([]byte, error)
	}{
		{h.CertFile, func() ([]byte, error) { return certPEM, nil }},
		{h.ChainFile, func() ([]byte, error) { return chainPEM, nil }},
		{h.FullChainFile, func() ([]byte, error) { return append(append([]byte(nil), certPEM...), chainPEM...), nil }},
		{h.KeyFile, func() ([]byte, error) {
			if e.Meta.KeyStorage == store.KeyTPM {
				// the TPM-wrapped blob as a TSS2 key file: the key stays in the TPM
				return c.tpmKeyPEM(e)
			}
			k, err := s.Signer(ctx, store.My, thumbprint)
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), err
		}},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		data, err := f.data()
		if err == nil {
			err = atomicfile.Write(f.path, data, mode)
		}
		if err != nil {
			return fmt.Errorf("deploy hook: write %s: %w", f.path, err)
		}
	}
	if len(h.Command) == 0 {
		return nil
	}
	// No shell: the command is argv, so a thumbprint or path can never be
	// interpreted as shell syntax. The environment names what changed.
	run := c.run
	if run == nil {
		run = func(ctx context.Context, name string, args ...string) ([]byte, error) {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Env = append(os.Environ(), "CERTDESK_THUMBPRINT="+thumbprint, "CERTDESK_CONTEXT="+string(s.Context()))
			return cmd.CombinedOutput()
		}
	}
	if out, err := run(ctx, h.Command[0], h.Command[1:]...); err != nil {
		// A little of the command's output says why; all of it could
		// flood the history and the one-line error.
		msg := strings.TrimSpace(string(bytes.TrimSpace(out)))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Errorf("deploy hook %q failed: %w: %s", strings.Join(h.Command, " "), err, msg)
	}
	return nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func parseMode(s string) (fs.FileMode, error) {
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("file mode %q is not an octal permission such as 0600", s)
	}
	return fs.FileMode(m), nil
}

func readHooks(s *store.Store) (map[string]Hook, error) {
	return readConfigMap[Hook](s.Dir(), HooksFile)
}

// updateHooks rewrites HooksFile; the caller holds the context lock.
func (c *Core) updateHooks(s *store.Store, f func(map[string]Hook)) error {
	return updateConfigMap(s.Dir(), HooksFile, f)
}
