package testca

import (
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
)

// authUsernameToken checks the WS-Security UsernameToken of env against the
// accounts and returns the account name. It accepts what real clients send:
// the Password Type unqualified or as wsse:Type (or absent, meaning
// PasswordText), a Timestamp or none, a Nonce and Created without a
// Timestamp, any wsu:Id (also empty).
func (ca *CA) authUsernameToken(env *envelope) (string, error) {
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

// errForbidden is answered as IIS does when a certificate endpoint gets
// no valid client certificate: HTTP 403 with an HTML page, no SOAP.
var errForbidden = errors.New("testca: 403 client certificate required")

// authClientCert checks the TLS client certificate of a request on a
// certificate endpoint: issued by this CA and valid now. It returns the
// certificate's subject common name as the requester.
func (ca *CA) authClientCert(r *http.Request) (string, error) {
	deny := errForbidden
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", deny
	}
	leaf := r.TLS.PeerCertificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(ca.root)
	inter := x509.NewCertPool()
	inter.AddCert(ca.issuing)
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: pool, Intermediates: inter, CurrentTime: ca.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return "", deny
	}
	if cn := strings.TrimSpace(leaf.Subject.CommonName); cn != "" {
		return cn, nil
	}
	return leaf.Subject.String(), nil
}
