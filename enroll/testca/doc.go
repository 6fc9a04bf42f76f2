// Package testca is a faithful test double for Active Directory Certificate
// Services' web enrollment: a CEP server (MS-XCEP GetPolicies) and a CES
// server (MS-WSTEP RequestSecurityToken) in front of a small two-level CA
// (root → issuing CA), served over real HTTPS on loopback.
//
// It exists for tests, benchmarks and the application's --demo mode. It
// speaks only the wire protocol (docs/testca.md) and deliberately does
// not import the enroll client, so the two implementations meet at the wire.
//
// What it checks, as AD CS does: the WS-Security UsernameToken against its
// accounts, template permissions, the minimum key length, the template
// identification in the CSR, the CMS signature and the renewal-certificate
// attribute (1.3.6.1.4.1.311.13.1) of key-based renewals, and the TLS client
// certificate on the certificate-authenticated endpoints. Errors are answered
// with the SOAP faults and HRESULTs a real CES sends.
//
// State (CA keys, every request with its disposition and certificate) lives
// in Config.Dir as plain files, so pending requests survive a restart and can
// be approved or denied by another process (certdesk testca approve|deny)
// while a server runs. The package keeps no global state.
//
// Typical use:
//
//	ca, err := testca.New(testca.Config{Dir: t.TempDir(), KBR: true})
//	srv, err := ca.Start("127.0.0.1:0")
//	defer srv.Close()
//	// trust ca.Root(), enroll against srv.CEPURL() as testca.DefaultUser
package testca
