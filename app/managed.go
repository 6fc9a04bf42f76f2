package app

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/store"
)

// ManagedEnv names the managed configuration file instead of the
// platform's (ManagedPath); tests and packaging use it.
const ManagedEnv = "CERTDESK_MANAGED"

// ManagedFileName is the managed file's name under CERTDESK_ROOT.
const ManagedFileName = "managed.json"

// maxManaged caps the managed file: a real one is a few kilobytes.
const maxManaged = 1 << 20

// ManagedPath returns where the administrator's managed configuration is
// read from: $CERTDESK_MANAGED, else ROOT/managed.json under CERTDESK_ROOT
// (so a test root never sees the machine's file), else
// /etc/certdesk/managed.json on Linux. Elsewhere it is "" for now: the
// macOS managed-preferences domain and the Windows policy key
// (HKLM\SOFTWARE\Policies\certdesk) are not read yet.
func ManagedPath(getenv func(string) string) string {
	if p := getenv(ManagedEnv); p != "" {
		return p
	}
	if r := getenv("CERTDESK_ROOT"); r != "" {
		return filepath.Join(r, ManagedFileName)
	}
	if runtime.GOOS == "linux" {
		return "/etc/certdesk/managed.json"
	}
	return ""
}

// Managed is the administrator's configuration (docs/managed.md): settings
// that win over the person's and policy servers the person cannot remove.
// The zero value, and nil, manage nothing.
type Managed struct {
	// Path the file was read from; Hash is the SHA-256 of its bytes.
	Path, Hash string
	// Problems found in the file, one sentence each; the fields they name
	// are ignored and the rest applies.
	Problems []string

	settings Settings
	names    []string // settings the file sets, in settingDefs order
	servers  []Server
}

// managedServer is a policy server entry of the managed file.
type managedServer struct {
	URL          string   `json:"url"`
	Auth         Auth     `json:"auth"`
	FriendlyName string   `json:"friendlyName"`
	Username     string   `json:"username"`
	AutoEnroll   bool     `json:"autoEnroll"`
	Templates    []string `json:"templates"`
	CAPin        string   `json:"caFingerprint"`
	// PasswordHosts besides the CEP's that may receive the password (a
	// CES on another host), as the person confirms them for their own.
	PasswordHosts []string `json:"passwordHosts"`
}

// ReadManaged reads the managed file at path. A missing file (or path "")
// manages nothing and is no error. A file that cannot be read at all (a
// symbolic link, not a regular file, over 1 MiB, not a JSON object) is an
// error of one sentence; within a readable file each bad field is a
// Problem and is ignored.
func ReadManaged(path string) (*Managed, error) {
	if path == "" {
		return nil, nil
	}
	data, err := atomicfile.ReadNoFollow(path, maxManaged)
	var nr *atomicfile.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.As(err, &nr) && nr.Mode&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("managed file %s is a symbolic link, which certdesk does not follow: put the file itself there", path)
	case errors.Is(err, atomicfile.ErrTooLarge):
		return nil, fmt.Errorf("managed file %s is over %d bytes, the most certdesk reads", path, maxManaged)
	case err != nil:
		return nil, fmt.Errorf("managed file: %w", err)
	}
	sum := sha256.Sum256(data)
	m := &Managed{Path: path, Hash: hex.EncodeToString(sum[:]), settings: DefaultSettings()}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("managed file %s is not a JSON object", path)
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch k {
		case "settings":
			m.readSettings(top[k])
		case "servers":
			m.readServers(top[k])
		default:
			m.problem("unknown key %q (use settings, servers)", k)
		}
	}
	return m, nil
}

func (m *Managed) problem(format string, args ...any) {
	m.Problems = append(m.Problems, fmt.Sprintf(format, args...))
}

// readSettings takes each setting whose value parses as "certdesk
// settings set" would; a JSON number or boolean stands for its text.
func (m *Managed) readSettings(raw json.RawMessage) {
	var vals map[string]json.RawMessage
	if err := json.Unmarshal(raw, &vals); err != nil {
		m.problem("settings is not an object of setting names and values")
		return
	}
	for _, d := range settingDefs {
		v, ok := vals[d.name]
		if !ok {
			continue
		}
		delete(vals, d.name)
		text, err := scalarText(v)
		if err == nil {
			next := m.settings
			if err = d.parse(&next, text); err == nil {
				if err = next.Validate(); err == nil {
					m.settings = next
					m.names = append(m.names, d.name)
					continue
				}
			}
		}
		m.problem("setting %s ignored: %v", d.name, err)
	}
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		m.problem("unknown setting %q ignored", k)
	}
}

// scalarText is a JSON string, number or boolean as text.
func scalarText(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", errors.New("the value is not a string, number or boolean")
}

// readServers takes each server entry that is complete and well-formed.
func (m *Managed) readServers(raw json.RawMessage) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		m.problem("servers is not a list")
		return
	}
	for i, r := range list {
		var ms managedServer
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ms); err != nil {
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &te) && te.Field == "":
				m.problem("server %d ignored: an entry is not an object", i+1)
			case errors.As(err, &te):
				m.problem("server %d ignored: %s is not a JSON %s", i+1, te.Field, map[bool]string{true: "list", false: te.Type.Kind().String()}[te.Type.Kind() == reflect.Slice])
			default:
				m.problem("server %d ignored: %v", i+1, err)
			}
			continue
		}
		srv, err := ms.server()
		if err != nil {
			m.problem("server %d ignored: %v", i+1, err)
			continue
		}
		if slices.ContainsFunc(m.servers, func(s Server) bool { return s.ID == srv.ID }) {
			m.problem("server %d ignored: %s is listed twice", i+1, srv.URL)
			continue
		}
		m.servers = append(m.servers, srv)
	}
}

// server checks a managed entry as AddServer checks the person's.
func (ms managedServer) server() (Server, error) {
	if ms.Auth == "" {
		ms.Auth = AuthPassword
	}
	if err := CheckServerURL(ms.URL, ms.Auth == AuthPassword); err != nil {
		return Server{}, err
	}
	switch ms.Auth {
	case AuthPassword:
		if ms.Username == "" {
			return Server{}, errors.New("password authentication needs a username")
		}
	case AuthAnonymous:
		if len(ms.PasswordHosts) > 0 {
			return Server{}, errors.New("anonymous authentication sends no password; passwordHosts is for password servers")
		}
	default:
		// Certificate authentication names a certificate of the
		// person's store, which an administrator's file cannot.
		return Server{}, fmt.Errorf("authentication %q: use password or anonymous", ms.Auth)
	}
	srv := Server{ID: ServerID(ms.URL), URL: ms.URL, Auth: ms.Auth, FriendlyName: ms.FriendlyName,
		Username: ms.Username, AutoEnroll: ms.AutoEnroll, Managed: true, Templates: ms.Templates}
	var err error
	if srv.PasswordHosts, err = extraHosts(ms.URL, ms.PasswordHosts); err != nil {
		return Server{}, err
	}
	if ms.CAPin != "" {
		if srv.CAPin, err = ParseFingerprint(ms.CAPin); err != nil {
			return Server{}, fmt.Errorf("caFingerprint %w", err)
		}
	}
	for _, t := range ms.Templates {
		if strings.TrimSpace(t) == "" {
			return Server{}, errors.New("templates holds an empty name")
		}
	}
	return srv, nil
}

// IsManaged reports whether the file sets setting name.
func (m *Managed) IsManaged(name string) bool { return m != nil && slices.Contains(m.names, name) }

// Servers returns the managed policy servers.
func (m *Managed) Servers() []Server {
	if m == nil {
		return nil
	}
	return slices.Clone(m.servers)
}

// apply returns s with the managed settings in place of the person's.
func (m *Managed) apply(s Settings) Settings {
	if m == nil {
		return s
	}
	for _, n := range m.names {
		copySetting(&s, m.settings, n)
	}
	return s
}

// settingFields names the Settings field of each setting.
var settingFields = map[string]string{
	"checkInterval": "CheckInterval", "renewalRatio": "RenewalRatio", "notifyDays": "NotifyDays",
	"startInTray": "StartInTray", "defaultContext": "DefaultContext", "publishIssued": "PublishIssued",
	"metricsDir": "MetricsDir", "tpm": "TPM", "pkcs11Module": "PKCS11Module", "pkcs11Token": "PKCS11Token",
	"reenrollRevoked": "ReenrollRevoked",
}

// copySetting sets setting name of dst to its value in src.
func copySetting(dst *Settings, src Settings, name string) {
	f := settingFields[name]
	reflect.ValueOf(dst).Elem().FieldByName(f).Set(reflect.ValueOf(src).FieldByName(f))
}

// ErrManagedSetting is returned when the person changes a managed setting.
var ErrManagedSetting = errors.New("is set by your organisation (the managed configuration) and cannot be changed here")

// Managed returns the administrator's configuration the core follows, or nil.
func (c *Core) Managed() *Managed { return c.managed }

// ListSettings is the package's ListSettings of the settings in force,
// with the managed ones marked SourceManaged.
func (c *Core) ListSettings(cx store.Context) []SettingInfo {
	list := ListSettings(c.Settings(), cx)
	for i := range list {
		if c.managed.IsManaged(list[i].Name) {
			list[i].Source = SourceManaged
		}
	}
	return list
}

// ReportManaged records the managed file's problems in the history of cx
// and returns them, once per content of the file: a file already reported
// (its hash kept in the context's state) returns nothing.
func (c *Core) ReportManaged(cx store.Context) ([]string, error) {
	m := c.managed
	if m == nil || len(m.Problems) == 0 {
		return nil, nil
	}
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	mark := filepath.Join(s.StateDir(), "managed-reported")
	if old, err := atomicfile.ReadOwned(mark); err == nil && string(old) == m.Hash {
		return nil, nil
	}
	reason := "managed file " + m.Path + ": " + strings.Join(m.Problems, "; ")
	if err := c.record(cx, Record{Action: ActionManaged, Outcome: OutcomeFailed, Reason: reason}); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.StateDir(), 0o700); err != nil {
		return nil, err
	}
	return m.Problems, atomicfile.Write(mark, []byte(m.Hash), 0o600)
}

// checkPin verifies that a TLS chain holds the CA whose SHA-256
// fingerprint is pin (a managed server's caFingerprint).
func checkPin(pin string, chains [][]*x509.Certificate) error {
	for _, ch := range chains {
		for _, cert := range ch {
			if Fingerprint(cert) == pin {
				return nil
			}
		}
	}
	return fmt.Errorf("the server's certificate chain does not hold the CA the managed configuration pins (SHA-256 %s)", pin)
}
