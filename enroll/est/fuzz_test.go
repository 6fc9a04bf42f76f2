package est

import (
	"testing"
)

// FuzzParseCertsOnly feeds hostile bodies to the certs-only parser
// (cacerts, simpleenroll, simplereenroll): it must not panic, and what it
// accepts holds at least one parsed certificate.
func FuzzParseCertsOnly(f *testing.F) {
	v := rfcVectors(f)
	f.Add(v["A.1 cacerts response"])
	f.Add(v["A.3 simpleenroll response"])
	f.Add([]byte("MIAGCSqGSIb3DQEHAqCAMIACAQExADALBgkqhkiG9w0BBwEAAKEAMQAAAAAAAA=="))
	f.Add([]byte("<html>It works!</html>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		certs, err := ParseCertsOnly(body)
		if err == nil && (len(certs) == 0 || len(certs) > maxCerts || certs[0] == nil) {
			t.Fatalf("accepted %d certificates", len(certs))
		}
	})
}

// FuzzParseCSRAttrs feeds hostile DER to the CSR attributes parser and
// the synthetic template: no panic, and a template whose key certdesk can
// make or a clear error.
func FuzzParseCSRAttrs(f *testing.F) {
	der, _ := decodeBase64(rfcVectors(f)["A.2 csrattrs response"])
	f.Add(der)
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x05})
	f.Fuzz(func(t *testing.T, der []byte) {
		a, err := ParseCSRAttrs(der)
		if err != nil {
			return
		}
		tm := a.Template("L")
		if _, err := tm.KeyType(); err != nil {
			t.Fatalf("synthetic template with a key certdesk cannot make: %+v: %v", tm, err)
		}
		_ = a.String()
	})
}

// FuzzDecodeBase64 checks the body decoder against arbitrary input.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("TWFu\r\nTWFu\n"))
	f.Add([]byte("TWE"))
	f.Fuzz(func(t *testing.T, body []byte) {
		der, err := decodeBase64(body)
		if err == nil && der == nil {
			t.Fatal("nil result without error")
		}
	})
}
