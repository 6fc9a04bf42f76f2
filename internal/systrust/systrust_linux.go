package systrust

import (
	"os"
	"path/filepath"
)

// anchorTable lists, in mkcert's detection order, where Linux distributions
// keep extra trust anchors and the command that rebuilds their bundle.
var anchorTable = []Anchors{
	{Name: "fedora", Dir: "/etc/pki/ca-trust/source/anchors", Ext: ".pem", Update: []string{"update-ca-trust", "extract"}},
	{Name: "debian", Dir: "/usr/local/share/ca-certificates", Ext: ".crt", Update: []string{"update-ca-certificates"}},
	{Name: "arch", Dir: "/etc/ca-certificates/trust-source/anchors", Ext: ".crt", Update: []string{"trust", "extract-compat"}},
	{Name: "suse", Dir: "/usr/share/pki/trust/anchors", Ext: ".pem", Update: []string{"update-ca-certificates"}},
}

// systemAnchors returns the candidate system trust stores of this OS.
func systemAnchors() ([]Anchors, error) { return anchorTable, nil }

// browserTable lists, relative to the home directory, where browsers keep
// NSS databases: the shared one (Chromium, Chrome, most Electron apps) first,
// then snap Chromium and Firefox profiles (globs).
var browserTable = []string{
	".pki/nssdb",
	"snap/chromium/current/.pki/nssdb",
	".mozilla/firefox/*",
	"snap/firefox/common/.mozilla/firefox/*",
}

// browserGlobs returns the browser NSS database locations of this OS.
func browserGlobs() ([]string, error) { return browserTable, nil }

// defaultNSSDir returns the shared NSS database of the user: ~/.pki/nssdb.
func defaultNSSDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, browserTable[0]), nil
}
