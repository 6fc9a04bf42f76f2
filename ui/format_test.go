package ui

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/certdesk/certdesk/app"
)

func TestStatusOf(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		nb, na    time.Time
		revoked   string // the cached revocation status
		archived  bool
		want      Status
		wantColor fyne.ThemeColorName
	}{
		{"valid", now.Add(-day), now.Add(90 * day), "", false, StatusValid, theme.ColorNameSuccess},
		{"checked good", now.Add(-day), now.Add(90 * day), app.RevocationGood, false, StatusValid, theme.ColorNameSuccess},
		{"expiring soon", now.Add(-day), now.Add(12 * day), "", false, StatusExpiringSoon, theme.ColorNameWarning},
		{"exactly 30 days", now.Add(-day), now.Add(30 * day), app.RevocationUnknown, false, StatusExpiringSoon, theme.ColorNameWarning},
		{"expired", now.Add(-10 * day), now.Add(-3 * day), "", false, StatusExpired, theme.ColorNameError},
		{"not yet valid", now.Add(day), now.Add(90 * day), "", false, StatusNotYetValid, theme.ColorNamePrimary},
		{"revoked over valid", now.Add(-day), now.Add(90 * day), app.RevocationRevoked, false, StatusRevoked, theme.ColorNameError},
		{"revoked over expiring", now.Add(-day), now.Add(12 * day), app.RevocationRevoked, false, StatusRevoked, theme.ColorNameError},
		{"archived wins", now.Add(-10 * day), now.Add(-3 * day), "", true, StatusArchived, theme.ColorNameDisabled},
		{"archived over revoked", now.Add(-day), now.Add(90 * day), app.RevocationRevoked, true, StatusArchived, theme.ColorNameDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statusOf(tt.nb, tt.na, tt.revoked, tt.archived, now)
			if got != tt.want || got.ColorName() != tt.wantColor {
				t.Errorf("statusOf = %v (%s), want %v (%s)", got, got.ColorName(), tt.want, tt.wantColor)
			}
		})
	}
}

func TestFormatExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"days", 12*24*time.Hour + time.Hour, "in 12 days"},
		{"one day", 25 * time.Hour, "in 1 day"},
		{"hours", 5*time.Hour + 10*time.Minute, "in 5 hours"},
		{"minutes", 3 * time.Minute, "in 3 minutes"},
		{"now", 10 * time.Second, "in under a minute"},
		{"expired days", -3*24*time.Hour - time.Hour, "expired 3 days ago"},
		{"expired hour", -time.Hour, "expired 1 hour ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatExpiry(now.Add(tt.d), now); got != tt.want {
				t.Errorf("formatExpiry = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDN(t *testing.T) {
	tests := []struct {
		name   string
		n      pkix.Name
		wantDN string
		wantCN string
	}{
		{"cn and o", pkix.Name{CommonName: "host.example.com", Organization: []string{"Example"}}, "CN=host.example.com, O=Example", "host.example.com"},
		{"escaped comma", pkix.Name{CommonName: "x", Organization: []string{"A, Inc."}}, `CN=x, O=A\, Inc.`, "x"},
		{"no cn", pkix.Name{Organization: []string{"Org"}, OrganizationalUnit: []string{"Unit"}}, "OU=Unit, O=Org", "Org"},
		{"ou only", pkix.Name{OrganizationalUnit: []string{"Unit"}}, "OU=Unit", "Unit"},
		{"country only", pkix.Name{Country: []string{"DE"}}, "C=DE", "C=DE"},
		{"empty", pkix.Name{}, "(empty)", "(empty)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatDN(tt.n); got != tt.wantDN {
				t.Errorf("formatDN = %q, want %q", got, tt.wantDN)
			}
			if got := commonName(tt.n); got != tt.wantCN {
				t.Errorf("commonName = %q, want %q", got, tt.wantCN)
			}
		})
	}
}

func TestFormatHex(t *testing.T) {
	b := []byte{0xde, 0xad, 0xbe, 0xef, 0x01}
	tests := []struct {
		name  string
		group int
		want  string
	}{
		{"plain", 0, "DEADBEEF01"},
		{"bytes", 1, "DE AD BE EF 01"},
		{"pairs", 2, "DEAD BEEF 01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatHex(b, tt.group); got != tt.want {
				t.Errorf("formatHex = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatKey(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	tests := []struct {
		name string
		pub  any
		want string
	}{
		{"rsa", &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2047), E: 65537}, "RSA 2048"},
		{"ecdsa", &p256.PublicKey, "ECDSA P-256"},
		{"ed25519", edPub, "Ed25519"},
		{"other", "x", "Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatKey(tt.pub); got != tt.want {
				t.Errorf("formatKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"machine", contextLabel("machine"), "Machine"},
		{"user", contextLabel("user"), "User"},
		{"app", contextLabel("app:vpn"), "App: vpn"},
		{"my", storeLabel("My"), "Personal"},
		{"root", storeLabel("Root"), "Trusted Root"},
		{"ca", storeLabel("CA"), "Intermediate"},
		{"request", storeLabel("Request"), "Pending Requests"},
		{"other", storeLabel("TrustedPeople"), "TrustedPeople"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestFormatUsages(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"key usage", formatKeyUsage(x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment),
			[]string{"Digital Signature", "Key Encipherment"}},
		{"oids", []string{formatOID("1.3.6.1.5.5.7.3.2"), formatOID("1.3.6.1.4.1.311.20.2.2"), formatOID("1.2.3")},
			[]string{"Client Authentication (1.3.6.1.5.5.7.3.2)", "Smart Card Logon (1.3.6.1.4.1.311.20.2.2)", "1.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
