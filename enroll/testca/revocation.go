package testca

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/internal/revocation"
)

// Revocation paths on the plain-HTTP listener Start opens beside the
// HTTPS one. AD CS publishes CRLs over HTTP (and LDAP): fetching them must
// not need the trust the answers are about.
const (
	PathCRL  = "/CertEnroll/issuing.crl"
	PathOCSP = "/ocsp"
)

// CRLValidity is how long a CRL and an OCSP response of testca are valid:
// their nextUpdate is this far after their thisUpdate.
const CRLValidity = 24 * time.Hour

// revokedFile holds the CA's revocations in its directory: serial → entry.
const revokedFile = "revoked.json"

// Revoked is one revocation of the CA.
type Revoked struct {
	Thumbprint string    `json:"thumbprint"`
	Reason     int       `json:"reason"` // RFC 5280 CRL reason code
	Time       time.Time `json:"time"`
}

// ErrUnknownCertificate is returned by Revoke for a thumbprint the CA did
// not issue.
var ErrUnknownCertificate = errors.New("testca: no issued certificate has this thumbprint")

// revocationState is the CA's publication point: its base URL, once a
// server runs, and the lock that serialises revocations in this process.
type revocationState struct {
	mu   sync.Mutex
	base string // "http://host:port", "" when not serving
}

// revocationBase returns the base URL of the revocation listener, or "".
func (ca *CA) revocationBase() string {
	ca.rev.mu.Lock()
	defer ca.rev.mu.Unlock()
	return ca.rev.base
}

// addRevocationURLs names the CA's OCSP responder and CRL in a certificate
// it issues, when a server publishes them.
func (ca *CA) addRevocationURLs(tmpl *x509.Certificate) {
	if base := ca.revocationBase(); base != "" {
		tmpl.OCSPServer = []string{base + PathOCSP}
		tmpl.CRLDistributionPoints = []string{base + PathCRL}
	}
}

// Revoke revokes the certificate the CA issued with SHA-1 thumbprint th
// (hex, any case) for reason (an RFC 5280 name such as keyCompromise, or
// "" for unspecified). The revocation is kept in the CA's directory, so
// another process's server publishes it with its next answer.
func (ca *CA) Revoke(th, reason string) (*x509.Certificate, error) {
	code := 0
	if reason != "" {
		var ok bool
		if code, ok = revocation.ReasonCode(reason); !ok {
			return nil, fmt.Errorf("testca: unknown revocation reason %q", reason)
		}
	}
	th = strings.ToUpper(th)
	issued, err := ca.db.list(StatusIssued)
	if err != nil {
		return nil, err
	}
	for _, r := range issued {
		sum := sha1.Sum(r.Cert)
		if strings.ToUpper(hex.EncodeToString(sum[:])) != th {
			continue
		}
		cert, err := x509.ParseCertificate(r.Cert)
		if err != nil {
			return nil, fmt.Errorf("testca: request %s: %w", r.ID, err)
		}
		ca.rev.mu.Lock()
		defer ca.rev.mu.Unlock()
		m, err := ca.revoked()
		if err != nil {
			return nil, err
		}
		if _, done := m[cert.SerialNumber.Text(16)]; done {
			return cert, nil
		}
		m[cert.SerialNumber.Text(16)] = Revoked{Thumbprint: th, Reason: code, Time: ca.now().UTC().Truncate(time.Second)}
		data, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return nil, err
		}
		return cert, atomicfile.Write(filepath.Join(ca.cfg.Dir, revokedFile), data, 0o600)
	}
	return nil, ErrUnknownCertificate
}

// revoked reads the revocations: serial (lower-case hex) → entry.
func (ca *CA) revoked() (map[string]Revoked, error) {
	m := map[string]Revoked{}
	data, err := atomicfile.ReadOwned(filepath.Join(ca.cfg.Dir, revokedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		return nil, fmt.Errorf("testca: read %s: %w", revokedFile, err)
	}
	return m, nil
}

// CRL returns a CRL of the issuing CA, signed now, valid CRLValidity.
func (ca *CA) CRL() ([]byte, error) {
	m, err := ca.revoked()
	if err != nil {
		return nil, err
	}
	now := ca.now()
	tmpl := &x509.RevocationList{Number: big.NewInt(now.Unix()), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(CRLValidity)}
	for s, r := range m {
		serial, ok := new(big.Int).SetString(s, 16)
		if !ok {
			continue
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: serial, RevocationTime: r.Time, ReasonCode: r.Reason})
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, ca.issuing, ca.issuingKey)
}

// OCSP answers DER OCSP request req, signed by the issuing CA itself: good
// for a serial of this CA that is not revoked, revoked with its reason,
// and unauthorized for another CA's certificate.
func (ca *CA) OCSP(req []byte) ([]byte, error) {
	r, err := ocsp.ParseRequest(req)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	// Is the CertID ours? Build ours for the same serial and hash.
	mine, err := ocsp.CreateRequest(&x509.Certificate{SerialNumber: r.SerialNumber}, ca.issuing, &ocsp.RequestOptions{Hash: r.HashAlgorithm})
	if err != nil {
		return ocsp.UnauthorizedErrorResponse, nil
	}
	if m, err := ocsp.ParseRequest(mine); err != nil || !bytes.Equal(m.IssuerKeyHash, r.IssuerKeyHash) || !bytes.Equal(m.IssuerNameHash, r.IssuerNameHash) {
		return ocsp.UnauthorizedErrorResponse, nil
	}
	revoked, err := ca.revoked()
	if err != nil {
		return nil, err
	}
	now := ca.now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: r.SerialNumber, IssuerHash: r.HashAlgorithm,
		ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(CRLValidity)}
	if e, ok := revoked[r.SerialNumber.Text(16)]; ok {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, e.Time, e.Reason
	}
	return ocsp.CreateResponse(ca.issuing, ca.issuing, tmpl, ca.issuingKey)
}

// revocationServer is the plain-HTTP listener publishing the CRL and the
// OCSP responder.
type revocationServer struct {
	http *http.Server
	done chan struct{}
}

// startRevocation listens on host (any free port) and publishes the CA's
// revocation answers there until closed; certificates issued meanwhile
// name it.
func (ca *CA) startRevocation(host string) (*revocationServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("testca: listen for revocation: %w", err)
	}
	rs := &revocationServer{done: make(chan struct{}), http: &http.Server{
		Handler: http.HandlerFunc(ca.serveRevocation), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}}
	addr := ln.Addr().(*net.TCPAddr)
	if addr.IP.IsUnspecified() {
		addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: addr.Port}
	}
	ca.rev.mu.Lock()
	ca.rev.base = "http://" + addr.String()
	ca.rev.mu.Unlock()
	go func() {
		defer close(rs.done)
		_ = rs.http.Serve(ln)
	}()
	return rs, nil
}

// close stops the listener; nil-safe.
func (rs *revocationServer) close() {
	if rs != nil {
		rs.http.Close()
		<-rs.done
	}
}

// serveRevocation serves GET PathCRL and OCSP over GET (RFC 6960 A.1,
// base64 in the path) and POST.
func (ca *CA) serveRevocation(w http.ResponseWriter, r *http.Request) {
	var (
		body []byte
		err  error
		ct   = "application/ocsp-response"
	)
	switch {
	case r.URL.Path == PathCRL && r.Method == http.MethodGet:
		ct = "application/pkix-crl"
		body, err = ca.CRL()
	case r.URL.Path == PathOCSP && r.Method == http.MethodPost:
		var req []byte
		if req, err = io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10)); err == nil {
			body, err = ca.OCSP(req)
		}
	case strings.HasPrefix(r.URL.Path, PathOCSP+"/") && r.Method == http.MethodGet:
		var req []byte
		if req, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(r.URL.Path, PathOCSP+"/")); err != nil {
			http.Error(w, "malformed OCSP request", http.StatusBadRequest)
			return
		}
		body, err = ca.OCSP(req)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(body)
}
