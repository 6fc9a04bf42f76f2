#!/usr/bin/env bash
# screenshots.sh BINARY OUTDIR: starts the GUI under Xvfb on a throwaway
# CERTDESK_ROOT filled with demo certificates, drives it with xdotool
# (browse a store, open the details, search, import) and saves PNGs in
# OUTDIR. Needs Go (to make the demo certificates), Xvfb, xdotool and
# ImageMagick's import.
set -euo pipefail
bin=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
tmp=$(mktemp -d)
disp=:$((500 + RANDOM % 400))
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
cleanup() {
	[ -n "${apid:-}" ] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export DISPLAY=$disp LANG=en_US.UTF-8 CERTDESK_ROOT="$tmp/root"

# Demo certificates: a root, an issuing CA and leaves with keys, one about
# to expire and one expired; the leaves go in through the store CLI.
mkdir -p "$tmp/certs" "$tmp/gen"
cat >"$tmp/gen/main.go" <<'GO'
// gen writes demo certificates as PEM files (certificate, chain, key) into
// the directory given as its argument.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"time"
	"unicode/utf16"
)

var serial int64 = 100

func tmplName(s string) pkix.Extension {
	u := utf16.Encode([]rune(s))
	b := []byte{30, byte(2 * len(u))}
	for _, r := range u {
		b = append(b, byte(r>>8), byte(r))
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2}, Value: b}
}

func cert(t *x509.Certificate, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	serial++
	t.SerialNumber = big.NewInt(serial)
	if parent == nil {
		parent = t
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, pub, signer)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func write(dir, name string, key crypto.Signer, certs ...*x509.Certificate) {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if key != nil {
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
	}
	if err := os.WriteFile(filepath.Join(dir, name), out, 0o600); err != nil {
		panic(err)
	}
}

func main() {
	dir := os.Args[1]
	now := time.Now().Truncate(time.Hour)
	day := 24 * time.Hour
	rootKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	root := cert(&x509.Certificate{Subject: pkix.Name{CommonName: "Example Corp Root CA", Organization: []string{"Example Corp"}, Country: []string{"DE"}},
		NotBefore: now.Add(-400 * day), NotAfter: now.Add(3650 * day), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, nil, &rootKey.PublicKey, rootKey)
	caKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ca := cert(&x509.Certificate{Subject: pkix.Name{CommonName: "Example Corp Issuing CA 1", Organization: []string{"Example Corp"}},
		NotBefore: now.Add(-300 * day), NotAfter: now.Add(1800 * day), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, CRLDistributionPoints: []string{"http://pki.corp.example.com/root.crl"}},
		root, &caKey.PublicKey, rootKey)
	write(dir, "root.pem", nil, root)
	write(dir, "ca.pem", nil, ca)
	leaf := func(file, cn, template string, nb, na time.Time, eku []x509.ExtKeyUsage, dns ...string) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		c := cert(&x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: []string{"Example Corp"}},
			NotBefore: nb, NotAfter: na, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku, DNSNames: dns,
			BasicConstraintsValid: true, OCSPServer: []string{"http://ocsp.corp.example.com"},
			IssuingCertificateURL: []string{"http://pki.corp.example.com/issuing1.crt"},
			CRLDistributionPoints: []string{"http://pki.corp.example.com/issuing1.crl"},
			ExtraExtensions:       []pkix.Extension{tmplName(template)}}, ca, &k.PublicKey, caKey)
		write(dir, file, k, c, ca)
	}
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	leaf("kiosk01.pem", "kiosk01.corp.example.com", "WebServer", now.Add(-78*day), now.Add(12*day+2*time.Hour), server, "kiosk01.corp.example.com", "kiosk01")
	leaf("user.pem", "Kiosk User", "User", now.Add(-30*day), now.Add(335*day), client)
	leaf("vpn.pem", "vpn-client-kiosk01", "VPNClient", now.Add(-10*day), now.Add(170*day), client)
	leaf("wifi.pem", "wifi.corp.example.com", "Workstation", now.Add(-400*day), now.Add(-3*day), client, "wifi.corp.example.com")
	leaf("drop.pem", "printer.corp.example.com", "WebServer", now.Add(-day), now.Add(89*day), server, "printer.corp.example.com")
}
GO
(cd "$tmp/gen" && GO111MODULE=off go run main.go "$tmp/certs")
"$bin" store protect -mode file >/dev/null
"$bin" store import -trust-roots -store Root "$tmp/certs/root.pem" >/dev/null
for f in kiosk01 user vpn wifi; do "$bin" store import "$tmp/certs/$f.pem" >/dev/null; done
mkdir -p "$tmp/home"
openssl pkcs12 -export -in "$tmp/certs/drop.pem" -passout pass:demo -out "$tmp/home/printer.pfx"

(cd "$tmp/home" && HOME="$tmp/home" dbus-run-session -- "$bin" >"$tmp/log" 2>&1) &
apid=$!
wid=
for _ in $(seq 1 40); do
	wid=$(xdotool search --name '^certdesk$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
	sleep 0.5
done
[ -n "$wid" ] || { echo "screenshots: no window" >&2; cat "$tmp/log" >&2; exit 1; }
xdotool windowmove "$wid" 0 0 windowsize "$wid" 1280 800
sleep 2

shot() { sleep "${2:-1}"; /usr/bin/import -window "$wid" "$out/$1.png"; echo "screenshots: $out/$1.png"; }
click() { xdotool mousemove --window "$wid" "$1" "$2"; sleep 0.3; xdotool click 1; }

shot browser
click 400 "${ROW2_Y:-209}"          # the certificate that expires soon
shot details
click "${EXT_X:-420}" "${TABS_Y:-470}"  # Extensions tab
shot extensions
click "${CHAIN_X:-525}" "${TABS_Y:-470}"  # Chain tab
shot chain

click 250 50                        # Import…
shot import-dialog 2
click 535 250                       # printer.pfx
click 1004 657                      # Open
sleep 1
xdotool type --delay 50 "wrong"; xdotool key Return
shot import-wrong-password 2
xdotool key ctrl+a; xdotool type --delay 50 "demo"; xdotool key Return
shot import-summary 2
click 686 507                       # Import
shot import-result 2
click 639 446                       # Close
click 600 93                        # the search box
xdotool type --delay 30 "printer"
shot search 1
