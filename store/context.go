package store

import (
	"fmt"
	"regexp"
	"strings"
)

// Context names whose certificates a Store holds: Machine, User, or an
// application's own context "app:<id>".
type Context string

// The fixed contexts. Application contexts come from AppContext or
// ParseContext.
const (
	Machine Context = "machine"
	User    Context = "user"
)

// Name is the name of a store inside a context.
type Name string

// The standard stores, with the names Windows uses.
const (
	My      Name = "My"      // own certificates with their keys
	Root    Name = "Root"    // trusted root certificates
	CA      Name = "CA"      // intermediate certificates
	Request Name = "Request" // pending requests: a placeholder certificate with the waiting key
)

// StandardNames lists the stores every context has.
var StandardNames = []Name{My, Root, CA, Request}

// Ids and names become directory names, so they are restricted to a
// portable, case-insensitively unique-looking alphabet with no dots first.
var (
	appIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	nameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// AppContext returns the context of the application id, which must be 1–64
// letters, digits, '.', '_' or '-', starting with a letter or digit.
func AppContext(id string) (Context, error) {
	if !appIDRe.MatchString(id) || strings.Contains(id, "..") {
		return "", fmt.Errorf("store: invalid application id %q (use 1-64 letters, digits, '.', '_' or '-')", id)
	}
	return Context("app:" + id), nil
}

// ParseContext parses "machine", "user" or "app:<id>".
func ParseContext(s string) (Context, error) {
	switch c := Context(s); {
	case c == Machine || c == User:
		return c, nil
	case strings.HasPrefix(s, "app:"):
		return AppContext(strings.TrimPrefix(s, "app:"))
	}
	return "", fmt.Errorf("store: unknown context %q (want machine, user or app:<id>)", s)
}

// AppID returns the application id of an app context, or "".
func (c Context) AppID() string {
	id, _ := strings.CutPrefix(string(c), "app:")
	if id == string(c) {
		return ""
	}
	return id
}

// ParseName validates a store name: 1–64 letters, digits, '_' or '-'. The
// standard names are matched case-insensitively and returned in their
// canonical spelling, so "my" and "MY" both mean My (as on Windows).
func ParseName(s string) (Name, error) {
	for _, n := range StandardNames {
		if strings.EqualFold(s, string(n)) {
			return n, nil
		}
	}
	if !nameRe.MatchString(s) {
		return "", fmt.Errorf("store: invalid store name %q (use 1-64 letters, digits, '_' or '-')", s)
	}
	return Name(s), nil
}
