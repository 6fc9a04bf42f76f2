package app

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/certdesk/certdesk/store"
)

// ErrServerExists is returned by CheckNewServer, and by AddServer with
// ServerOptions.OnlyNew, for a URL already registered in the context:
// replacing its entry would drop what the first registration carried
// (name, autoenrollment, KBR URL, trusted CA). UpdateServer changes
// single fields instead.
var ErrServerExists = errors.New("the policy server is already registered")

// CheckNewServer returns an error wrapping ErrServerExists, naming the
// registered server, when rawURL is registered in context cx; nil when it
// is not. Callers ask before sending anything to the server.
func (c *Core) CheckNewServer(cx store.Context, rawURL string) error {
	old, err := c.Server(cx, ServerID(rawURL))
	if err != nil {
		return nil
	}
	return &ServerExistsError{Server: old}
}

// ServerExistsError is the ErrServerExists of a given server.
type ServerExistsError struct{ Server Server }

// Error names the registered server: "URL: the policy server is already
// registered as ID".
func (e *ServerExistsError) Error() string {
	return fmt.Sprintf("%s: %s as %s", e.Server.URL, ErrServerExists, e.Server.ID)
}

// Unwrap returns ErrServerExists.
func (e *ServerExistsError) Unwrap() error { return ErrServerExists }

// ErrEmptyPassword is returned where a password is given but empty.
var ErrEmptyPassword = errors.New("the password is empty")

// ServerUpdate is a partial change of a registered server: nil fields
// stay as they are.
type ServerUpdate struct {
	FriendlyName *string
	// Password replaces the saved password (password authentication
	// only); it must not be empty.
	Password   *string
	AutoEnroll *bool
	// KBRURL sets the key-based-renewal CEP; "" removes it.
	KBRURL *string
	// CAFile is a CA certificate to trust for the server, imported into
	// the context's Root store only with TrustCA, as in ServerOptions.
	CAFile  string
	TrustCA bool
}

// trustedCAFile reads the CA file of a server (nil for none) and returns
// its CA once the person confirmed it (trust); before, ErrCAFileNotTrusted
// with the fingerprint to check.
func trustedCAFile(path string, trust bool) (*x509.Certificate, error) {
	if path == "" {
		return nil, nil
	}
	b, err := caFile(path)
	if err != nil {
		return nil, err
	}
	root := b.Certs[0]
	if !trust {
		return nil, fmt.Errorf("%w: %s is %q with SHA-256 fingerprint %X", ErrCAFileNotTrusted,
			path, root.Subject.String(), sha256.Sum256(root.Raw))
	}
	return root, nil
}

// UpdateServer applies u to the server ref (id, URL or friendly name) of
// context cx and returns it as saved. Everything is checked before the
// first write; the password is saved first, so a missing keyring changes
// nothing.
func (c *Core) UpdateServer(ctx context.Context, cx store.Context, ref string, u ServerUpdate) (Server, error) {
	srv, err := c.Server(cx, ref)
	if err != nil {
		return Server{}, err
	}
	if srv.Managed && (u.FriendlyName != nil || u.AutoEnroll != nil || u.KBRURL != nil || u.CAFile != "") {
		return Server{}, fmt.Errorf("server %s %w; only its password is yours to set", srv.URL, ErrManagedServer)
	}
	if u.Password != nil {
		if srv.Auth != AuthPassword {
			return Server{}, fmt.Errorf("server %s uses %s authentication, which takes no password", srv.ID, srv.Auth)
		}
		if *u.Password == "" {
			return Server{}, fmt.Errorf("server %s: %w", srv.ID, ErrEmptyPassword)
		}
	}
	if u.KBRURL != nil && *u.KBRURL != "" {
		if err := CheckServerURL(*u.KBRURL, false); err != nil {
			return Server{}, err
		}
	}
	s, err := c.Store(cx)
	if err != nil {
		return Server{}, err
	}
	root, err := trustedCAFile(u.CAFile, u.TrustCA)
	if err != nil {
		return Server{}, err
	}
	if u.Password != nil {
		if err := c.SetPassword(ctx, cx, srv, *u.Password); err != nil {
			return Server{}, err
		}
	}
	if srv.Managed {
		return srv, nil
	}
	if root != nil {
		if _, _, err := s.Add(ctx, store.Root, root, nil, store.Meta{FriendlyName: "CA of " + srv.URL}); err != nil {
			return Server{}, err
		}
	}
	err = c.updateServers(ctx, cx, func(list []Server) ([]Server, error) {
		for i := range list {
			if list[i].ID != srv.ID {
				continue
			}
			if u.FriendlyName != nil {
				list[i].FriendlyName = *u.FriendlyName
			}
			if u.AutoEnroll != nil {
				list[i].AutoEnroll = *u.AutoEnroll
			}
			if u.KBRURL != nil {
				list[i].KBRURL = *u.KBRURL
			}
			if root != nil {
				list[i].TrustedCA = store.Thumbprint(root.Raw)
			}
			srv = list[i]
			return list, nil
		}
		return nil, fmt.Errorf("%w %q in the %s context (removed meanwhile)", ErrNoServer, ref, cx)
	})
	return srv, err
}
