package est

import (
	"bufio"
	"crypto/x509"
	"math/big"
	"os"
	"strings"
	"testing"
)

// rfcVectors reads testdata/rfc7030-appendix-a.txt: the base64 bodies of
// RFC 7030 Appendix A, by section title, line breaks kept.
func rfcVectors(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/rfc7030-appendix-a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "-- "):
			cur = strings.TrimPrefix(line, "-- ")
		case cur != "" && line != "":
			out[cur] = append(out[cur], line+"\r\n"...)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRFC7030CACerts(t *testing.T) {
	certs, err := ParseCertsOnly(rfcVectors(t)["A.1 cacerts response"])
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		subject, issuer string
		serial          string
	}{
		{"CN=estExampleCA OwO", "CN=estExampleCA OwO", "11121883874307308188"},
		{"CN=estExampleCA NwO", "CN=estExampleCA OwO", "1"},
		{"CN=estExampleCA OwN", "CN=estExampleCA NwN", "2"},
		{"CN=estExampleCA NwN", "CN=estExampleCA NwN", "16838569520216125969"},
	}
	if len(certs) != len(want) {
		t.Fatalf("%d certificates, want %d", len(certs), len(want))
	}
	for i, w := range want {
		c := certs[i]
		n, _ := new(big.Int).SetString(w.serial, 10)
		if c.Subject.String() != w.subject || c.Issuer.String() != w.issuer || c.SerialNumber.Cmp(n) != 0 {
			t.Errorf("certificate %d: %s by %s serial %s, want %+v", i, c.Subject, c.Issuer, c.SerialNumber, w)
		}
	}
}

func TestRFC7030CSRAttrs(t *testing.T) {
	der, err := decodeBase64(rfcVectors(t)["A.2 csrattrs response"])
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseCSRAttrs(der)
	if err != nil {
		t.Fatal(err)
	}
	// challengePassword and ecdsa-with-SHA384 bare; id-ecPublicKey with
	// secp384r1, extensionRequest with macAddress (RFC 7030 4.5.2).
	if got := a.String(); got != "1.2.840.113549.1.9.7, 1.2.840.10045.4.3.3, 1.2.840.10045.2.1(…), 1.2.840.113549.1.9.14(…)" {
		t.Errorf("attributes %s", got)
	}
	if !a.ChallengePassword() {
		t.Error("challenge password not asked")
	}
	tm := a.Template("")
	kt, err := tm.KeyType()
	if err != nil || kt.String() != "ECDSA P-384" || tm.HashAlgorithm != "2.16.840.1.101.3.4.2.2" || tm.CommonName != DefaultTemplate {
		t.Errorf("template %+v key %v %v: want ECDSA P-384 with SHA-384", tm, kt, err)
	}
	if !tm.Flags.EnrolleeSuppliesSubject || !tm.Flags.EnrolleeSuppliesSubjectAltName {
		t.Error("the enrollee must supply the names")
	}
}

func TestRFC7030Enroll(t *testing.T) {
	v := rfcVectors(t)
	der, err := decodeBase64(v["A.3 simpleenroll request"])
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	if req.Subject.CommonName != "demostep4 1368141352" {
		t.Errorf("request subject %s", req.Subject)
	}
	certs, err := ParseCertsOnly(v["A.3 simpleenroll response"])
	if err != nil {
		t.Fatal(err)
	}
	res, err := pickIssued(certs, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Certificate.SerialNumber.Int64() != 21 || res.Certificate.Issuer.CommonName != "estExampleCA NwN" || len(res.Chain) != 0 {
		t.Errorf("issued serial %s by %s, chain %d", res.Certificate.SerialNumber, res.Certificate.Issuer, len(res.Chain))
	}
	// The A.1 CA certificates certify other keys: not an answer to A.3.
	ca, _ := ParseCertsOnly(v["A.1 cacerts response"])
	if _, err := pickIssued(ca, req); err == nil {
		t.Error("CA certificates taken as the issued certificate")
	}
}
