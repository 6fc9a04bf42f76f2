package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// The small JSON files keyed by thumbprint that the core keeps beside a
// context's stores (hooks, publications) or in its state directory (retry
// state).

// readConfigMap reads file name in dir; a missing file is an empty map.
func readConfigMap[T any](dir, name string) (map[string]T, error) {
	m := map[string]T{}
	data, err := atomicfile.ReadOwned(filepath.Join(dir, name))
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

// writeConfigMap writes m to file name in dir atomically, 0600.
func writeConfigMap[T any](dir, name string, m map[string]T) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, name), data, 0o600)
}

// updateConfigMap applies f to such a file and writes it back; the caller
// holds the context lock.
func updateConfigMap[T any](dir, name string, f func(map[string]T)) error {
	m, err := readConfigMap[T](dir, name)
	if err != nil {
		return err
	}
	f(m)
	return writeConfigMap(dir, name, m)
}
