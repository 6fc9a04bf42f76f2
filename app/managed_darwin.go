package app

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
)

// managedPrefsDir is where macOS keeps the managed preferences that
// configuration profiles and MDM install.
const managedPrefsDir = "/Library/Managed Preferences"

// platformManaged reads the managed preferences of ManagedAppID: the
// computer's, then the person's own (which win), as CFPreferences ranks
// them. The machine context runs as root, which reads only the computer's.
func platformManaged() (*Managed, string, error) {
	return readManagedPlists(managedPrefsPaths(os.Geteuid(), currentUser()))
}

// managedPrefsPaths returns the managed-preferences plists of ManagedAppID
// for the user name (with effective uid euid), computer's first.
func managedPrefsPaths(euid int, name string) []string {
	paths := []string{filepath.Join(managedPrefsDir, ManagedAppID+".plist")}
	if euid != 0 && name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00") {
		paths = append(paths, filepath.Join(managedPrefsDir, name, ManagedAppID+".plist"))
	}
	return paths
}

// currentUser is the short name of the user certdesk runs as, or "".
func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}
