package keychain

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// securityTool is the path of security(1).
const securityTool = "/usr/bin/security"

// keychains maps a context to its keychain ("~" is the user's home) and
// whether its trust settings are in the admin domain.
var keychains = map[string]struct {
	path  string
	admin bool
}{
	"user":    {"~/Library/Keychains/login.keychain-db", false},
	"machine": {"/Library/Keychains/System.keychain", true},
}

// keychainPath returns the keychain of the context.
func keychainPath(context string) (string, bool, error) {
	k, ok := keychains[context]
	if !ok {
		return "", false, fmt.Errorf("keychain: context %q has no macOS keychain: %w", context, ErrUnsupported)
	}
	if rest, ok := strings.CutPrefix(k.path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false, err
		}
		return filepath.Join(home, rest), k.admin, nil
	}
	return k.path, k.admin, nil
}
