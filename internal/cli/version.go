package cli

import "runtime/debug"

// version is set at link time (Makefile: -ldflags "-X
// github.com/certdesk/certdesk/internal/cli.version=v1.2.3"); empty, the
// build information of the binary says what it can.
var version string

// Version returns certdesk's version: the link-time version, else the
// main module's version and the VCS revision the binary was built from,
// else "devel".
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + dirty + ")"
	}
	return v
}
