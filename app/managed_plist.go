package app

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"howett.net/plist"
)

// ManagedAppID is the macOS managed-preferences domain certdesk reads:
// the app id of FyneApp.toml, which a configuration profile's payload
// names as its PayloadType.
const ManagedAppID = "io.github.certdesk"

// readManagedPlists reads macOS managed preferences (docs/managed.md):
// the plists at paths, XML or binary, each a dictionary of the JSON
// file's shape, a later one's keys winning over an earlier one's (and
// within settings, setting by setting), as a user's managed preferences
// win over the computer's. Missing files are skipped; none at all manages
// nothing. A file that cannot be read or is not a dictionary is one
// problem and left out. The checks are the file's (managedFromRaw).
func readManagedPlists(paths []string) (*Managed, string, error) {
	var problems, sources []string
	var raw map[string]any
	for _, path := range paths {
		data, err := readManagedFile(path)
		if err != nil {
			problems, sources = append(problems, err.Error()), append(sources, path)
			continue
		}
		if data == nil {
			continue
		}
		sources = append(sources, path)
		if err := checkBplistSize(data); err != nil {
			problems = append(problems, fmt.Sprintf("managed preferences %s %v", path, err))
			continue
		}
		top, err := decodePlist(data)
		if err != nil {
			problems = append(problems, fmt.Sprintf("managed preferences %s are not a property list", path))
			continue
		}
		dict, ok := top.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("managed preferences %s are not a dictionary", path))
			continue
		}
		if raw == nil {
			raw = map[string]any{}
		}
		for _, k := range slices.Sorted(maps.Keys(dict)) {
			if strings.HasPrefix(k, "Payload") {
				continue // a configuration profile's bookkeeping, not certdesk's
			}
			v, ok := plistValue(dict[k], path+": "+k, &problems)
			if !ok {
				continue
			}
			old, oldOK := raw[k].(map[string]any)
			now, nowOK := v.(map[string]any)
			if k == "settings" && oldOK && nowOK {
				maps.Copy(old, now)
				continue
			}
			raw[k] = v
		}
	}
	source := strings.Join(sources, " and ")
	if len(sources) == 0 {
		return nil, "", nil
	}
	if raw == nil {
		return nil, source, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	m, err := managedFromRaw(source, raw, problems)
	return m, source, err
}

// decodePlist decodes a property list of any format. A flaw the parser
// did not foresee (it re-panics on runtime errors) is an error too: the
// file is the administrator's, but a bad one must not stop certdesk.
func decodePlist(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("the property list cannot be parsed: %v", r)
		}
	}()
	_, err = plist.Unmarshal(data, &v)
	return v, err
}

// plistValue is a decoded plist value in the JSON file's shape. Data,
// dates and numbers JSON cannot hold are problems (at where, the key path)
// and left out, entry by entry: ok is false for such a value itself.
func plistValue(v any, where string, problems *[]string) (out any, ok bool) {
	bad := func(what string) (any, bool) {
		*problems = append(*problems, fmt.Sprintf("%s ignored: %s, where certdesk takes strings, numbers, booleans, arrays and dictionaries", where, what))
		return nil, false
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if c, ok := plistValue(v[k], where+"."+k, problems); ok {
				out[k] = c
			}
		}
		return out, true
	case []any:
		out := make([]any, 0, len(v))
		for i, e := range v {
			if c, ok := plistValue(e, fmt.Sprintf("%s[%d]", where, i+1), problems); ok {
				out = append(out, c)
			}
		}
		return out, true
	case []byte:
		return bad("a <data> value")
	case time.Time:
		return bad("a <date> value")
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("a number that is not finite")
		}
	}
	return v, true
}
