//go:build !windows

package capi

// Store is an open system store; outside Windows none can be opened.
type Store struct{}

// Open returns ErrUnsupported outside Windows.
func Open(loc Location, name string) (*Store, error) {
	return nil, &Error{Op: "open", Loc: loc, Store: name, Err: ErrUnsupported}
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// List returns ErrUnsupported.
func (s *Store) List(ListOptions) ([]Cert, error) { return nil, ErrUnsupported }

// Add returns ErrUnsupported.
func (s *Store) Add([]byte) error { return ErrUnsupported }

// Delete returns ErrUnsupported.
func (s *Store) Delete(string, bool) error { return ErrUnsupported }

// ImportPFX returns ErrUnsupported.
func (s *Store) ImportPFX([]byte, string, bool) ([]string, error) { return nil, ErrUnsupported }
