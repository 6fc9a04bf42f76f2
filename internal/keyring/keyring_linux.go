package keyring

import "os"

// precheck refuses to call the Secret Service when no session bus address
// is set: godbus would otherwise try to autolaunch dbus-launch, which
// either fails or, with dbus-x11 installed, hangs forever (ENV.md §4).
func precheck() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return ErrUnavailable
	}
	return nil
}
