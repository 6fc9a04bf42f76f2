package keyring

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

// needService skips the test when no session bus exists, unless CI demands
// a real Secret Service (REQUIRE_SECRET_SERVICE=1).
func needService(t *testing.T) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("REQUIRE_SECRET_SERVICE") == "1" {
			t.Fatal("REQUIRE_SECRET_SERVICE=1 but no session bus; run under scripts/with-keyring.sh")
		}
		t.Skip("no session bus; run under scripts/with-keyring.sh")
	}
}

func TestRealSecretService(t *testing.T) {
	needService(t)
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	user := "test-" + hex.EncodeToString(b)
	if err := Set(ctx, Service, user, "s3cret"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := Get(ctx, Service, user)
	if err != nil || got != "s3cret" {
		t.Fatalf("Get = %q, %v; want s3cret", got, err)
	}
	if err := Delete(ctx, Service, user); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := Get(ctx, Service, user); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v; want ErrNotFound", err)
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		bus  string
	}{
		{"no bus address", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.bus)
			_, err := Get(context.Background(), Service, "nobody")
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Get: %v; want ErrUnavailable", err)
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "gnome-keyring") {
				t.Errorf("message %q is not one sentence with the remedy", err)
			}
		})
	}
}

// TestMapError feeds the errors seen without a usable Secret Service
// (ENV.md §4). A missing socket is not exercised live: godbus caches its
// session connection per process.
func TestMapError(t *testing.T) {
	tests := []struct {
		name  string
		cause string
	}{
		{"no dbus-launch", `exec: "dbus-launch": executable file not found in $PATH`},
		{"missing socket", "dial unix /tmp/nonexistent: connect: no such file or directory"},
		{"no secrets service", "The name org.freedesktop.secrets was not provided by any .service files"},
		{"locked collection", "failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := errors.New(tt.cause)
			err := mapError(cause)
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) || err.Error() != ErrUnavailable.Error() {
				t.Fatalf("mapError(%q) = %v", tt.cause, err)
			}
		})
	}
}
