//go:build !windows && !darwin && !linux

package store

import (
	"os"
	"path/filepath"
)

// defaultLocation falls back to ~/.certdesk and /var/lib/certdesk.
func defaultLocation() (Location, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Location{}, err
	}
	user := filepath.Join(home, ".certdesk")
	return Location{Data: user, State: filepath.Join(user, "state"),
		Machine: "/var/lib/certdesk", MachineState: "/var/lib/certdesk/state"}, nil
}
