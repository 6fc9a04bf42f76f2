package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/certdesk/certdesk/store"
)

// readConfigMap reads a JSON object file of the context directory (hooks,
// publications), keyed by thumbprint; a missing file is an empty map.
func readConfigMap[T any](s *store.Store, name string) (map[string]T, error) {
	m := map[string]T{}
	data, err := os.ReadFile(filepath.Join(s.Dir(), name))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return m, nil
}

// updateConfigMap applies f to such a file and rewrites it atomically;
// the caller holds the context lock.
func updateConfigMap[T any](s *store.Store, name string, f func(map[string]T)) error {
	m, err := readConfigMap[T](s, name)
	if err != nil {
		return err
	}
	f(m)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.Dir(), name), data, 0o600)
}
