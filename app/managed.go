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

// ManagedPath returns the managed JSON file certdesk reads instead of the
// platform's own place: $CERTDESK_MANAGED, else ROOT/managed.json under
// CERTDESK_ROOT (so a test root never sees the machine's file), else
// /etc/certdesk/managed.json on Linux. It is "" elsewhere, where
// LoadManaged reads the platform's place (the macOS managed preferences,
// the Windows policy key).
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

// LoadManaged reads the administrator's configuration: the JSON file of
// ManagedPath where there is one, else the platform's place
// (platformManaged: managed_darwin.go, managed_windows.go). Its source
// names where it was read, for messages.
func LoadManaged(getenv func(string) string) (m *Managed, source string, err error) {
	if p := ManagedPath(getenv); p != "" {
		m, err = ReadManaged(p)
		return m, p, err
	}
	return platformManaged()
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
	servers  []Server // of every context
	// contexts holds what the file sets for one context only.
	contexts map[store.Context]*managedContext
}

// managedContext is a context's section of the managed file: servers for
// that context only, and its own metrics directory.
type managedContext struct {
	servers    []Server
	metricsDir *string
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
	data, err := readManagedFile(path)
	if data == nil || err != nil {
		return nil, err
	}
	return parseManaged(path, data, nil)
}

// readManagedFile reads a managed file (the JSON file, a macOS managed
// preferences plist): nil for a missing file or path "", an error of one
// sentence for a symbolic link, a file that is not regular or one over
// 1 MiB.
func readManagedFile(path string) ([]byte, error) {
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
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// managedFromRaw is the managed configuration a platform reader (the
// macOS managed preferences, the Windows policy key) found at source, in
// the shape of the JSON file (objects as map[string]any, lists as []any,
// strings, numbers, booleans), with the problems the reader had already
// (values it could not take, which it left out). The checks are the
// file's (parseManaged).
func managedFromRaw(source string, raw map[string]any, problems []string) (*Managed, error) {
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("managed configuration %s: %v", source, err)
	}
	if len(data) > maxManaged {
		return nil, fmt.Errorf("managed configuration %s is over %d bytes, the most certdesk reads", source, maxManaged)
	}
	return parseManaged(source, data, problems)
}

// parseManaged checks the managed configuration data (the JSON file's
// form) read from source, after the problems its reader found: the one
// place the managed configuration is validated.
func parseManaged(source string, data []byte, problems []string) (*Managed, error) {
	h := sha256.New()
	h.Write(data)
	for _, p := range problems {
		h.Write([]byte("\n" + p))
	}
	m := &Managed{Path: source, Hash: hex.EncodeToString(h.Sum(nil)), settings: DefaultSettings(), Problems: slices.Clone(problems)}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("managed file %s is not a JSON object", source)
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch k {
		case "settings":
			m.readSettings(top[k])
		case "servers":
			m.servers = m.readServers(top[k], "", nil)
		case "contexts": // after servers, which a context's may not repeat
		default:
			m.problem("unknown key %q (use settings, servers, contexts)", k)
		}
	}
	if raw, ok := top["contexts"]; ok {
		m.readContexts(raw)
	}
	return m, nil
}

// readContexts takes the contexts section: context name → servers for
// that context only and its metricsDir.
func (m *Managed) readContexts(raw json.RawMessage) {
	var all map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		m.problem("contexts is not an object of context names and their servers and metricsDir")
		return
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		cx, err := store.ParseContext(name)
		if err != nil {
			m.problem("contexts: %q ignored: use machine, user or app:<id>", name)
			continue
		}
		mc := &managedContext{}
		for _, k := range slices.Sorted(maps.Keys(all[name])) {
			v := all[name][k]
			switch k {
			case "servers":
				mc.servers = m.readServers(v, "context "+name+": ", m.servers)
			case "metricsDir":
				text, err := scalarText(v)
				if err == nil {
					text, err = ParseMetricsDir(text)
				}
				if err != nil || text == "" {
					m.problem("context %s: metricsDir ignored: use an absolute directory or off", name)
					continue
				}
				mc.metricsDir = &text
			default:
				m.problem("context %s: unknown key %q (use servers, metricsDir)", name, k)
			}
		}
		if m.contexts == nil {
			m.contexts = map[store.Context]*managedContext{}
		}
		m.contexts[cx] = mc
	}
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

// readServers returns each server entry that is complete and well-formed
// and not in have already; where prefixes the problems.
func (m *Managed) readServers(raw json.RawMessage, where string, have []Server) []Server {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		m.problem("%sservers is not a list", where)
		return nil
	}
	var out []Server
	for i, r := range list {
		var ms managedServer
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ms); err != nil {
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &te) && te.Field == "":
				m.problem("%sserver %d ignored: an entry is not an object", where, i+1)
			case errors.As(err, &te):
				m.problem("%sserver %d ignored: %s is not a JSON %s", where, i+1, te.Field, map[bool]string{true: "list", false: te.Type.Kind().String()}[te.Type.Kind() == reflect.Slice])
			default:
				m.problem("%sserver %d ignored: %v", where, i+1, err)
			}
			continue
		}
		srv, err := ms.server()
		if err != nil {
			m.problem("%sserver %d ignored: %v", where, i+1, err)
			continue
		}
		if slices.ContainsFunc(append(have, out...), func(s Server) bool { return s.ID == srv.ID }) {
			m.problem("%sserver %d ignored: %s is listed twice", where, i+1, srv.URL)
			continue
		}
		out = append(out, srv)
	}
	return out
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

// Servers returns the managed policy servers of context cx: those of
// every context, then the context's own.
func (m *Managed) Servers(cx store.Context) []Server {
	if m == nil {
		return nil
	}
	out := slices.Clone(m.servers)
	if mc := m.contexts[cx]; mc != nil {
		out = append(out, mc.servers...)
	}
	return out
}

// metricsDir returns the metrics directory the file sets for context cx
// alone, if it does.
func (m *Managed) metricsDir(cx store.Context) (string, bool) {
	if m == nil || m.contexts[cx] == nil || m.contexts[cx].metricsDir == nil {
		return "", false
	}
	return *m.contexts[cx].metricsDir, true
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

// ListSettings is the package's ListSettings of the settings in force in
// cx (settingsFor), with the managed ones marked SourceManaged.
func (c *Core) ListSettings(cx store.Context) []SettingInfo {
	list := ListSettings(c.settingsFor(cx), cx)
	_, ctxMetrics := c.managed.metricsDir(cx)
	for i := range list {
		if c.managed.IsManaged(list[i].Name) || list[i].Name == "metricsDir" && ctxMetrics {
			list[i].Source = SourceManaged
		}
	}
	return list
}

// settingsFor is Settings as they apply to context cx: with the metrics
// directory the managed file sets for cx alone in place.
func (c *Core) settingsFor(cx store.Context) Settings {
	s := c.Settings()
	if d, ok := c.managed.metricsDir(cx); ok {
		s.MetricsDir = d
	}
	return s
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
	reason := "managed configuration " + m.Path + ": " + strings.Join(m.Problems, "; ")
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
	return fmt.Errorf("the server's certificate chain does not hold the CA that the server's configuration pins (SHA-256 %s)", pin)
}
