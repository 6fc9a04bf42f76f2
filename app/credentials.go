package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/internal/keyring"
	"github.com/certdesk/certdesk/store"
)

// Where passwords live: user and app contexts use the OS keyring (service
// "certdesk", account "<context>/<server id>/<username>"). The machine
// context runs as root from a system timer, where no per-user keyring
// exists (ECOSYSTEM.md §3.3), so it keeps each password in a root-only file
// <machine dir>/credentials/<server id> (0600 in a 0700 directory), as
// certmonger does. docs/core.md tells the person so.

// ErrNoPassword is wrapped when no password is saved for a server.
var ErrNoPassword = errors.New("no saved password")

// credentialDir is the machine context's credential directory.
const credentialDir = "credentials"

// keyringUser is the keyring account under which a server's password is.
func keyringUser(cx store.Context, srv Server) string {
	return string(cx) + "/" + srv.ID + "/" + srv.Username
}

// SetPassword saves the password of srv for context cx.
func (c *Core) SetPassword(ctx context.Context, cx store.Context, srv Server, password string) error {
	if strings.ContainsAny(password, "\r\n") {
		return errors.New("a password cannot contain a line break")
	}
	if cx == store.Machine {
		// Under the context lock, which also keeps other users out of the
		// directory (on Windows its DACL; 0700 elsewhere).
		if err := store.CheckFileName("server id", srv.ID); err != nil {
			return err
		}
		s, tx, err := c.lock(ctx, cx)
		if err != nil {
			return err
		}
		defer tx.Unlock()
		dir := filepath.Join(s.Dir(), credentialDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("save the password for %s: %w", srv.URL, err)
		}
		return atomicfile.Write(filepath.Join(dir, srv.ID), []byte(password), 0o600)
	}
	if err := c.keyring.Set(ctx, keyring.Service, keyringUser(cx, srv), password); err != nil {
		return fmt.Errorf("save the password for %s: %w", srv.URL, err)
	}
	return nil
}

// Password returns the saved password of srv, or an error wrapping
// ErrNoPassword (none saved) or keyring.ErrUnavailable.
func (c *Core) Password(ctx context.Context, cx store.Context, srv Server) (string, error) {
	if cx == store.Machine {
		s, err := c.Store(cx)
		if err != nil {
			return "", err
		}
		if err := store.CheckFileName("server id", srv.ID); err != nil {
			return "", err
		}
		b, err := atomicfile.ReadOwned(filepath.Join(s.Dir(), credentialDir, srv.ID))
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w for %s", ErrNoPassword, srv.URL)
		}
		if err != nil {
			return "", fmt.Errorf("read the password for %s: %w", srv.URL, err)
		}
		return string(b), nil
	}
	p, err := c.keyring.Get(ctx, keyring.Service, keyringUser(cx, srv))
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%w for %s", ErrNoPassword, srv.URL)
	}
	if err != nil {
		return "", fmt.Errorf("read the password for %s: %w", srv.URL, err)
	}
	return p, nil
}

// DeletePassword forgets the saved password of srv.
func (c *Core) DeletePassword(ctx context.Context, cx store.Context, srv Server) error {
	if cx == store.Machine {
		s, err := c.Store(cx)
		if err != nil {
			return err
		}
		if err := store.CheckFileName("server id", srv.ID); err != nil {
			return err
		}
		err = os.Remove(filepath.Join(s.Dir(), credentialDir, srv.ID))
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNoPassword
		}
		return err
	}
	err := c.keyring.Delete(ctx, keyring.Service, keyringUser(cx, srv))
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNoPassword
	}
	return err
}

// HasPassword reports whether a password is saved for srv (false also when
// the keyring cannot be asked).
func (c *Core) HasPassword(ctx context.Context, cx store.Context, srv Server) bool {
	_, err := c.Password(ctx, cx, srv)
	return err == nil
}
