package app

import (
	"net/url"
	"strings"
)

// ProtocolForURL is the one rule for the protocol a server's address
// suggests, which the GUI's Add dialog preselects: NDES's
// /certsrv/mscep/mscep.dll (or any path ending in .dll under mscep, or
// /scep) is SCEP, /.well-known/est is EST, anything else CEP. The person
// may still choose another.
func ProtocolForURL(raw string) Protocol {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ProtocolCEP
	}
	p := strings.ToLower(strings.TrimSuffix(u.Path, "/"))
	switch {
	case strings.Contains(p, "/.well-known/est"):
		return ProtocolEST
	case strings.HasSuffix(p, "/mscep/mscep.dll"), strings.HasSuffix(p, "/mscep"), strings.HasSuffix(p, "/scep"),
		strings.Contains(p, "/scep/"), strings.HasSuffix(p, "/pkiclient.exe"):
		return ProtocolSCEP
	}
	return ProtocolCEP
}

// CheckProtocolURL is the check AddServer makes of a server's address for
// protocol p (CheckServerURL, with SCEP's exception for plain http with a
// pinned CA and no password), for forms that check as the person types.
func CheckProtocolURL(p Protocol, raw string, password, pinned bool) error {
	return checkProtocolURL(p, raw, password, pinned)
}
