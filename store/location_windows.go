package store

import (
	"errors"
	"os"
	"path/filepath"
)

// defaultLocation uses %LOCALAPPDATA% and %ProgramData% until the crypt32
// backend exists.
func defaultLocation() (Location, error) {
	local, pd := os.Getenv("LOCALAPPDATA"), os.Getenv("ProgramData")
	if local == "" || pd == "" {
		return Location{}, errors.New("store: LOCALAPPDATA or ProgramData is not set")
	}
	user, machine := filepath.Join(local, "certdesk"), filepath.Join(pd, "certdesk")
	return Location{Data: user, State: filepath.Join(user, "state"),
		Machine: machine, MachineState: filepath.Join(machine, "state")}, nil
}
