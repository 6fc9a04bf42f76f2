package scep

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/certdesk/certdesk/enroll"
	"github.com/smallstep/pkcs7"
)

// The SCEP message types certdesk sends and reads (RFC 8894 §3.2.1.2).
const (
	msgCertRep    = "3"
	msgRenewalReq = "17"
	msgPKCSReq    = "19"
	msgCertPoll   = "20"
)

// The pkiStatus values.
const (
	statusSuccess = "0"
	statusFailure = "2"
	statusPending = "3"
)

// SCEP's signed attributes (RFC 8894 §3.2.1).
var (
	oidMessageType    = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 2}
	oidPKIStatus      = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 3}
	oidFailInfo       = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 4}
	oidSenderNonce    = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 5}
	oidRecipientNonce = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 6}
	oidTransactionID  = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 7}
)

// Digest is the message digest of a PKIMessage's signature.
type Digest int

// The digests certdesk signs with, weakest first.
const (
	SHA1 Digest = iota
	SHA256
	SHA512
)

func (d Digest) oid() asn1.ObjectIdentifier {
	return [...]asn1.ObjectIdentifier{pkcs7.OIDDigestAlgorithmSHA1, pkcs7.OIDDigestAlgorithmSHA256, pkcs7.OIDDigestAlgorithmSHA512}[d]
}

// String names the digest as GetCACaps does.
func (d Digest) String() string { return [...]string{"SHA-1", "SHA-256", "SHA-512"}[d] }

// Request is one enrollment or renewal to send.
type Request struct {
	CSR []byte        // DER PKCS#10, with the challenge password inside for a new enrollment
	Key crypto.Signer // the CSR's key (RSA)
	// Renew signs the request with the current certificate and key
	// instead of a self-signed certificate of Key: a RenewalReq where the
	// server lists Renewal, else a PKCSReq so signed, as NDES accepts.
	// The answer is then encrypted to OldCert.
	OldCert *x509.Certificate
	OldKey  crypto.Signer
}

// TransactionID is the transaction id certdesk gives a request for key:
// the SHA-256 of its SubjectPublicKeyInfo in hex (RFC 8894 §3.2.1.1), so
// the same key always polls the same transaction.
func TransactionID(key crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return strings.ToUpper(hex.EncodeToString(sum[:])), nil
}

// SelfSigned makes the throwaway certificate a new key signs its first
// request with, valid for a day from now, with the CSR's subject.
func SelfSigned(key crypto.Signer, rawSubject []byte, now time.Time) (*x509.Certificate, error) {
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, errNoRSA
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	if len(rawSubject) == 0 || bytes.Equal(rawSubject, []byte{0x30, 0}) {
		rawSubject, _ = asn1.Marshal(pkix.Name{CommonName: "certdesk SCEP request"}.ToRDNSequence())
	}
	tmpl := &x509.Certificate{SerialNumber: serial, RawSubject: rawSubject, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("scep: make the request's signing certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// Enroll sends r as a PKCSReq (or, renewing, RenewalReq) to s and reads
// the CertRep: issued, pending (RequestID is the transaction id, to
// Poll), or a *FailError.
func (c *Client) Enroll(ctx context.Context, s *Server, r Request) (*enroll.Response, error) {
	csr, err := x509.ParseCertificateRequest(r.CSR)
	if err != nil {
		return nil, fmt.Errorf("scep: the request: %w", err)
	}
	tid, err := TransactionID(r.Key.Public())
	if err != nil {
		return nil, err
	}
	typ, signer, key := msgPKCSReq, (*x509.Certificate)(nil), crypto.Signer(r.OldKey)
	if r.OldCert != nil {
		signer = r.OldCert
		if s.Caps.Renewal {
			typ = msgRenewalReq
		}
	} else {
		if signer, err = SelfSigned(r.Key, csr.RawSubject, c.now()); err != nil {
			return nil, err
		}
		key = r.Key
	}
	return c.exchange(ctx, s, typ, tid, r.CSR, signer, key, r.Key.Public())
}

// Poll sends CertPoll for a pending transaction: signed by key and its
// placeholder certificate (the self-signed one of the request, or the
// Request store's), about the request's subject.
func (c *Client) Poll(ctx context.Context, s *Server, tid string, key crypto.Signer, placeholder *x509.Certificate, rawSubject []byte) (*enroll.Response, error) {
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, errNoRSA
	}
	ias, err := asn1.Marshal(struct{ Issuer, Subject asn1.RawValue }{
		asn1.RawValue{FullBytes: s.CA.RawSubject}, asn1.RawValue{FullBytes: rawSubject}})
	if err != nil {
		return nil, err
	}
	return c.exchange(ctx, s, msgCertPoll, tid, ias, placeholder, key, key.Public())
}

// exchange sends one PKIMessage and reads its CertRep.
func (c *Client) exchange(ctx context.Context, s *Server, typ, tid string, content []byte, signer *x509.Certificate, key crypto.Signer, want crypto.PublicKey) (*enroll.Response, error) {
	if _, ok := signer.PublicKey.(*rsa.PublicKey); !ok {
		return nil, errNoRSA
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	msg, err := buildMessage(s, typ, tid, nonce, content, signer, key)
	if err != nil {
		return nil, err
	}
	data, err := c.pkiOperation(ctx, s, msg)
	if err != nil {
		return nil, err
	}
	rep, err := ParseCertRep(data, s.Certs)
	if err != nil {
		return nil, err
	}
	if rep.TransactionID != tid || !bytes.Equal(rep.RecipientNonce, nonce) {
		return nil, fmt.Errorf("%w: the CertRep answers another request (transaction or nonce differ)", ErrMalformed)
	}
	resp := &enroll.Response{RequestID: tid, Endpoint: c.URL}
	switch rep.Status {
	case statusPending:
		resp.Disposition = "pending: the SCEP server waits for an administrator to approve the request"
		return resp, nil
	case statusFailure:
		return nil, &FailError{Info: rep.FailInfo, TransactionID: tid}
	}
	certs, err := rep.Decrypt(signer, key)
	if err != nil {
		return nil, err
	}
	for i, cert := range certs {
		if k, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && k.Equal(want) {
			resp.Certificate = cert
			// The answer's other certificates, and GetCACert's CAs, which
			// some servers (step-ca) leave out of it; the caller keeps
			// only those on the issued certificate's path.
			resp.Chain = append(append([]*x509.Certificate(nil), certs[:i]...), certs[i+1:]...)
			for _, c := range s.Certs {
				if c.IsCA {
					resp.Chain = append(resp.Chain, c)
				}
			}
			resp.Disposition = "Issued"
			return resp, nil
		}
	}
	return nil, fmt.Errorf("scep: %w", enroll.ErrKeyMismatch)
}

// buildMessage makes a PKIMessage: content encrypted to the server's
// encryption RA with its strongest cipher, signed by signer with its
// strongest digest and SCEP's attributes.
func buildMessage(s *Server, typ, tid string, nonce, content []byte, signer *x509.Certificate, key crypto.Signer) ([]byte, error) {
	env, err := envelope(content, s.Encrypter, s.Caps.Cipher())
	if err != nil {
		return nil, err
	}
	sd, err := pkcs7.NewSignedData(env)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(s.Caps.Digest().oid())
	err = sd.AddSigner(signer, key, pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{
		{Type: oidTransactionID, Value: tid},
		{Type: oidMessageType, Value: typ},
		{Type: oidSenderNonce, Value: nonce},
	}})
	if err != nil {
		return nil, fmt.Errorf("scep: sign the message: %w", err)
	}
	return sd.Finish()
}

// CertRep is a parsed, signature-checked CertRep.
type CertRep struct {
	TransactionID  string
	Status         string // "0" success, "2" failure, "3" pending
	FailInfo       string
	RecipientNonce []byte
	p7             *pkcs7.PKCS7
}

// ParseCertRep reads a PKIOperation answer and checks its signature by
// one of trusted (GetCACert's certificates; those the answer carries
// are not trusted).
func ParseCertRep(data []byte, trusted []*x509.Certificate) (*CertRep, error) {
	p7, err := pkcs7.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p7.Certificates = trusted
	if err := p7.Verify(); err != nil {
		return nil, fmt.Errorf("%w: the CertRep's signature does not verify with the server's CA or RA certificates: %v", ErrMalformed, err)
	}
	var typ string
	rep := &CertRep{p7: p7}
	for _, a := range []struct {
		oid asn1.ObjectIdentifier
		out any
	}{{oidMessageType, &typ}, {oidTransactionID, &rep.TransactionID}, {oidPKIStatus, &rep.Status}, {oidRecipientNonce, &rep.RecipientNonce}} {
		if err := p7.UnmarshalSignedAttribute(a.oid, a.out); err != nil {
			return nil, fmt.Errorf("%w: the CertRep lacks an attribute: %v", ErrMalformed, err)
		}
	}
	if typ != msgCertRep {
		return nil, fmt.Errorf("%w: message type %q is not CertRep", ErrMalformed, typ)
	}
	switch rep.Status {
	case statusSuccess, statusPending:
	case statusFailure:
		if err := p7.UnmarshalSignedAttribute(oidFailInfo, &rep.FailInfo); err != nil {
			return nil, fmt.Errorf("%w: a FAILURE without failInfo", ErrMalformed)
		}
	default:
		return nil, fmt.Errorf("%w: unknown pkiStatus %q", ErrMalformed, rep.Status)
	}
	return rep, nil
}

// Decrypt opens a SUCCESS CertRep's envelope, encrypted to cert and key,
// and returns the certificates it holds.
func (r *CertRep) Decrypt(cert *x509.Certificate, key crypto.Signer) ([]*x509.Certificate, error) {
	env, err := pkcs7.Parse(r.p7.Content)
	if err != nil {
		return nil, fmt.Errorf("%w: the CertRep's envelope: %v", ErrMalformed, err)
	}
	if _, ok := key.(crypto.Decrypter); !ok {
		return nil, errors.New("scep: the request's key cannot decrypt the CA's answer (a key held where it cannot decrypt)")
	}
	inner, err := env.Decrypt(cert, key)
	if err != nil {
		return nil, fmt.Errorf("%w: the CertRep's envelope does not decrypt: %v", ErrMalformed, err)
	}
	p7, err := pkcs7.Parse(inner)
	if err != nil || len(p7.Certificates) == 0 {
		return nil, fmt.Errorf("%w: the CertRep holds no certificate", ErrMalformed)
	}
	return p7.Certificates, nil
}
