// Package enroll is a client for Microsoft's certificate enrollment web
// services: the policy service CEP ([MS-XCEP]) and the enrollment service CES
// ([MS-WSTEP]), for devices that are not domain members. It never imports
// package store.
//
// Supported authentication: username and password (WS-Security
// UsernameToken, HTTPS only), TLS client certificate (key-based renewal) and
// anonymous. Kerberos is out of scope.
//
// A typical enrollment:
//
//	c := enroll.New(enroll.WithRootCAs(roots), enroll.WithUsernamePassword(user, pw))
//	p, _ := c.GetPolicies(ctx, cepURL, time.Time{})
//	t := p.Template("WebServer")
//	kt, _ := t.KeyType()
//	key, _ := enroll.GenerateKey(rand.Reader, kt)
//	res, err := c.Enroll(ctx, p.Endpoints(t, c.AuthKind(), false),
//		enroll.Request{Template: t, Key: key, Subject: "CN=web.example.com", DNSNames: []string{"web.example.com"}})
//	// res.Pending(): keep res.RequestID and res.Endpoint, later c.Poll(ctx, res.Endpoint, res.RequestID).
//
// Renewal with only the old certificate and key:
//
//	kbr := enroll.New(enroll.WithRootCAs(roots), enroll.WithClientCertificate(tlsCert))
//	res, err := kbr.Renew(ctx, p.Endpoints(t, enroll.AuthCertificate, true),
//		enroll.RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: newKey, Template: t})
//
// docs/protocol-client.md lists what is sent, the interop pitfalls handled and
// how errors are reported.
package enroll
