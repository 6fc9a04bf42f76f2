package testca

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// authUsernameToken checks the WS-Security UsernameToken of env against the
// accounts and returns the account name. It accepts what real clients send:
// the Password Type unqualified or as wsse:Type (or absent, meaning
// PasswordText), a Timestamp or none, a Nonce and Created without a
// Timestamp, any wsu:Id (also empty).
func (ca *CA) authUsernameToken(env *envelope) (string, error) {
	if err := ca.checkTimestamp(env.header.child(nsWSSE, "Security").child(nsWSU, "Timestamp")); err != nil {
		return "", err
	}
	tok := env.header.child(nsWSSE, "Security").child(nsWSSE, "UsernameToken")
	if tok == nil {
		return "", &soapFault{code: "s:Sender", subcode: "a:InvalidSecurity", reason: "The security token could not be authenticated or authorized: no UsernameToken."}
	}
	user := tok.child(nsWSSE, "Username").value()
	pw := tok.child(nsWSSE, "Password")
	typ, ok := pw.attrValue("", "Type")
	if !ok {
		typ, _ = pw.attrValue(nsWSSE, "Type")
	}
	if t := uriValue(typ); t != "" && t != passwordTextURI {
		return "", &soapFault{code: "s:Sender", subcode: "a:InvalidSecurity", reason: "Only PasswordText passwords are supported."}
	}
	want, known := ca.cfg.Users[user]
	got := ""
	if pw != nil {
		got = pw.text.String() // passwords are not trimmed: spaces may be part of them
	}
	if !known || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "", &soapFault{code: "s:Sender", subcode: "a:FailedAuthentication", reason: "The security token could not be authenticated or authorized."}
	}
	return user, nil
}

// checkTimestamp refuses a WS-Security Timestamp that was created more
// than MaxClockSkew in the CA's future or expired more than MaxClockSkew
// ago, with the fault WCF sends. No Timestamp (cepces) and Lenient pass.
func (ca *CA) checkTimestamp(ts *node) error {
	if ts == nil || ca.cfg.Lenient {
		return nil
	}
	now := ca.now()
	parse := func(n *node) (time.Time, bool) {
		t, err := time.Parse(time.RFC3339Nano, n.value())
		return t, err == nil
	}
	created, okC := parse(ts.child(nsWSU, "Created"))
	expires, okE := parse(ts.child(nsWSU, "Expires"))
	if !okC || created.After(now.Add(MaxClockSkew)) || okE && expires.Before(now.Add(-MaxClockSkew)) {
		return &soapFault{code: "s:Sender", subcode: "a:InvalidSecurity", reason: "An error occurred when verifying security for the message."}
	}
	return nil
}

// errForbidden is answered as IIS does when a certificate endpoint gets
// no valid client certificate: HTTP 403 with an HTML page, no SOAP.
var errForbidden = errors.New("testca: 403 client certificate required")

// ProxyCertHeader is the request header in which a TLS-terminating proxy
// passes the verified client certificate (Config.BehindProxy), as PEM;
// Apache's mod_headers turns the PEM's line breaks into spaces:
//
//	RequestHeader set X-SSL-Client-Cert "%{SSL_CLIENT_CERT}s"
const ProxyCertHeader = "X-SSL-Client-Cert"

// clientCertificate returns the TLS client certificate of r: from the TLS
// connection, or, behind a proxy, from ProxyCertHeader of a request that
// came from a loopback peer. It returns nil when there is none.
func (s *Server) clientCertificate(r *http.Request) *x509.Certificate {
	if r.TLS != nil {
		if len(r.TLS.PeerCertificates) == 0 {
			return nil
		}
		return r.TLS.PeerCertificates[0]
	}
	if !s.ca.cfg.BehindProxy || !isLoopback(r.RemoteAddr) {
		return nil
	}
	c, _ := parseProxyCert(r.Header.Get(ProxyCertHeader))
	return c
}

// parseProxyCert decodes a PEM certificate whose line breaks may have
// become spaces.
func parseProxyCert(v string) (*x509.Certificate, error) {
	const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
	i, j := strings.Index(v, begin), strings.Index(v, end)
	if i < 0 || j < i {
		return nil, errors.New("testca: no PEM certificate in the proxy header")
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v[i+len(begin):j]), ""))
	if err != nil {
		return nil, fmt.Errorf("testca: proxy header: %w", err)
	}
	return x509.ParseCertificate(der)
}

// authClientCert checks the client certificate of a request on a
// certificate endpoint: issued by this CA and valid now. It returns the
// account the certificate maps to, as IIS maps one to an Active Directory
// account: its UPN, or else its subject common name.
func (ca *CA) authClientCert(leaf *x509.Certificate) (string, error) {
	if leaf == nil {
		return "", errForbidden
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.root)
	inter := x509.NewCertPool()
	inter.AddCert(ca.issuing)
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: pool, Intermediates: inter, CurrentTime: ca.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return "", errForbidden
	}
	if upns, _ := identities(leaf); len(upns) > 0 {
		return upns[0], nil
	}
	if cn := strings.TrimSpace(leaf.Subject.CommonName); cn != "" {
		return cn, nil
	}
	return leaf.Subject.String(), nil
}
