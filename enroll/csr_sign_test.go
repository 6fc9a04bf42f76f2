package enroll

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"io"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
)

// CountingSigner counts the signatures a key makes (Sign calls): with a
// key in a TPM or on a token each costs 5-100 ms. Exported for the
// benchmarks of package enroll_test.
type CountingSigner struct {
	crypto.Signer
	N int
}

// Sign counts and signs with the wrapped key.
func (c *CountingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	c.N++
	return c.Signer.Sign(rand, digest, opts)
}

// TestOneSignaturePerRequest: every request costs its key one signature;
// a renewal costs the old key one more, for the CMS.
func TestOneSignaturePerRequest(t *testing.T) {
	old, oldKey := loadCert(t, "old-cert.pem"), loadKey(t, "old-key.pem")
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256User := &Template{CommonName: "UserP256", OID: "1.2.3.4", KeyAlgorithm: "1.2.840.10045.2.1", MinimalKeyLength: 256}
	tests := []struct {
		name      string
		key       crypto.Signer
		build     func(newKey, oldKey crypto.Signer) ([]byte, error)
		sameKey   bool
		wantNew   int
		wantOld   int
		wantTotal int
	}{
		{"new RSA with SANs", loadKey(t, "new-rsa2048.pem"), func(k, _ crypto.Signer) ([]byte, error) {
			return NewCSR(rand.Reader, Request{Template: webServer(), Key: k, Subject: "CN=web.example.test", DNSNames: []string{"web.example.test"}})
		}, false, 1, 0, 1},
		{"new P-256", p256, func(k, _ crypto.Signer) ([]byte, error) {
			return NewCSR(rand.Reader, Request{Template: p256User, Key: k})
		}, false, 1, 0, 1},
		{"renewal RSA new key", loadKey(t, "new-rsa2048.pem"), func(k, o crypto.Signer) ([]byte, error) {
			return NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: o, NewKey: k})
		}, false, 1, 1, 2},
		{"renewal P-256 new key", p256, func(k, o crypto.Signer) ([]byte, error) {
			return NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: o, NewKey: k, Template: p256User})
		}, false, 1, 1, 2},
		{"renewal same key", oldKey, func(_, o crypto.Signer) ([]byte, error) {
			return NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: o})
		}, true, 0, 2, 2}, // the PKCS#10 and the CMS
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newKey, oldSigner := &CountingSigner{Signer: tt.key}, &CountingSigner{Signer: oldKey}
			if _, err := tt.build(newKey, oldSigner); err != nil {
				t.Fatal(err)
			}
			if newKey.N != tt.wantNew || oldSigner.N != tt.wantOld || newKey.N+oldSigner.N != tt.wantTotal {
				t.Errorf("signatures: new key %d, old key %d; want %d and %d", newKey.N, oldSigner.N, tt.wantNew, tt.wantOld)
			}
		})
	}
}

// TestRenewalCSREveryKind: for every key and hash a renewal's PKCS#10 is
// encoded as crypto/x509 encodes a request (byte for byte with RSA's
// deterministic signatures that is TestGoldenRequests) plus the renewal
// attribute, and OpenSSL verifies its signature.
func TestRenewalCSREveryKind(t *testing.T) {
	old, oldKey := loadCert(t, "old-cert.pem"), loadKey(t, "old-key.pem")
	rsaKey := loadKey(t, "new-rsa2048.pem")
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	const sha256, sha384, sha512 = "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"
	tm := func(alg string, bits uint32, hash string) *Template {
		return &Template{CommonName: "User", OID: "1.3.6.1.4.1.311.21.8.7.7", MajorRevision: 3, KeyAlgorithm: alg, MinimalKeyLength: bits, HashAlgorithm: hash}
	}
	tests := []struct {
		name string
		key  crypto.Signer
		tm   *Template // nil: extensions copied from the old certificate, SHA-256
		want string    // OpenSSL's name of the signature algorithm
	}{
		{"RSA from old certificate", rsaKey, nil, "sha256WithRSAEncryption"},
		{"RSA SHA-384", rsaKey, tm("", 2048, sha384), "sha384WithRSAEncryption"},
		{"RSA SHA-512", rsaKey, tm("", 2048, sha512), "sha512WithRSAEncryption"},
		{"P-256 SHA-256", p256, tm("1.2.840.10045.2.1", 256, sha256), "ecdsa-with-SHA256"},
		{"P-256 SHA-384", p256, tm("1.2.840.10045.2.1", 256, sha384), "ecdsa-with-SHA384"},
		{"P-384 SHA-512", p384, tm("1.3.132.0.34", 384, sha512), "ecdsa-with-SHA512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: tt.key, Template: tt.tm})
			if err != nil {
				t.Fatal(err)
			}
			p7, err := pkcs7.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			inner := p7.Content
			out := openssl(t, inner, "req", "-inform", "DER", "-verify", "-noout", "-text")
			for _, w := range []string{"verify OK", tt.want, "1.3.6.1.4.1.311.13.1 ", "1.3.6.1.4.1.311.20.2:"} {
				if !strings.Contains(out, w) {
					t.Errorf("openssl output lacks %q:\n%s", w, out)
				}
			}
			// crypto/x509's request for the same key, subject, extensions
			// and algorithm is the oracle.
			csr, err := x509.ParseCertificateRequest(inner)
			if err != nil {
				t.Fatal(err)
			}
			hashOID := ""
			if tt.tm != nil {
				hashOID = tt.tm.HashAlgorithm
			}
			want, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: old.RawSubject,
				ExtraExtensions: csr.Extensions, SignatureAlgorithm: signatureAlgorithm(tt.key.Public(), hashOID)}, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			attr, _ := attribute(oidRenewalCert, old.Raw)
			got, wantOuter := splitCSR(t, inner), splitCSR(t, want)
			if !bytes.Equal(got.info, append(wantOuter.info, attr...)) || !bytes.Equal(got.alg, wantOuter.alg) {
				t.Errorf("request differs from crypto/x509's plus the renewal attribute:\n got % x\nwant % x + attribute", inner, want)
			}
		})
	}
}

// csrParts are a request's encoded parts: the CertificationRequestInfo up
// to the end of its attributes (without the outer SEQUENCE and attribute
// header, so the renewal attribute can be appended), the signature
// algorithm and the signature.
type csrParts struct{ info, alg, sig []byte }

func splitCSR(t *testing.T, der []byte) csrParts {
	t.Helper()
	var outer csrOuter
	var info csrInfo
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(outer.TBS.FullBytes, &info); err != nil {
		t.Fatal(err)
	}
	var flat []byte
	for _, v := range []asn1.RawValue{info.Subject, info.PublicKey} {
		flat = append(flat, v.FullBytes...)
	}
	for _, a := range info.Attrs {
		flat = append(flat, a.FullBytes...)
	}
	alg, _ := asn1.Marshal(outer.SigAlg)
	return csrParts{flat, alg, outer.Sig.Bytes}
}

// wrongSigner signs with another key than the one it claims, as a faulty
// token might.
type wrongSigner struct {
	crypto.Signer
	other crypto.Signer
}

func (w wrongSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return w.other.Sign(rand, digest, opts)
}

// TestBadSignatureRefused: a signature that does not verify with the
// request's public key, or a key of another kind, is an error, not a
// request.
func TestBadSignatureRefused(t *testing.T) {
	old, oldKey := loadCert(t, "old-cert.pem"), loadKey(t, "old-key.pem")
	bad := wrongSigner{Signer: loadKey(t, "new-rsa2048.pem"), other: oldKey}
	der, err := NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: bad})
	if err == nil || der != nil || !strings.Contains(err.Error(), "signature of the certificate request does not verify") {
		t.Errorf("renewal with a faulty key: %v", err)
	}
	der, err = NewCSR(rand.Reader, Request{Template: webServer(), Key: bad, Subject: "CN=x"})
	if err == nil || der != nil || !strings.Contains(err.Error(), "sign the certificate request") {
		t.Errorf("request with a faulty key: %v", err)
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	der, err = NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: ed})
	if err == nil || der != nil || !strings.Contains(err.Error(), "needs an RSA or ECDSA key, not ed25519.PublicKey") {
		t.Errorf("renewal with an Ed25519 key: %v", err)
	}
}
