//go:build !linux

package systrust

// systemAnchors returns ErrUnsupported: outside Linux, system trust goes
// through the native stores (crypt32, the macOS keychains).
func systemAnchors() ([]Anchors, error) { return nil, ErrUnsupported }

// defaultNSSDir returns ErrUnsupported: the shared ~/.pki/nssdb is a Linux
// convention; elsewhere browsers read the native stores.
func defaultNSSDir() (string, error) { return "", ErrUnsupported }

// browserGlobs returns ErrUnsupported: browsers elsewhere read the native stores.
func browserGlobs() ([]string, error) { return nil, ErrUnsupported }
