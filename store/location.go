package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// RootEnv is the environment variable that relocates every context under
// one directory (tests, demos, portable installs). Only LocationFromEnv
// reads it; the package itself never consults the environment.
const RootEnv = "CERTDESK_ROOT"

// Location says where contexts keep their files. Data holds user and app
// contexts (Data/user, Data/apps/<id>) and State their state (history);
// Machine and MachineState are the machine context's directories.
type Location struct {
	Data, State           string
	Machine, MachineState string
}

// LocationAt puts every context under dir: dir/machine, dir/user,
// dir/apps/<id>, with state directories under dir/state.
func LocationAt(dir string) Location {
	return Location{
		Data:         dir,
		State:        filepath.Join(dir, "state"),
		Machine:      filepath.Join(dir, "machine"),
		MachineState: filepath.Join(dir, "state", "machine"),
	}
}

// DefaultLocation returns the platform's locations (docs/store.md).
func DefaultLocation() (Location, error) { return defaultLocation() }

// LocationFromEnv returns LocationAt($CERTDESK_ROOT) when the variable is
// set and DefaultLocation otherwise; getenv is usually os.Getenv.
func LocationFromEnv(getenv func(string) string) (Location, error) {
	if dir := getenv(RootEnv); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return Location{}, err
		}
		return LocationAt(abs), nil
	}
	return DefaultLocation()
}

// dirs returns the data and state directories of context c.
func (l Location) dirs(c Context) (dir, state string, err error) {
	switch {
	case c == Machine:
		dir, state = l.Machine, l.MachineState
	case c == User:
		dir, state = filepath.Join(l.Data, "user"), filepath.Join(l.State, "user")
	case c.AppID() != "":
		dir, state = filepath.Join(l.Data, "apps", c.AppID()), filepath.Join(l.State, "apps", c.AppID())
	}
	if dir == "" || state == "" {
		return "", "", errors.New("store: location has no directory for context " + string(c))
	}
	return dir, state, nil
}

// AppContexts returns the application contexts that have a directory
// under the data location, in name order. A directory named like an id
// that CheckFileName refuses (an app context made before that rule) is not
// listed but returned in reserved, with its directories, so that it does
// not hide the others and a frontend can say how to rename it. Other
// entries (files, links, names no id can have) are ignored.
func (l Location) AppContexts() (cxs []Context, reserved []*ReservedContextError, err error) {
	apps := filepath.Join(l.Data, "apps")
	des, err := os.ReadDir(apps)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	for _, d := range des {
		if !d.IsDir() {
			continue
		}
		cx, err := AppContext(d.Name())
		var re *ReservedContextError
		switch {
		case err == nil:
			cxs = append(cxs, cx)
		case errors.As(err, &re):
			re.Dir, re.StateDir = filepath.Join(apps, re.ID), filepath.Join(l.State, "apps", re.ID)
			reserved = append(reserved, re)
		}
	}
	return cxs, reserved, nil
}
