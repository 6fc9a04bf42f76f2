package testca

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// MaxRequestBytes caps request bodies; larger requests get HTTP 413.
const MaxRequestBytes = 1 << 20

// URL paths (docs/testca.md); matched case-insensitively, with or without
// a trailing slash.
const (
	PathCEP     = "/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP"
	PathKBRCEP  = "/KeyBasedRenewal_ADPolicyProvider_CEP_Certificate/service.svc/CEP"
	cesUPSuffix = "_CES_UsernamePassword/service.svc/CES"
	cesCSuffix  = "_CES_Certificate/service.svc/CES"
)

// extraCESPath returns the username/password CES path of an extra CA.
func extraCESPath(x ExtraCA) string { return "/" + sanitize(x.Name) + cesUPSuffix }

// cesPath returns the CES path for the CA: /<CA>_CES_UsernamePassword/… or,
// for the renewal-only certificate CES, /<CA>_CES_Certificate/….
func (ca *CA) cesPath(cert bool) string {
	if cert {
		return "/" + ca.sanitizedName() + cesCSuffix
	}
	return "/" + ca.sanitizedName() + cesUPSuffix
}

// Server is a running HTTPS CEP/CES server of a CA.
type Server struct {
	ca        *CA
	ln        net.Listener
	http      *http.Server
	base      string
	trusted   *tls.Certificate
	untrusted *tls.Certificate
	inject    injector
	foreign   atomic.Pointer[string] // FaultForeignPollURL's URL
	policy    policyFaults
	hosts     hostFaults // SetExtraCESHost, RequestsTo
	revoc     *revocationServer
	scep      scepService // scep.go: NDES
	est       estState    // est.go
	done      chan struct{}
}

// Start serves the CA's CEP and CES over HTTPS on addr (e.g.
// "127.0.0.1:0"). The TLS certificate is issued by the issuing CA for
// 127.0.0.1, ::1, localhost and addr's host. TLS client certificates are
// requested and verified when given; the certificate endpoints require one.
func (ca *CA) Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("testca: listen on %s: %w", addr, err)
	}
	if ca.cfg.BehindProxy {
		return ca.startBehindProxy(ln)
	}
	s := &Server{ca: ca, ln: ln, base: "https://" + ln.Addr().String(), done: make(chan struct{})}
	host, _, _ := net.SplitHostPort(addr)
	if s.trusted, err = ca.tlsCertificate(host, ca.issuing, ca.issuingKey); err == nil {
		s.untrusted, err = ca.untrustedCertificate(host)
	}
	if err == nil {
		s.revoc, err = ca.startRevocation(host)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(ca.root)
	clientCAs.AddCert(ca.issuing)
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // TLS failures are the clients' business
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			ClientAuth: tls.VerifyClientCertIfGiven,
			ClientCAs:  clientCAs,
			Time:       ca.cfg.Clock,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				if f, _ := s.inject.get(); f == FaultUntrustedTLS {
					return s.untrusted, nil
				}
				return s.trusted, nil
			},
		},
	}
	go func() {
		defer close(s.done)
		_ = s.http.ServeTLS(ln, "", "") // returns http.ErrServerClosed on Close
	}()
	return s, nil
}

// startBehindProxy serves plain HTTP on ln, a loopback listener, for a
// TLS-terminating proxy (Config.BehindProxy).
func (ca *CA) startBehindProxy(ln net.Listener) (*Server, error) {
	if !isLoopback(ln.Addr().String()) {
		ln.Close()
		return nil, fmt.Errorf("testca: behind a proxy, listen on a loopback address, not %s", ln.Addr())
	}
	s := &Server{ca: ca, ln: ln, base: "http://" + ln.Addr().String(), done: make(chan struct{})}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return s, nil
}

// isLoopback reports whether hostport's host is a loopback IP address.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// tlsCertificate issues a server certificate signed by parent.
func (ca *CA) tlsCertificate(host string, parent *x509.Certificate, parentKey any) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: TLS key: %w", err)
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if host != "" && ip == nil {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	if tmpl.NotAfter.After(parent.NotAfter) {
		tmpl.NotAfter = parent.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("testca: TLS certificate: %w", err)
	}
	chain := [][]byte{der}
	if parent.Equal(ca.issuing) {
		chain = append(chain, ca.issuing.Raw)
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: key}, nil
}

// untrustedCertificate issues a TLS certificate from a throw-away root
// with the same names as the real one (FaultUntrustedTLS).
func (ca *CA) untrustedCertificate(host string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: untrusted root key: %w", err)
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(), Subject: pkix.Name{CommonName: "Untrusted Test Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("testca: untrusted root: %w", err)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testca: untrusted root: %w", err)
	}
	return ca.tlsCertificate(host, root, key)
}

// URL returns the server's base URL, https://127.0.0.1:port
// (http:// with Config.BehindProxy).
func (s *Server) URL() string { return s.base }

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// CEPURL returns the username/password CEP URL.
func (s *Server) CEPURL() string { return s.base + PathCEP }

// KBRCEPURL returns the key-based-renewal CEP URL (certificate auth); it
// answers only when Config.KBR is set.
func (s *Server) KBRCEPURL() string { return s.base + PathKBRCEP }

// CESURL returns the username/password CES URL.
func (s *Server) CESURL() string { return s.base + s.ca.cesPath(false) }

// ExtraCESURLs returns the CES URLs of Config.ExtraCAs, in their order.
func (s *Server) ExtraCESURLs() []string {
	var out []string
	for _, x := range s.ca.cfg.ExtraCAs {
		out = append(out, s.base+extraCESPath(x))
	}
	return out
}

// CESCertURL returns the renewal-only certificate CES URL; it answers only
// when Config.KBR is set.
func (s *Server) CESCertURL() string { return s.base + s.ca.cesPath(true) }

// CA returns the server's CA.
func (s *Server) CA() *CA { return s.ca }

// SetFault selects the fault injected from now on (FaultNone to stop).
// FaultUntrustedTLS applies to new TLS connections only.
func (s *Server) SetFault(f Fault) { s.inject.fault.Store(int32(f)) }

// SetForeignPollURL sets the URL a pending answer names for polling under
// FaultForeignPollURL ("" for https://foreign.invalid/ces).
func (s *Server) SetForeignPollURL(u string) { s.foreign.Store(&u) }

// SetEmptyPolicies makes GetPolicies answer a policy without templates
// (an empty <policies/>, policiesNotChanged false): EmptyPoliciesOnce for
// the next answer only, EmptyPoliciesAlways until EmptyPoliciesNone.
func (s *Server) SetEmptyPolicies(m EmptyPolicies) { s.policy.mode.Store(int32(m)) }

// WithdrawTemplate stops listing template name in GetPolicies answers (a
// template taken off the CA), while the CA still issues for it.
func (s *Server) WithdrawTemplate(name string) {
	s.policy.mu.Lock()
	defer s.policy.mu.Unlock()
	if s.policy.withdrawn == nil {
		s.policy.withdrawn = map[string]bool{}
	}
	s.policy.withdrawn[name] = true
}

// PolicyRequests returns the lastUpdate of every GetPolicies request
// served so far, oldest first; a zero time is a request without one (a
// full fetch).
func (s *Server) PolicyRequests() []time.Time {
	s.policy.mu.Lock()
	defer s.policy.mu.Unlock()
	return append([]time.Time(nil), s.policy.seen...)
}

// SetDelay delays every answer by d (0 to stop), to test client timeouts.
func (s *Server) SetDelay(d time.Duration) { s.inject.delay.Store(int64(d)) }

// Close stops the server and closes its connections.
func (s *Server) Close() error {
	s.revoc.close()
	err := s.http.Close()
	<-s.done
	if err != nil {
		return fmt.Errorf("testca: close: %w", err)
	}
	return nil
}

// endpoint identifies which service a path addresses.
type endpoint int

const (
	epNone endpoint = iota
	epCEP
	epKBRCEP
	epCES
	epCESCert
)

// route also returns the extra CA a CES path belongs to, or nil.
func (s *Server) route(path string) (endpoint, *ExtraCA) {
	p := strings.ToLower(strings.TrimSuffix(path, "/"))
	switch p {
	case strings.ToLower(PathCEP):
		return epCEP, nil
	case strings.ToLower(s.ca.cesPath(false)):
		return epCES, nil
	}
	for i, x := range s.ca.cfg.ExtraCAs {
		if p == strings.ToLower(extraCESPath(x)) {
			return epCES, &s.ca.cfg.ExtraCAs[i]
		}
	}
	if s.ca.cfg.KBR {
		switch p {
		case strings.ToLower(PathKBRCEP):
			return epKBRCEP, nil
		case strings.ToLower(s.ca.cesPath(true)):
			return epCESCert, nil
		}
	}
	return epNone, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hosts.count(r.Host)
	ep, extra := s.route(r.URL.Path)
	// The Date clients compare their clock with is the CA's.
	w.Header().Set("Date", s.ca.now().UTC().Format(http.TimeFormat))
	if ep == epNone && (s.serveSCEP(w, r) || s.serveEST(w, r)) {
		return
	}
	if ep == epNone {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if ct := strings.ToLower(r.Header.Get("Content-Type")); !strings.HasPrefix(ct, "application/soap+xml") {
		http.Error(w, "unsupported media type: want application/soap+xml", http.StatusUnsupportedMediaType)
		return
	}
	fault, delay := s.inject.get()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch fault {
	case FaultHTTP500:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
		io.WriteString(w, `<s:Envelope xmlns:s="`+nsSOAP+`"><s:Body><RequestSecurityTokenResponseCollection`)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return // too large (answered), or the client went away
	}
	env, err := parseEnvelope(bytes.NewReader(body))
	if err != nil {
		s.writeError(w, "", err)
		return
	}
	out, err := s.dispatch(r, ep, extra, env, fault)
	if err != nil {
		s.writeError(w, env.messageID, err)
		return
	}
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	io.WriteString(w, out)
}

// dispatch authenticates the caller and runs the operation; it returns the
// response envelope.
func (s *Server) dispatch(r *http.Request, ep endpoint, extra *ExtraCA, env *envelope, fault Fault) (string, error) {
	certAuth := ep == epKBRCEP || ep == epCESCert
	var account string
	var err error
	if certAuth {
		account, err = s.ca.authClientCert(s.clientCertificate(r))
	} else {
		account, err = s.ca.authUsernameToken(env)
	}
	if err != nil {
		return "", err
	}
	switch {
	case extra != nil && extra.Unreachable:
		return "", &Error{Code: RPCServerUnavailable, Reason: "The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE)"}
	case extra != nil && extra.NoEnrollPermission:
		return "", &Error{Code: EAccessDenied, Reason: "Denied by Policy Module: the requester may not enroll on this CA.", InvalidRequest: true}
	}
	base := "https://" + r.Host
	if ep == epCEP || ep == epKBRCEP {
		if env.action != actionGetPolicies {
			return "", actionNotSupported(env.action)
		}
		pr, err := parseGetPolicies(env.body)
		if err != nil {
			return "", err
		}
		if certAuth {
			account = ""
		}
		pr.withdrawn = s.policy.withdrawnSet()
		pr.lenient = s.ca.cfg.Lenient
		if s.policy.answer(pr.lastUpdate) {
			return envelopeXML(actionGetPoliciesResponse, env.messageID, s.ca.emptyPoliciesXML()), nil
		}
		body := s.ca.getPoliciesXML(pr, account, certAuth, base, s.ca.created)
		if !certAuth {
			body = s.hosts.withExtraCES(body, r.Host, s.ca.cesPath(false))
		}
		return envelopeXML(actionGetPoliciesResponse, env.messageID, body), nil
	}
	if env.action != actionRST && env.action != actionKET {
		return "", actionNotSupported(env.action)
	}
	req, err := parseRST(env.body)
	if err != nil {
		return "", err
	}
	var rec *Request
	switch req.requestType {
	case reqTypeKET:
		return envelopeXML(actionKETFinal, env.messageID, s.ca.ketXML()), nil
	case reqTypeQuery:
		rec, err = s.ca.queryStatus(req.requestID)
	default:
		rec, err = s.ca.submit(submission{token: req.token, hint: req.template, requester: account, certAuth: certAuth, wrongKey: fault == FaultWrongKey})
	}
	if err != nil {
		return "", err
	}
	pollURL := base + r.URL.Path
	if fault == FaultForeignPollURL {
		pollURL = "https://foreign.invalid/ces"
		if u := s.foreign.Load(); u != nil && *u != "" {
			pollURL = *u
		}
	}
	out, err := s.ca.rstrcXML(rec, pollURL, fault == FaultForeignChain)
	if err != nil {
		return "", err
	}
	return envelopeXML(actionRSTRC, env.messageID, out), nil
}

func actionNotSupported(action string) *soapFault {
	return &soapFault{code: "s:Sender", subcode: "a:ActionNotSupported",
		reason: fmt.Sprintf("The message with Action '%s' cannot be processed at the receiver.", action)}
}

// writeError answers err as a SOAP fault with HTTP 500: CA refusals with a
// CertificateEnrollmentWSDetail, everything else as a plain fault.
func (s *Server) writeError(w http.ResponseWriter, relatesTo string, err error) {
	var ce *Error
	var sf *soapFault
	var out string
	if errors.Is(err, errForbidden) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "<html><body><h1>403 - Forbidden: Access is denied.</h1><p>A valid client certificate is required.</p></body></html>")
		return
	}
	switch {
	case errors.As(err, &ce):
		d := *ce
		if d.Code != EInvalidArg && d.Code != CertsrvPropertyEmpty && d.Code != RPCServerUnavailable && d.Code != CertsrvBadTemplateVersion {
			d.InvalidRequest = true
		}
		out = faultXML(relatesTo, &soapFault{code: "s:Receiver", reason: ce.Reason}, &d)
	case errors.As(err, &sf):
		out = faultXML(relatesTo, sf, nil)
	default:
		out = faultXML(relatesTo, &soapFault{code: "s:Receiver", subcode: "a:InternalServiceFault", reason: "The server was unable to process the request due to an internal error."}, nil)
	}
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, out)
}

// Shutdown stops the server gracefully: it stops accepting connections and
// waits for running requests until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.revoc.close()
	err := s.http.Shutdown(ctx)
	if err == nil {
		<-s.done
	}
	return err
}

// readBody reads a request body of at most MaxRequestBytes; a larger one
// is answered 413, a client gone away nothing (ok false for both).
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, err == nil
}
