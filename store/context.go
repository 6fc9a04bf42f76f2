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

// CheckFileName refuses a string that is to become a file or directory
// name but could not be one on every OS, so a store made on Linux or macOS
// moves to Windows intact: the names Windows reserves for devices (CON,
// PRN, AUX, NUL, COM1-COM9, LPT1-LPT9, and the superscript COM¹ ... LPT³), in
// any case and with any extension ("nul.txt"), and names ending in a dot or
// a space. It also refuses "", ".", "..", and names holding a path
// separator or a control character. what names the string in the error,
// which is one sentence.
func CheckFileName(what, name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("store: %s %q cannot be a file name", what, name)
	case strings.ContainsAny(name, `/\:*?"<>|`) || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("store: %s %q contains a character that cannot be in a file name", what, name)
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return fmt.Errorf("store: %s %q ends in a dot or a space, which Windows drops from file names", what, name)
	}
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.TrimRight(stem, " ")
	if isReservedDevice(stem) {
		return fmt.Errorf("store: %s %q is a device name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9), so it cannot be a file name", what, name)
	}
	return nil
}

func isReservedDevice(stem string) bool {
	u := strings.ToUpper(stem)
	switch u {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(u) >= 4 && (strings.HasPrefix(u, "COM") || strings.HasPrefix(u, "LPT")) {
		switch u[3:] {
		case "1", "2", "3", "4", "5", "6", "7", "8", "9", "\u00b9", "\u00b2", "\u00b3":
			return true
		}
	}
	return false
}

// AppContext returns the context of the application id, which must be 1–64
// letters, digits, '.', '_' or '-', starting with a letter or digit.
func AppContext(id string) (Context, error) {
	if !appIDRe.MatchString(id) || strings.Contains(id, "..") {
		return "", fmt.Errorf("store: invalid application id %q (use 1-64 letters, digits, '.', '_' or '-')", id)
	}
	if err := CheckFileName("application id", id); err != nil {
		return "", &ReservedContextError{ID: id, Err: err}
	}
	return Context("app:" + id), nil
}

// ReservedContextError is AppContext's error for an id that has the form
// of one but that CheckFileName refuses: a device name Windows reserves
// (CON, nul.txt) or one ending in a dot. Such a context may still be on
// disk, made before the rule; certdesk does not open it, and renaming its
// directories makes its certificates usable again. Dir and StateDir are
// set when it was found on disk (Location.AppContexts).
type ReservedContextError struct {
	ID            string // the id, the name of its directories
	Dir, StateDir string // where it was found; StateDir may not exist
	Err           error  // CheckFileName's error
}

func (e *ReservedContextError) Error() string {
	if e.Dir == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("store: the application context in %s is not opened: %s", e.Dir, strings.TrimPrefix(e.Err.Error(), "store: "))
}

// Unwrap returns CheckFileName's error.
func (e *ReservedContextError) Unwrap() error { return e.Err }

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
	if err := CheckFileName("store name", s); err != nil {
		return "", err
	}
	return Name(s), nil
}
