//go:build !darwin

package keychain

// securityTool is empty: there is no security(1) outside macOS.
const securityTool = ""

// keychainPath returns ErrUnsupported outside macOS.
func keychainPath(context string) (string, bool, error) { return "", false, ErrUnsupported }
