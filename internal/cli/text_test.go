package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

// hostileCN and hostileDNS carry what a terminal obeys: a clear-screen
// sequence, a CR/LF that would forge a table row, a right-to-left override.
// (A DNS SAN must be IA5, so the override goes in the CN only.)
const (
	hostileCN  = "evil\x1b[2J\r\nFAKE\tROW\u202egpj.exe"
	hostileDNS = "a\x1b[2J\r\nFAKE.example"
)

// TestTextOutputEscapesHostileNames: store list and store show print the
// hostile subject and SAN escaped (no control byte but the layout's own
// newlines, no U+202E), and -json gives back the exact strings.
func TestTextOutputEscapesHostileNames(t *testing.T) {
	setupRoot(t)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hostile Root"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: hostileCN}, DNSNames: []string{hostileDNS},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hostile.cer")
	os.WriteFile(p, der, 0o600)
	if code, _, e := runCLIStdin(t, "", "store", "import", p); code != 0 {
		t.Fatal(e)
	}
	thumb := store.Thumbprint(der)

	for _, args := range [][]string{{"store", "list"}, {"store", "show", thumb}, {"store", "import", p}} {
		code, out, errs := runCLIStdin(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		for _, s := range []string{out, errs} {
			for i := 0; i < len(s); i++ {
				if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
					t.Errorf("%v: byte %#x at %d in %q", args, c, i, s)
				}
			}
			if strings.ContainsRune(s, '\u202e') {
				t.Errorf("%v: U+202E in %q", args, s)
			}
		}
		if args[1] != "import" && !strings.Contains(out, `evil\x1b[2J\x0d\x0aFAKE\x09ROW\u202egpj.exe`) {
			t.Errorf("%v: the escaped CN is not shown:\n%s", args, out)
		}
		if args[1] == "show" && !strings.Contains(out, `DNS:a\x1b[2J\x0d\x0aFAKE.example`) {
			t.Errorf("%v: the escaped SAN is not shown:\n%s", args, out)
		}
		if args[1] == "list" && strings.Count(out, "\n") != 2 {
			t.Errorf("%v: want a header and one row:\n%s", args, out)
		}
	}

	_, out, _ := runCLIStdin(t, "", "store", "list", "-json")
	var list []store.Entry
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	if list[0].SubjectCN != hostileCN || !slices.Contains(list[0].SANs, "DNS:"+hostileDNS) {
		t.Errorf("list -json: subjectCN %q, sans %q: want the exact originals", list[0].SubjectCN, list[0].SANs)
	}
	_, out, _ = runCLIStdin(t, "", "store", "show", thumb, "-json")
	var shown struct {
		SubjectCN string   `json:"subjectCN"`
		SANs      []string `json:"sans"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if shown.SubjectCN != hostileCN || !slices.Contains(shown.SANs, "DNS:"+hostileDNS) {
		t.Errorf("show -json: subjectCN %q, sans %q: want the exact originals", shown.SubjectCN, shown.SANs)
	}
}

func TestOneLineEscapes(t *testing.T) {
	got := oneLine("open a\x1b]0;x\x07.pfx:\n  bad \u202etxt")
	if want := `open a\x1b]0;x\x07.pfx: bad \u202etxt`; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
}
