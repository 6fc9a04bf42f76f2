package store

import (
	"os"
	"path/filepath"
)

// defaultLocation uses Application Support, per user and system-wide.
func defaultLocation() (Location, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Location{}, err
	}
	user := filepath.Join(home, "Library", "Application Support", "certdesk")
	machine := "/Library/Application Support/certdesk"
	return Location{Data: user, State: filepath.Join(user, "state"),
		Machine: machine, MachineState: filepath.Join(machine, "state")}, nil
}
