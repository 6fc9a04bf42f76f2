package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// ManagedPolicyKey is where Group Policy (or any tool writing policies)
// puts certdesk's managed configuration, under HKEY_LOCAL_MACHINE
// (docs/managed.md).
const ManagedPolicyKey = `SOFTWARE\Policies\certdesk`

// Caps on what the policy key may hold; anything past them is a problem
// and ignored, as a file over maxManaged is.
const (
	maxPolicyValue   = 64 << 10 // bytes of one value
	maxPolicyEntries = 256      // values of a key, server subkeys of Servers
)

// platformManaged reads HKLM\SOFTWARE\Policies\certdesk; no key manages
// nothing.
func platformManaged() (*Managed, string, error) {
	source := `HKLM\` + ManagedPolicyKey
	m, err := readManagedRegistry(registry.LOCAL_MACHINE, ManagedPolicyKey, source)
	return m, source, err
}

// readManagedRegistry reads the policy key path of root into the managed
// file's shape (docs/managed.md): the key's values are settings, each
// subkey of Servers a server, each subkey of Contexts a context's section
// (its values, its own Servers). REG_SZ and REG_EXPAND_SZ are strings,
// REG_DWORD and REG_QWORD numbers (autoEnroll's 0 and 1 false and true),
// REG_MULTI_SZ lists; a value of another type, or over 64 KiB, is a
// problem and left out. The checks are the file's (managedFromRaw).
func readManagedRegistry(root registry.Key, path, source string) (*Managed, error) {
	k, err := registry.OpenKey(root, path, registry.READ)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("managed configuration %s cannot be read: %v", source, err)
	}
	defer k.Close()
	r := &regReader{}
	raw := map[string]any{}
	if settings := r.values(k, source, nil); len(settings) > 0 {
		raw["settings"] = settings
	}
	if servers, ok := r.servers(k, source); ok {
		raw["servers"] = servers
	}
	if names, ok := r.subkeys(k, "Contexts", source); ok {
		contexts := map[string]any{}
		for _, name := range names {
			ck, err := registry.OpenKey(k, `Contexts\`+name, registry.READ)
			if err != nil {
				r.problem("%s\\Contexts\\%s cannot be read: %v", source, name, err)
				continue
			}
			where := source + `\Contexts\` + name
			section := r.values(ck, where, nil)
			if servers, ok := r.servers(ck, where); ok {
				section["servers"] = servers
			}
			ck.Close()
			contexts[name] = section
		}
		raw["contexts"] = contexts
	}
	return managedFromRaw(source, raw, r.problems)
}

// regReader collects the problems of one reading of the policy key, and
// the bytes read so far: past maxManaged, as for the file, values are
// problems and left out.
type regReader struct {
	problems []string
	read     int
}

func (r *regReader) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// subkeys lists the subkeys of k's subkey name, sorted, at most
// maxPolicyEntries; ok is false when there is no such subkey.
func (r *regReader) subkeys(k registry.Key, name, where string) (names []string, ok bool) {
	sk, err := registry.OpenKey(k, name, registry.READ)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		r.problem("%s\\%s cannot be read: %v", where, name, err)
		return nil, false
	}
	defer sk.Close()
	names, err = sk.ReadSubKeyNames(-1)
	if err != nil {
		r.problem("%s\\%s cannot be listed: %v", where, name, err)
		return nil, false
	}
	slices.Sort(names)
	if len(names) > maxPolicyEntries {
		r.problem("%s\\%s has %d subkeys: only the first %d are read", where, name, len(names), maxPolicyEntries)
		names = names[:maxPolicyEntries]
	}
	return names, true
}

// servers reads the subkeys of k's Servers, each a server entry, in the
// order of their names.
func (r *regReader) servers(k registry.Key, where string) ([]any, bool) {
	names, ok := r.subkeys(k, "Servers", where)
	if !ok {
		return nil, false
	}
	out := []any{}
	for _, name := range names {
		sk, err := registry.OpenKey(k, `Servers\`+name, registry.READ)
		if err != nil {
			r.problem("%s\\Servers\\%s cannot be read: %v", where, name, err)
			continue
		}
		out = append(out, r.values(sk, where+`\Servers\`+name, []string{"autoEnroll"}))
		sk.Close()
	}
	return out, true
}

// values reads the values of k, where names it in problems; a DWORD or
// QWORD 0 or 1 of a name in bools is false or true.
func (r *regReader) values(k registry.Key, where string, bools []string) map[string]any {
	out := map[string]any{}
	names, err := k.ReadValueNames(-1)
	if err != nil {
		r.problem("%s cannot be listed: %v", where, err)
		return out
	}
	slices.Sort(names)
	if len(names) > maxPolicyEntries {
		r.problem("%s has %d values: only the first %d are read", where, len(names), maxPolicyEntries)
		names = names[:maxPolicyEntries]
	}
	for _, name := range names {
		n, typ, err := k.GetValue(name, nil)
		if err != nil {
			r.problem("value %s of %s cannot be read: %v", name, where, err)
			continue
		}
		if n > maxPolicyValue {
			r.problem("value %s of %s is %d bytes, over the %d certdesk reads", name, where, n, maxPolicyValue)
			continue
		}
		if r.read += n; r.read > maxManaged {
			r.problem("value %s of %s is past the %d bytes certdesk reads of the policy key", name, where, maxManaged)
			continue
		}
		var v any
		switch typ {
		case registry.SZ:
			v, _, err = k.GetStringValue(name)
		case registry.EXPAND_SZ:
			var s string
			if s, _, err = k.GetStringValue(name); err == nil {
				v, err = registry.ExpandString(s)
			}
		case registry.DWORD, registry.QWORD:
			var u uint64
			u, _, err = k.GetIntegerValue(name)
			v = u
			if slices.ContainsFunc(bools, func(b string) bool { return strings.EqualFold(b, name) }) && u <= 1 {
				v = u == 1
			}
		case registry.MULTI_SZ:
			var list []string
			list, _, err = k.GetStringsValue(name)
			v = list
		default:
			r.problem("value %s of %s is of type %s: use REG_SZ, REG_DWORD or REG_MULTI_SZ", name, where, regType(typ))
			continue
		}
		if err != nil {
			r.problem("value %s of %s cannot be read: %v", name, where, err)
			continue
		}
		out[name] = v
	}
	return out
}

// regType names a registry value type as regedit does.
func regType(t uint32) string {
	switch t {
	case registry.NONE:
		return "REG_NONE"
	case registry.BINARY:
		return "REG_BINARY"
	case registry.LINK:
		return "REG_LINK"
	case registry.RESOURCE_LIST:
		return "REG_RESOURCE_LIST"
	case registry.FULL_RESOURCE_DESCRIPTOR:
		return "REG_FULL_RESOURCE_DESCRIPTOR"
	case registry.RESOURCE_REQUIREMENTS_LIST:
		return "REG_RESOURCE_REQUIREMENTS_LIST"
	case registry.DWORD_BIG_ENDIAN:
		return "REG_DWORD_BIG_ENDIAN"
	}
	return fmt.Sprintf("%d", t)
}
