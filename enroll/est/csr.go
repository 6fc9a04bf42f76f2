package est

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"io"

	"github.com/certdesk/certdesk/enroll"
)

// Request is what an EST request asks for; unlike an AD CS request it
// names no template (the label of the URL chooses the CA).
type Request struct {
	Template *enroll.Template // the synthetic template (Template): its hash
	Key      crypto.Signer
	Subject  string // RFC 4514; may be empty with DNS names
	// RawSubject, if set, is the DER subject used as it is (a
	// re-enrollment repeats the current certificate's, RFC 7030 4.2.2).
	RawSubject []byte
	DNSNames   []string
}

// NewCSR builds the DER PKCS#10 of r, signed with the template's hash
// (SHA-256 when it names none).
func NewCSR(rand io.Reader, r Request) ([]byte, error) {
	subject := r.RawSubject
	if subject == nil {
		var err error
		if subject, err = enroll.ParseDN(r.Subject); err != nil {
			return nil, err
		}
	}
	for _, d := range r.DNSNames {
		if err := enroll.CheckDNSName(d); err != nil {
			return nil, err
		}
	}
	hash := ""
	if r.Template != nil {
		hash = r.Template.HashAlgorithm
	}
	tmpl := &x509.CertificateRequest{RawSubject: subject, DNSNames: r.DNSNames, SignatureAlgorithm: signatureAlgorithm(r.Key.Public(), hash)}
	return x509.CreateCertificateRequest(rand, tmpl, r.Key)
}

func signatureAlgorithm(pub crypto.PublicKey, hash string) x509.SignatureAlgorithm {
	_, ec := pub.(*ecdsa.PublicKey)
	switch {
	case hash == "2.16.840.1.101.3.4.2.2" && ec:
		return x509.ECDSAWithSHA384
	case hash == "2.16.840.1.101.3.4.2.2":
		return x509.SHA384WithRSA
	case hash == "2.16.840.1.101.3.4.2.3" && ec:
		return x509.ECDSAWithSHA512
	case hash == "2.16.840.1.101.3.4.2.3":
		return x509.SHA512WithRSA
	case ec:
		return x509.ECDSAWithSHA256
	}
	return x509.SHA256WithRSA
}
