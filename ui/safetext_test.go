package ui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestDetailsEscapeHostileNames: a subject and SAN with ESC, CR/LF and
// U+202E are shown escaped in the details view, not obeyed.
func TestDetailsEscapeHostileNames(t *testing.T) {
	const cn = "evil\x1b[2J\r\nFAKE\u202egpj.exe"
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{"a\x1b[2J\r\nFAKE.example"}, NotBefore: testNow.AddDate(0, -1, 0), NotAfter: testNow.AddDate(0, 1, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)

	a := test.NewTempApp(t)
	d := newDetails(a.Clipboard())
	test.NewTempWindow(t, d.content)
	d.show(cert, nil, testNow, facts{})

	texts := append(labelTexts(d.general), labelTexts(d.extensions)...)
	all := strings.Join(texts, "\n")
	for _, want := range []string{`evil\x1b[2J\x0d\x0aFAKE\u202egpj.exe`, `a\x1b[2J\x0d\x0aFAKE.example`} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q:\n%s", want, all)
		}
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "\x1b\r\u202e") {
			t.Errorf("a label shows a raw control character: %q", s)
		}
	}
}
