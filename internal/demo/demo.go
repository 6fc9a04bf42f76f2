// Package demo is the world of "certdesk --demo": the embedded test CA on
// loopback and a throwaway certdesk root that trusts it.
package demo

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/store"
)

// The demo's account, CA and timings.
const (
	User     = "demo@certdesk.test"
	Password = "demo-Passw0rd"
	// PFXPassword protects the sample file to drop on the window.
	PFXPassword = "demo"
	// CheckInterval is how often the demo checks for due certificates:
	// often enough to watch a ShortLived certificate renew itself.
	CheckInterval = 30 * time.Second
	shortValidity = 6 * time.Minute
	shortRenewal  = 4 * time.Minute
)

// Demo is the world of "certdesk --demo": the embedded test CA serving CEP
// and CES on loopback, and a throwaway certdesk root in a temporary
// directory in which the CA is a registered policy server whose root is
// trusted. It never touches the person's stores or keyring: the account's
// password lives in an in-memory keyring and the root's private keys are
// protected by file permissions (the file-protection opt-in), so the demo
// runs the same with or without a Secret Service.
type Demo struct {
	Dir      string         // the temporary directory: root/, testca/, files/
	Location store.Location // the certdesk root inside Dir
	Server   *testca.Server // the CA's HTTPS server
	Policy   app.Server     // the registered policy server
	PFX      string         // a sample PFX to drop on the window
	Options  app.Options    // for app.New: location, keyring, settings
	Core     *app.Core      // the demo's core, for the window
	keyring  *MemoryKeyring // the demo's keyring
	closed   sync.Once
}

// Start starts the test CA on loopback in a new temporary directory
// and prepares the root: the CA registered with the demo account, its root
// trusted, a ShortLived certificate already enrolled (it renews itself
// within minutes) and a sample PFX written. Close removes it all.
func Start(ctx context.Context) (d *Demo, err error) {
	dir, err := os.MkdirTemp("", "certdesk-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d = &Demo{Dir: dir, Location: store.LocationAt(filepath.Join(dir, "root")), keyring: NewMemoryKeyring()}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	ca, err := testca.New(testca.Config{Dir: filepath.Join(dir, "testca"), Name: "certdesk Demo CA",
		Users: map[string]string{User: Password}, KBR: true,
		ShortValidity: shortValidity, ShortRenewal: shortRenewal})
	if err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	if d.Server, err = ca.Start("127.0.0.1:0"); err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	settings := app.DefaultSettings()
	settings.CheckInterval = CheckInterval
	settings.PublishIssued = false // the demo never changes the OS's stores by itself
	d.Options = app.Options{Location: d.Location, Keyring: d.keyring, Settings: settings,
		HTTPTimeout: 20 * time.Second, Contexts: []store.Context{store.User}}
	if d.Core, err = app.New(d.Options); err != nil {
		return d, err
	}
	s, err := d.Core.Store(store.User)
	if err != nil {
		return d, err
	}
	if err = s.SetProtection(ctx, store.ProtectFile); err != nil {
		return d, err
	}
	d.Policy, err = d.Core.AddServer(ctx, store.User, app.ServerOptions{URL: d.Server.CEPURL(), Auth: app.AuthPassword,
		FriendlyName: "certdesk Demo CA", Username: User, Password: Password, AutoEnroll: true,
		CAFile: ca.RootFile(), TrustCA: true, KBRURL: d.Server.KBRCEPURL()})
	if err != nil {
		return d, fmt.Errorf("demo: register the test CA: %w", err)
	}
	// The same CA through NDES (SCEP) and EST, registered as the person
	// would in the Policy servers tab: its CA fetched, shown and pinned.
	for _, p := range []struct {
		proto     app.Protocol
		url, name string
	}{
		{app.ProtocolSCEP, d.Server.SCEPURL(), "certdesk Demo NDES (SCEP)"},
		{app.ProtocolEST, d.Server.ESTURL(), "certdesk Demo EST"},
	} {
		o := app.ServerOptions{URL: p.url, Protocol: p.proto, Auth: app.AuthPassword, FriendlyName: p.name,
			Username: User, Password: Password}
		cert, err := d.Core.ServerCA(ctx, store.User, o)
		if err != nil {
			return d, fmt.Errorf("demo: the CA of %s: %w", p.name, err)
		}
		o.CAFingerprint = app.Fingerprint(cert)
		if _, err = d.Core.AddServer(ctx, store.User, o); err != nil {
			return d, fmt.Errorf("demo: register %s: %w", p.name, err)
		}
	}
	if _, err = d.Core.Enroll(ctx, app.EnrollRequest{Context: store.User, Server: d.Policy.ID, Template: testca.TemplateShortLived}); err != nil {
		return d, fmt.Errorf("demo: enroll a ShortLived certificate: %w", err)
	}
	if d.PFX, err = d.samplePFX(ctx, ca); err != nil {
		return d, fmt.Errorf("demo: sample PFX: %w", err)
	}
	return d, nil
}

// samplePFX has the CA issue a WebServer certificate for a printer and
// writes it with its key and the issuing CA as files/printer.pfx.
func (d *Demo) samplePFX(ctx context.Context, ca *testca.CA) (string, error) {
	pol, err := d.Core.Policies(ctx, store.User, d.Policy.ID, "", false)
	if err != nil {
		return "", err
	}
	t := pol.Template(testca.TemplateWebServer)
	if t == nil {
		return "", errors.New("the CA offers no WebServer template")
	}
	kt, err := t.KeyType()
	if err != nil {
		return "", err
	}
	key, err := enroll.GenerateKey(rand.Reader, kt)
	if err != nil {
		return "", err
	}
	csr, err := enroll.NewCSR(rand.Reader, enroll.Request{Template: t, Key: key,
		Subject: "CN=printer.demo.test,O=certdesk demo", DNSNames: []string{"printer.demo.test"}})
	if err != nil {
		return "", err
	}
	req, err := ca.Submit(csr, User)
	if err != nil {
		return "", err
	}
	cert, err := x509.ParseCertificate(req.Cert)
	if err != nil {
		return "", err
	}
	pfx, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca.Issuing()}, PFXPassword)
	if err != nil {
		return "", err
	}
	path := filepath.Join(d.Dir, "files", "printer.pfx")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, pfx, 0o600)
}

// Describe says where the demo lives and how to sign in, for the terminal.
func (d *Demo) Describe() string {
	return fmt.Sprintf(`certdesk demo: nothing here touches your own certificates or keyring.
  stores (removed on exit): %s
  policy server:            %s (CEP %s)
                            NDES (SCEP) %s, EST %s
  account:                  %s  password: %s (kept in memory only)
  sample file to drop:      %s  password: %s
  autoenrollment is on; a ShortLived certificate renews itself every few minutes; checks run every %v
`, d.Location.Data, d.Policy.FriendlyName, d.Server.CEPURL(), d.Server.SCEPURL(), d.Server.ESTURL(), User, Password, d.PFX, PFXPassword, CheckInterval)
}

// Close stops the CA and removes the temporary directory.
func (d *Demo) Close() {
	d.closed.Do(func() {
		if d.Core != nil {
			d.Core.Stop()
		}
		if d.Server != nil {
			d.Server.Close()
		}
		os.RemoveAll(d.Dir)
	})
}

// MemoryKeyring keeps secrets in this process only: the demo's, and the
// tests' where the OS keyring is not what they test.
type MemoryKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns the secret of service and user, or keyring.ErrNotFound.
func (k *MemoryKeyring) Get(_ context.Context, service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Set stores the secret of service and user.
func (k *MemoryKeyring) Set(_ context.Context, service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[service+"\x00"+user] = secret
	return nil
}

// Delete forgets the secret of service and user.
func (k *MemoryKeyring) Delete(_ context.Context, service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, service+"\x00"+user)
	return nil
}

// NewMemoryKeyring returns an empty in-memory keyring.
func NewMemoryKeyring() *MemoryKeyring { return &MemoryKeyring{m: map[string]string{}} }
