package app

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// ServersFile is the name of the policy-server list inside a context's
// directory. It holds no secret.
const ServersFile = "servers.json"

// Auth is how certdesk authenticates to a policy server's CEP and CES.
type Auth string

// The authentication kinds of a policy server.
const (
	AuthPassword    Auth = "password"    // WS-Security username and password
	AuthCertificate Auth = "certificate" // TLS client certificate (key-based renewal)
	AuthAnonymous   Auth = "anonymous"
)

// Server is a registered policy server (CEP) of a context, as
// Add-CertificateEnrollmentPolicyServer registers one on Windows. Its JSON
// form is the shape of servers.json and of "certdesk server list -json".
type Server struct {
	ID  string `json:"id"` // 8 hex digits derived from the URL
	URL string `json:"url"`
	// Protocol is how certdesk enrolls there; servers.json without it
	// means CEP (readServers fills it in).
	Protocol     Protocol `json:"protocol"`
	Auth         Auth     `json:"auth"`
	FriendlyName string   `json:"friendlyName,omitempty"`
	Username     string   `json:"username,omitempty"`
	AutoEnroll   bool     `json:"autoEnroll"`
	// TrustedCA is the thumbprint of the CA file put into the context's
	// Root store when the server was added (after the person confirmed).
	TrustedCA string `json:"trustedCA,omitempty"`
	// KBRURL is an optional key-based-renewal CEP (certificate auth).
	KBRURL string `json:"kbrURL,omitempty"`
	// ClientCert is the thumbprint in My presented by certificate auth.
	ClientCert string `json:"clientCert,omitempty"`
	// PasswordHosts are the hosts (host[:port], lower-case, see HostOf)
	// besides the CEP's that the person confirmed to receive the password
	// of a password server; a CES of the policy on any other host gets
	// nothing (checkPasswordHosts, docs/core.md).
	PasswordHosts []string `json:"passwordHosts,omitempty"`
	// Managed servers come from the administrator's managed file
	// (docs/managed.md): listed, used, never saved in servers.json nor
	// changed or removed by the person. Their password is still the
	// person's, in the keyring.
	Managed bool `json:"managed,omitempty"`
	// Templates, of a managed server, are the templates autoenrollment
	// enrolls; empty means those the policy marks for autoenrollment.
	Templates []string `json:"templates,omitempty"`
	// CAPin is the SHA-256 fingerprint (lower-case hex, ParseFingerprint)
	// of the server's CA: for CEP a CA its TLS chain must hold (a managed
	// server's caFingerprint, or -ca-fingerprint); for SCEP the CA that
	// GetCACert must return, checked before anything is sent.
	CAPin string `json:"caFingerprint,omitempty"`
}

// ErrManagedServer is returned for a change to a managed server.
var ErrManagedServer = errors.New("is set by your organisation (the managed configuration) and cannot be changed or removed here")

// ServerOptions describe a server to add. Password, if set, goes to the
// keyring (or the machine context's credential file), never to servers.json.
type ServerOptions struct {
	URL string
	// Protocol is "" (CEP), cep, scep or est (ParseProtocol).
	Protocol Protocol
	// CAFingerprint pins the server's CA (Server.CAPin): the SHA-256 of
	// its DER, colons and case ignored, as the person confirmed it.
	CAFingerprint string
	Auth          Auth
	FriendlyName  string
	Username      string
	Password      string
	AutoEnroll    bool
	// CAFile is a CA certificate to trust for this server. It is imported
	// into the context's Root store only when TrustCA is true: the caller
	// must have shown it to the person and got a yes.
	CAFile  string
	TrustCA bool
	KBRURL  string
	// ClientCert is the thumbprint in My presented by certificate auth.
	ClientCert string
	// ConfirmedHosts are the hosts (host[:port] or URLs) the caller showed
	// the person as receiving the password and got a yes for, usually
	// PasswordHosts of the policy TestServer fetched. The CEP's host needs
	// no confirmation. Only password authentication takes them.
	ConfirmedHosts []string
	// OnlyNew makes AddServer refuse a URL already registered
	// (ErrServerExists) instead of replacing its entry. The command line
	// sets it unless -replace; an edit that means to replace leaves it.
	OnlyNew bool
}

// ServerID derives a server's id from its URL: short, stable, and the same
// on every device that registers the same CEP.
func ServerID(rawURL string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimRight(rawURL, "/"))))
	return hex.EncodeToString(sum[:4])
}

// ErrCAFileNotTrusted is returned by AddServer when a CA file is given
// without TrustCA; the message tells the caller what to confirm.
var ErrCAFileNotTrusted = errors.New("the CA file is not trusted yet")

// AddServer registers a policy server in context cx and returns it. It
// checks the URL, saves the password to the keyring first (so a missing
// keyring changes nothing), imports the CA file after confirmation, and
// writes servers.json atomically. A password server's password may go to
// the CEP's host and o.ConfirmedHosts (Server.PasswordHosts), nowhere
// else. Adding a URL again replaces its entry, confirmed hosts included,
// unless o.OnlyNew (then ErrServerExists, see CheckNewServer).
func (c *Core) AddServer(ctx context.Context, cx store.Context, o ServerOptions) (Server, error) {
	proto, err := ParseProtocol(string(o.Protocol))
	if err != nil {
		return Server{}, err
	}
	var pin string
	if o.CAFingerprint != "" {
		if pin, err = ParseFingerprint(o.CAFingerprint); err != nil {
			return Server{}, err
		}
	}
	if err := checkServerURLs(proto, o.URL, o.KBRURL, o.Auth == AuthPassword, pin != ""); err != nil {
		return Server{}, err
	}
	switch o.Auth {
	case AuthPassword:
		if o.Username == "" {
			return Server{}, errors.New("password authentication needs a username")
		}
	case AuthCertificate, AuthAnonymous:
		if len(o.ConfirmedHosts) > 0 {
			return Server{}, fmt.Errorf("%s authentication sends no password; there are no hosts to confirm", o.Auth)
		}
		if o.Auth == AuthCertificate && o.ClientCert == "" {
			return Server{}, errors.New("certificate authentication needs the certificate to present (its thumbprint in My)")
		}
		if o.Password != "" {
			return Server{}, fmt.Errorf("%s authentication takes no password", o.Auth)
		}
	default:
		return Server{}, fmt.Errorf("unknown authentication %q: use password, certificate or anonymous", o.Auth)
	}
	if c.managedServer(cx, o.URL) {
		return Server{}, fmt.Errorf("%s %w", o.URL, ErrManagedServer)
	}
	if o.OnlyNew {
		if err := c.CheckNewServer(cx, o.URL); err != nil {
			return Server{}, err
		}
	}
	srv := Server{ID: ServerID(o.URL), URL: o.URL, Protocol: proto, Auth: o.Auth, FriendlyName: o.FriendlyName,
		Username: o.Username, AutoEnroll: o.AutoEnroll, KBRURL: o.KBRURL, ClientCert: o.ClientCert, CAPin: pin}
	if o.Auth == AuthPassword {
		if srv.PasswordHosts, err = extraHosts(o.URL, o.ConfirmedHosts); err != nil {
			return Server{}, err
		}
	}
	s, err := c.Store(cx)
	if err != nil {
		return Server{}, err
	}
	if o.ClientCert != "" {
		if srv.ClientCert, err = store.NormalizeThumbprint(o.ClientCert); err != nil {
			return Server{}, err
		}
		if _, err := s.Get(ctx, store.My, srv.ClientCert); err != nil {
			return Server{}, err
		}
	}
	// Check everything before the first write, and write the secret
	// first: a missing keyring must leave the Root store as it was.
	root, err := trustedCAFile(o.CAFile, o.TrustCA)
	if err != nil {
		return Server{}, err
	}
	if o.Password != "" {
		if err := c.SetPassword(ctx, cx, srv, o.Password); err != nil {
			return Server{}, err
		}
	}
	if root != nil {
		if _, _, err := s.Add(ctx, store.Root, root, nil, store.Meta{FriendlyName: "CA of " + o.URL}); err != nil {
			if o.Password != "" {
				_ = c.DeletePassword(ctx, cx, srv)
			}
			return Server{}, err
		}
		srv.TrustedCA = store.Thumbprint(root.Raw)
	}
	err = c.updateServers(ctx, cx, func(list []Server) ([]Server, error) {
		for i := range list {
			if list[i].ID == srv.ID {
				list[i] = srv
				return list, nil
			}
		}
		return append(list, srv), nil
	})
	return srv, err
}

// Servers lists the policy servers of context cx: the managed ones first,
// then the person's (an entry of the person's for a managed URL is hidden).
func (c *Core) Servers(cx store.Context) ([]Server, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return c.serversOf(s)
}

// serversOf is Servers of an opened store.
func (c *Core) serversOf(s *store.Store) ([]Server, error) {
	own, err := readServers(filepath.Join(s.Dir(), ServersFile))
	if err != nil {
		return nil, err
	}
	list := c.managed.Servers(s.Context())
	for i := range list {
		list[i].Protocol = ProtocolCEP
	}
	for _, srv := range own {
		if !c.managedServer(s.Context(), srv.URL) {
			list = append(list, srv)
		}
	}
	return list, nil
}

// managedServer reports whether the managed file sets the server of url
// in context cx.
func (c *Core) managedServer(cx store.Context, url string) bool {
	id := ServerID(url)
	for _, m := range c.managed.Servers(cx) {
		if m.ID == id {
			return true
		}
	}
	return false
}

// Server finds a server of cx by id, URL or friendly name.
func (c *Core) Server(cx store.Context, ref string) (Server, error) {
	list, err := c.Servers(cx)
	if err != nil {
		return Server{}, err
	}
	for _, s := range list {
		if s.ID == ref || s.URL == ref || (s.FriendlyName != "" && s.FriendlyName == ref) {
			return s, nil
		}
	}
	return Server{}, fmt.Errorf("%w %q in the %s context", ErrNoServer, ref, cx)
}

// RemoveServer unregisters a server and deletes its saved password and
// policy cache. Certificates it issued stay; they are no longer renewed.
func (c *Core) RemoveServer(ctx context.Context, cx store.Context, ref string) error {
	srv, err := c.Server(cx, ref)
	if err != nil {
		return err
	}
	if srv.Managed {
		return fmt.Errorf("server %s %w", srv.URL, ErrManagedServer)
	}
	// Only a password server can have a saved password: the others are
	// removed without asking the keyring, which may not be there.
	if srv.Auth == AuthPassword {
		if err := c.DeletePassword(ctx, cx, srv); err != nil && !errors.Is(err, ErrNoPassword) {
			return err
		}
	}
	if s, err := c.Store(cx); err == nil {
		for _, id := range []string{srv.ID, srv.ID + "-kbr"} {
			if p, err := policyCachePath(s, id); err == nil {
				_ = os.Remove(p)
			}
		}
	}
	return c.updateServers(ctx, cx, func(list []Server) ([]Server, error) {
		out := list[:0]
		for _, s := range list {
			if s.ID != srv.ID {
				out = append(out, s)
			}
		}
		return out, nil
	})
}

// updateServers rewrites servers.json under the context lock, so a GUI and
// a command line adding servers at once both keep theirs.
func (c *Core) updateServers(ctx context.Context, cx store.Context, f func([]Server) ([]Server, error)) error {
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return err
	}
	defer tx.Unlock()
	return rewriteServers(s, f)
}

// rewriteServers applies f to the context's server list and writes it
// back atomically; the caller holds the context lock.
func rewriteServers(s *store.Store, f func([]Server) ([]Server, error)) error {
	path := filepath.Join(s.Dir(), ServersFile)
	list, err := readServers(path)
	if err != nil {
		return err
	}
	if list, err = f(list); err != nil {
		return err
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}

// readServers reads servers.json; a missing file is no servers, a
// damaged one an error naming it (it is the person's configuration, not a
// cache to drop silently).
func readServers(path string) ([]Server, error) {
	data, err := atomicfile.ReadOwned(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Server
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("read %s: the file is damaged: %w", path, err)
	}
	for i, srv := range list {
		// Ids become file names (saved passwords, policy caches).
		if err := store.CheckFileName("server id", srv.ID); err != nil {
			return nil, fmt.Errorf("read %s: the file is damaged: %w", path, err)
		}
		if list[i].Protocol, err = ParseProtocol(string(srv.Protocol)); err != nil {
			return nil, fmt.Errorf("read %s: the file is damaged: %w", path, err)
		}
		// The checks of AddServer: a hand-edited pin is compared as
		// ParseFingerprint spells it, and no server is used over plain
		// http that AddServer would have refused.
		if srv.CAPin != "" {
			if list[i].CAPin, err = ParseFingerprint(srv.CAPin); err != nil {
				return nil, fmt.Errorf("read %s: the file is damaged: %w", path, err)
			}
		}
		switch srv.Auth {
		case AuthPassword, AuthCertificate, AuthAnonymous:
		default: // read as anonymous, it would send no credentials the person chose
			return nil, fmt.Errorf("read %s: the file is damaged: server %s has unknown authentication %q", path, srv.ID, srv.Auth)
		}
		if err := checkServerURLs(list[i].Protocol, srv.URL, srv.KBRURL, srv.Auth == AuthPassword, srv.CAPin != ""); err != nil {
			return nil, fmt.Errorf("read %s: the file is damaged: %w", path, err)
		}
	}
	return list, nil
}

// checkServerURLs is the check of a server's addresses, AddServer's and
// servers.json's: its URL for protocol p (checkProtocolURL), and a
// key-based-renewal CEP, which only a CEP server has, over https.
func checkServerURLs(p Protocol, url, kbrURL string, password, pinned bool) error {
	if err := checkProtocolURL(p, url, password, pinned); err != nil {
		return err
	}
	if kbrURL == "" {
		return nil
	}
	if p != ProtocolCEP {
		return fmt.Errorf("a key-based-renewal CEP (-kbr-url) is for CEP servers, not %s", p)
	}
	return CheckServerURL(kbrURL, false)
}

// CheckServerURL is the one check of a policy server's address: it
// accepts https URLs without credentials in them (and refuses http, with
// enroll.ErrInsecureCredentials when password says a password would travel).
// AddServer and TestServer run it; the GUI's forms check as the person types.
func CheckServerURL(raw string, password bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an https URL", raw)
	}
	if u.User != nil {
		// servers.json is not a place for credentials.
		return fmt.Errorf("%s: put the user name and password in -username and the keyring, not in the URL", u.Redacted())
	}
	if u.Scheme != "https" {
		if password {
			return fmt.Errorf("%s: %w", raw, enroll.ErrInsecureCredentials)
		}
		// Without TLS neither the server nor the policy it hands out
		// could be verified, whatever the authentication.
		return fmt.Errorf("%s is plain http; policy servers must use https", raw)
	}
	return nil
}

// caFile reads a CA certificate file (PEM, DER or P7B).
func caFile(path string) (*store.Bundle, error) {
	data, err := store.ReadImportFile(path)
	if err != nil {
		return nil, err
	}
	b, err := store.Parse(data, "")
	if err != nil {
		return nil, &store.ImportError{File: path, Reason: err.Error(), Err: err}
	}
	if len(b.Certs) == 0 || !b.Certs[0].IsCA {
		return nil, &store.ImportError{File: path, Reason: "the file holds no CA certificate", Err: store.ErrNoCertificates}
	}
	return b, nil
}

// SetAutoEnroll turns a server's autoenrollment flag on or off.
func (c *Core) SetAutoEnroll(ctx context.Context, cx store.Context, ref string, on bool) error {
	srv, err := c.Server(cx, ref)
	if err != nil {
		return err
	}
	if srv.Managed {
		return fmt.Errorf("server %s %w", srv.URL, ErrManagedServer)
	}
	return c.updateServers(ctx, cx, func(list []Server) ([]Server, error) {
		for i := range list {
			if list[i].ID == srv.ID {
				list[i].AutoEnroll = on
			}
		}
		return list, nil
	})
}

// TestServer fetches the policy of a server that is not registered yet,
// with o's credential, trusting o.CAFile for this call only (the wizard's
// "Test" button, before the person confirms the CA). A password goes to
// the host of o.URL only; PasswordHosts of the answer is what to show
// the person before AddServer. Nothing is saved.
func (c *Core) TestServer(ctx context.Context, cx store.Context, o ServerOptions) (*enroll.Policies, error) {
	proto, err := ParseProtocol(string(o.Protocol))
	if err != nil {
		return nil, err
	}
	var pin string
	if o.CAFingerprint != "" {
		if pin, err = ParseFingerprint(o.CAFingerprint); err != nil {
			return nil, err
		}
	}
	if err := checkProtocolURL(proto, o.URL, o.Auth == AuthPassword, pin != ""); err != nil {
		return nil, err
	}
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	var cred credential
	switch o.Auth {
	case AuthPassword:
		// The password goes to the host the person typed, nowhere else.
		cred = credential{user: o.Username, password: o.Password, hosts: []string{HostOf(o.URL)}, server: ServerID(o.URL)}
	case AuthCertificate:
		if cred, err = c.certCredential(ctx, s, o.ClientCert); err != nil {
			return nil, err
		}
	}
	var extra []*x509.Certificate
	if o.CAFile != "" {
		b, err := caFile(o.CAFile)
		if err != nil {
			return nil, err
		}
		extra = b.Certs[:1]
	}
	cred.extraRoots = extra
	if proto != ProtocolCEP {
		srv := Server{ID: ServerID(o.URL), URL: o.URL, Protocol: proto, Auth: o.Auth, Username: o.Username, CAPin: pin}
		pc, err := c.offerCache(ctx, s, srv, cred, o.URL)
		return pc.Policies, err
	}
	cred.pin = pin
	cl, err := c.client(ctx, s, cred)
	if err != nil {
		return nil, err
	}
	pol, err := cl.GetPolicies(ctx, o.URL, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("get policies from %s: %w", o.URL, err)
	}
	return pol, nil
}
