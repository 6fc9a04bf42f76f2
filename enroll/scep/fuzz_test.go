package scep

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

// FuzzParseCertRep: no answer makes the CertRep parser panic, and one it
// accepts has a known status.
func FuzzParseCertRep(f *testing.F) {
	p := newPKI(f)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	self, err := SelfSigned(key, nil, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{Caps: ParseCaps([]byte("AES\nSHA-256")), CA: p.ca, Encrypter: p.enc, Signer: p.sign}
	for _, st := range []string{statusSuccess, statusPending, statusFailure} {
		sd, err := pkcs7.NewSignedData(nil)
		if err != nil {
			f.Fatal(err)
		}
		attrs := []pkcs7.Attribute{{Type: oidTransactionID, Value: "T"}, {Type: oidMessageType, Value: msgCertRep},
			{Type: oidPKIStatus, Value: st}, {Type: oidRecipientNonce, Value: []byte("n")}, {Type: oidFailInfo, Value: "2"}}
		if err := sd.AddSigner(p.sign, p.signKey, pkcs7.SignerInfoConfig{ExtraSignedAttributes: attrs}); err != nil {
			f.Fatal(err)
		}
		rep, err := sd.Finish()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rep)
	}
	if msg, err := buildMessage(s, msgPKCSReq, "T", []byte("n"), []byte("csr"), self, key); err == nil {
		f.Add(msg)
	}
	f.Add([]byte{0x30, 0x80, 0, 0})
	trusted := []*x509.Certificate{p.sign, p.ca}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ParseCertRep(data, trusted)
		if err != nil {
			return
		}
		switch rep.Status {
		case statusSuccess, statusPending:
		case statusFailure:
			_ = (&FailError{Info: rep.FailInfo}).Error()
		default:
			t.Fatalf("status %q accepted", rep.Status)
		}
		_, _ = rep.Decrypt(self, key)
	})
}

// FuzzParseCACert: no GetCACert answer makes the parser panic, and one it
// accepts has a CA, an encrypter and a signer.
func FuzzParseCACert(f *testing.F) {
	p := newPKI(f)
	f.Add(p.degenerate(f), "application/x-x509-ca-ra-cert")
	f.Add(p.ca.Raw, "application/x-x509-ca-cert")
	f.Fuzz(func(t *testing.T, data []byte, ctype string) {
		s, err := ParseCACert(data, ctype)
		if err != nil {
			return
		}
		if s.CA == nil || s.Encrypter == nil || s.Signer == nil {
			t.Fatalf("accepted without a CA or RA: %+v", s)
		}
		_ = s.check("", time.Now())
	})
}

// FuzzParseCaps: any GetCACaps answer parses.
func FuzzParseCaps(f *testing.F) {
	f.Add([]byte("POSTPKIOperation\nRenewal\nSHA-512\nDES3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ParseCaps(data)
		_, _ = c.Cipher().String(), c.Digest().String()
	})
}
