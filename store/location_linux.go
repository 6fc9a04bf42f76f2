package store

import (
	"os"
	"path/filepath"
)

// defaultLocation follows the XDG base directories for user and app
// contexts and /var/lib/certdesk (root-only) for the machine context.
func defaultLocation() (Location, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Location{}, err
	}
	data := xdg("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	state := xdg("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	return Location{
		Data:         filepath.Join(data, "certdesk"),
		State:        filepath.Join(state, "certdesk"),
		Machine:      "/var/lib/certdesk",
		MachineState: "/var/lib/certdesk/state",
	}, nil
}

// xdg returns $name when it is an absolute path (the XDG rule) or def.
func xdg(name, def string) string {
	if v := os.Getenv(name); filepath.IsAbs(v) {
		return v
	}
	return def
}
