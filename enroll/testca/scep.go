package testca

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallstep/pkcs7"
)

// The NDES paths (docs/testca.md, SCEP).
const (
	PathSCEP      = "/certsrv/mscep/mscep.dll"
	PathSCEPAdmin = "/certsrv/mscep_admin/"
)

// SCEPRequester is the account NDES submits SCEP requests to the CA as.
const SCEPRequester = "NDES"

// SCEPCaps is what NDES (Windows Server 2012 R2 and later) answers to
// GetCACaps.
var SCEPCaps = []string{"POSTPKIOperation", "Renewal", "SHA-512", "SHA-256", "SHA-1", "DES3"}

// challengeLife is how long an NDES one-time challenge stays valid.
const challengeLife = time.Hour

// SCEP message types, statuses and attributes (RFC 8894 §3.2.1).
const (
	scepCertRep    = "3"
	scepRenewalReq = "17"
	scepPKCSReq    = "19"
	scepCertPoll   = "20"
	scepSuccess    = "0"
	scepFailure    = "2"
	scepPending    = "3"
	// failInfo values
	scepBadAlg          = "0"
	scepBadMessageCheck = "1"
	scepBadRequest      = "2"
	scepBadTime         = "3"
	scepBadCertID       = "4"
)

var (
	oidSCEPMessageType    = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 2}
	oidSCEPPKIStatus      = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 3}
	oidSCEPFailInfo       = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 4}
	oidSCEPSenderNonce    = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 5}
	oidSCEPRecipientNonce = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 6}
	oidSCEPTransactionID  = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 7}
	oidChallengePassword  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}
)

// scepService is the NDES of a Server: two RA certificates issued by the
// issuing CA (signing and encryption, RSA as NDES's are), one-time
// challenges, and the transactions it has seen.
type scepService struct {
	once       sync.Once
	err        error
	signCert   *x509.Certificate
	signKey    *rsa.PrivateKey
	encCert    *x509.Certificate
	encKey     *rsa.PrivateKey
	mu         sync.Mutex
	challenges map[string]time.Time // challenge → expiry
	caps       []string             // nil: SCEPCaps
	ops        atomic.Int32         // PKIOperations received
	template   string               // "": TemplateWebServer
}

// ra makes the RA certificates on first use.
func (s *Server) ra() (*scepService, error) {
	n := &s.scep
	n.once.Do(func() {
		if n.signCert, n.signKey, n.err = s.ca.raCertificate("NDES signing", x509.KeyUsageDigitalSignature); n.err == nil {
			n.encCert, n.encKey, n.err = s.ca.raCertificate("NDES encryption", x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment)
		}
	})
	return n, n.err
}

// raCertificate issues an RSA 2048 RA certificate from the issuing CA.
func (ca *CA) raCertificate(cn string, ku x509.KeyUsage) (*x509.Certificate, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: RA key: %w", err)
	}
	now := ca.now()
	tmpl := &x509.Certificate{SerialNumber: randomSerial(), Subject: pkix.Name{CommonName: ca.cfg.Name + " " + cn},
		NotBefore: now.Add(-time.Hour), NotAfter: ca.issuing.NotAfter, KeyUsage: ku}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuing, key.Public(), ca.issuingKey)
	if err != nil {
		return nil, nil, fmt.Errorf("testca: RA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// SCEPURL returns the NDES SCEP URL of the HTTPS server.
func (s *Server) SCEPURL() string { return s.base + PathSCEP }

// SCEPAdminURL returns the NDES challenge page of the HTTPS server.
func (s *Server) SCEPAdminURL() string { return s.base + PathSCEPAdmin }

// SCEPOperations counts the PKIOperation requests served so far.
func (s *Server) SCEPOperations() int { return int(s.scep.ops.Load()) }

// SetSCEPCaps sets what GetCACaps answers (nil: SCEPCaps, as NDES).
func (s *Server) SetSCEPCaps(caps []string) {
	s.scep.mu.Lock()
	defer s.scep.mu.Unlock()
	s.scep.caps = caps
}

// SetSCEPTemplate sets the template NDES enrolls for (NDES's registry
// setting; "" is TemplateWebServer, subject and SANs from the request).
func (s *Server) SetSCEPTemplate(name string) {
	s.scep.mu.Lock()
	defer s.scep.mu.Unlock()
	s.scep.template = name
}

// SCEPChallenge issues a one-time challenge password as mscep_admin does.
func (s *Server) SCEPChallenge() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	c := strings.ToUpper(hex.EncodeToString(b))
	s.scep.mu.Lock()
	defer s.scep.mu.Unlock()
	if s.scep.challenges == nil {
		s.scep.challenges = map[string]time.Time{}
	}
	s.scep.challenges[c] = s.ca.now().Add(challengeLife)
	return c
}

// useChallenge consumes a challenge; false if unknown, used or expired.
func (s *Server) useChallenge(c string) bool {
	s.scep.mu.Lock()
	defer s.scep.mu.Unlock()
	exp, ok := s.scep.challenges[c]
	delete(s.scep.challenges, c)
	return ok && s.ca.now().Before(exp)
}

// serveSCEP answers the NDES paths; it reports false for other paths.
func (s *Server) serveSCEP(w http.ResponseWriter, r *http.Request) bool {
	p := strings.ToLower(r.URL.Path)
	switch {
	case p == strings.ToLower(PathSCEP) || p == strings.ToLower(PathSCEP)+"/":
	case p == strings.TrimSuffix(strings.ToLower(PathSCEPAdmin), "/") || p == strings.ToLower(PathSCEPAdmin):
		s.serveSCEPAdmin(w, r)
		return true
	default:
		return false
	}
	n, err := s.ra()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return true
	}
	fault, _ := s.inject.get()
	if fault == FaultHTTP500 {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return true
	}
	switch op := r.URL.Query().Get("operation"); op {
	case "GetCACaps":
		s.scep.mu.Lock()
		caps := s.scep.caps
		s.scep.mu.Unlock()
		if caps == nil {
			caps = SCEPCaps
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.Join(caps, "\n")+"\n")
	case "GetCACert":
		var all []byte
		for _, c := range []*x509.Certificate{n.signCert, n.encCert, s.ca.issuing} {
			all = append(all, c.Raw...)
		}
		deg, err := pkcs7.DegenerateCertificate(all)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return true
		}
		w.Header().Set("Content-Type", "application/x-x509-ca-ra-cert")
		w.Write(deg)
	case "PKIOperation":
		s.scep.ops.Add(1)
		var msg []byte
		if r.Method == http.MethodPost {
			msg, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
		} else {
			msg, err = base64.StdEncoding.DecodeString(r.URL.Query().Get("message"))
		}
		if err != nil {
			http.Error(w, "bad PKIOperation message", http.StatusBadRequest)
			return true
		}
		if fault == FaultMalformed {
			w.Header().Set("Content-Type", "application/x-pki-message")
			w.Write(msg[:len(msg)/2])
			return true
		}
		out, err := s.pkiOperation(n, msg, fault)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest) // NDES answers an unreadable message so
			return true
		}
		w.Header().Set("Content-Type", "application/x-pki-message")
		w.Write(out)
	default:
		http.Error(w, "unknown operation", http.StatusBadRequest)
	}
	return true
}

// scepMessage is a PKIMessage as the server reads it.
type scepMessage struct {
	typ, tid string
	nonce    []byte
	signer   *x509.Certificate
	content  []byte // decrypted pkcsPKIEnvelope
}

// parseSCEP verifies a PKIMessage's signature by the certificate it
// carries and opens its envelope with the encryption RA's key.
func (n *scepService) parse(msg []byte) (*scepMessage, error) {
	p7, err := pkcs7.Parse(msg)
	if err != nil {
		return nil, fmt.Errorf("testca: PKIOperation: %w", err)
	}
	if err := p7.Verify(); err != nil {
		return nil, fmt.Errorf("testca: PKIOperation signature: %w", err)
	}
	m := &scepMessage{signer: p7.GetOnlySigner()}
	for _, a := range []struct {
		oid asn1.ObjectIdentifier
		out any
	}{{oidSCEPMessageType, &m.typ}, {oidSCEPTransactionID, &m.tid}, {oidSCEPSenderNonce, &m.nonce}} {
		if err := p7.UnmarshalSignedAttribute(a.oid, a.out); err != nil {
			return nil, fmt.Errorf("testca: PKIOperation attribute %s: %w", a.oid, err)
		}
	}
	if m.signer == nil || m.tid == "" || len(m.nonce) == 0 {
		return nil, errors.New("testca: PKIOperation without signer, transactionID or senderNonce")
	}
	env, err := pkcs7.Parse(p7.Content)
	if err != nil {
		return nil, fmt.Errorf("testca: pkcsPKIEnvelope: %w", err)
	}
	if m.content, err = env.Decrypt(n.encCert, n.encKey); err != nil {
		return nil, fmt.Errorf("testca: pkcsPKIEnvelope: %w", err)
	}
	return m, nil
}

// pkiOperation handles PKCSReq, RenewalReq and CertPoll and returns the
// CertRep.
func (s *Server) pkiOperation(n *scepService, msg []byte, fault Fault) ([]byte, error) {
	m, err := n.parse(msg)
	if err != nil {
		return nil, err
	}
	if info := fault.failInfo(); info != "" {
		return n.certRep(m, scepFailure, info, nil)
	}
	var rec *Request
	switch m.typ {
	case scepPKCSReq, scepRenewalReq:
		var info string
		rec, info, err = s.scepSubmit(m)
		if err != nil {
			return nil, err
		}
		if info != "" {
			return n.certRep(m, scepFailure, info, nil)
		}
	case scepCertPoll:
		id, err := s.ca.scepTransaction(m.tid, "")
		if err != nil {
			return n.certRep(m, scepFailure, scepBadCertID, nil)
		}
		r, err := s.ca.Get(id)
		if err != nil {
			return n.certRep(m, scepFailure, scepBadCertID, nil)
		}
		rec = &r
	default:
		return nil, fmt.Errorf("testca: message type %q is not served", m.typ)
	}
	switch rec.Status {
	case StatusPending:
		return n.certRep(m, scepPending, "", nil)
	case StatusDenied:
		return n.certRep(m, scepFailure, scepBadRequest, nil)
	}
	cert, err := x509.ParseCertificate(rec.Cert)
	if err != nil {
		return nil, err
	}
	return n.certRep(m, scepSuccess, "", []*x509.Certificate{cert, s.ca.issuing})
}

// scepSubmit checks a PKCSReq or RenewalReq as NDES and the CA do and
// records it. A new enrollment needs a valid one-time challenge; a
// request signed by a valid certificate of this CA is a renewal (NDES
// accepts a PKCSReq so signed; RenewalReq must be). info is the failInfo
// of a refusal.
func (s *Server) scepSubmit(m *scepMessage) (*Request, string, error) {
	csr, err := x509.ParseCertificateRequest(m.content)
	if err != nil || csr.CheckSignature() != nil {
		return nil, scepBadMessageCheck, nil
	}
	if !bytes.Equal(m.signer.RawSubject, m.signer.RawIssuer) || m.typ == scepRenewalReq {
		// Signed by an existing certificate: a renewal.
		if s.ca.verifyIssued(m.signer, s.ca.now()) != nil {
			return nil, scepBadCertID, nil
		}
	} else {
		if k, ok := m.signer.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(csr.PublicKey) {
			return nil, scepBadMessageCheck, nil
		}
		v, err := csrAttribute(csr.RawTBSCertificateRequest, oidChallengePassword)
		var challenge string
		if err == nil {
			_, err = asn1.Unmarshal(v, &challenge)
		}
		if err != nil || !s.useChallenge(challenge) {
			return nil, scepBadRequest, nil // NDES: "the password is invalid or used"
		}
	}
	s.scep.mu.Lock()
	name := s.scep.template
	s.scep.mu.Unlock()
	t := s.ca.template(name)
	if t == nil {
		t = s.ca.template(TemplateWebServer)
	}
	if keyCheck(t, csr.PublicKey) != nil {
		return nil, scepBadAlg, nil
	}
	r := &Request{Status: StatusPending, Template: t.Name, Requester: SCEPRequester, Submitted: s.ca.now(), CSR: csr.Raw}
	if !bytes.Equal(m.signer.RawSubject, m.signer.RawIssuer) {
		r.Renewal = m.signer.Raw
	}
	if !s.ca.cfg.Pending && !t.pends() {
		if r.Cert, err = s.ca.certify(r, false); err != nil {
			return nil, "", err
		}
		r.Status = StatusIssued
	}
	if err := s.ca.db.create(r); err != nil {
		return nil, "", fmt.Errorf("testca: %w", err)
	}
	if _, err := s.ca.scepTransaction(m.tid, r.ID); err != nil {
		return nil, "", err
	}
	return r, "", nil
}

// scepTransaction records (id set) or looks up the request id of a SCEP
// transaction, in the state directory so that polls survive a restart.
func (ca *CA) scepTransaction(tid, id string) (string, error) {
	sum := sha256.Sum256([]byte(tid))
	path := filepath.Join(ca.cfg.Dir, "scep", hex.EncodeToString(sum[:16]))
	if id != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", err
		}
		return id, writeAtomic(path, []byte(id), 0o600)
	}
	b, err := os.ReadFile(path)
	return string(b), err
}

// certRep signs a CertRep with the signing RA: for SUCCESS the
// certificates, encrypted to the request's signer.
func (n *scepService) certRep(m *scepMessage, status, info string, certs []*x509.Certificate) ([]byte, error) {
	var content []byte
	if status == scepSuccess {
		var all []byte
		for _, c := range certs {
			all = append(all, c.Raw...)
		}
		deg, err := pkcs7.DegenerateCertificate(all)
		if err != nil {
			return nil, err
		}
		if content, err = pkcs7.Encrypt(deg, []*x509.Certificate{m.signer}); err != nil {
			return nil, err
		}
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	attrs := []pkcs7.Attribute{
		{Type: oidSCEPTransactionID, Value: m.tid},
		{Type: oidSCEPMessageType, Value: scepCertRep},
		{Type: oidSCEPPKIStatus, Value: status},
		{Type: oidSCEPSenderNonce, Value: nonce},
		{Type: oidSCEPRecipientNonce, Value: m.nonce},
	}
	if info != "" {
		attrs = append(attrs, pkcs7.Attribute{Type: oidSCEPFailInfo, Value: info})
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(n.signCert, n.signKey, pkcs7.SignerInfoConfig{ExtraSignedAttributes: attrs}); err != nil {
		return nil, err
	}
	return sd.Finish()
}

// failInfo is the failInfo a SCEP fault answers with, or "".
func (f Fault) failInfo() string {
	switch f {
	case FaultSCEPBadAlg:
		return scepBadAlg
	case FaultSCEPBadMessageCheck:
		return scepBadMessageCheck
	case FaultSCEPBadRequest:
		return scepBadRequest
	case FaultSCEPBadTime:
		return scepBadTime
	case FaultSCEPBadCertID:
		return scepBadCertID
	}
	return ""
}
