package testca

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

// TestReenrollment: a renewal skips manager approval only under the
// conditions of MS-WCCE 3.2.2.6.2.1.4.8 (template flag 0x40): the old
// certificate was issued for the same template, and its UPN is the
// requester's (for a key-based renewal, the account the TLS client
// certificate maps to) or, with an enrollee-supplied subject, the request
// repeats the old subject. Otherwise it is an ordinary request and pends
// for KBR.
func TestReenrollment(t *testing.T) {
	const bob, bobPW = "bob@certdesk.test", "Bob-Passw0rd"
	approved := Template{Name: "ApprovedWeb", OID: templateOID(90), Schema: 2, MajorRevision: 100, MinKeyBits: 2048, KeySpec: 1,
		SubjectFlags: SubjectEnrolleeSupplies | SubjectEnrolleeSuppliesSAN, EnrollFlags: EnrollPendAll | EnrollPrevApprove,
		EKUs: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	ca, srv := startCA(t, func(c *Config) {
		c.Users = map[string]string{DefaultUser: DefaultPassword, bob: bobPW}
		c.ExtraTemplates = []Template{approved}
	})
	c := httpClient(ca, nil)
	alice := defaultToken()
	first := func(t *testing.T, template, security, cn string, dns ...string) (*x509.Certificate, crypto.Signer) {
		t.Helper()
		key := rsaKey(t, 2048, 0)
		got := issue(t, c, srv.CESURL(), security, newCSR(t, key, template, cn, dns...))
		if got.cert == nil {
			cert, err := ca.Approve(got.requestID)
			if err != nil {
				t.Fatalf("%s: %s %v", template, got.reason, err)
			}
			return cert, key
		}
		return got.cert, key
	}
	kbrCert, kbrKey := first(t, TemplateKBR, alice, "")
	shortCert, shortKey := first(t, TemplateShortLived, alice, "")
	bobCert, bobKey := first(t, TemplateShortLived, usernameToken(bob, bobPW), "")
	webCert, webKey := first(t, approved.Name, alice, "web.example", "web.example")
	newKey := rsaKey(t, 2048, 1)

	tests := []struct {
		name     string
		client   *x509.Certificate // TLS client certificate (certificate CES); nil: alice's password
		tlsKey   crypto.Signer
		old      *x509.Certificate
		oldKey   crypto.Signer
		template string
		subject  []byte // nil: the old subject
		issued   bool
	}{
		{"same template, own certificate", kbrCert, kbrKey, kbrCert, kbrKey, TemplateKBR, nil, true},
		{"certificate of another template", shortCert, shortKey, shortCert, shortKey, TemplateKBR, nil, false},
		{"TLS certificate of another account", bobCert, bobKey, kbrCert, kbrKey, TemplateKBR, nil, false},
		{"over the password CES", nil, nil, kbrCert, kbrKey, TemplateKBR, nil, true},
		{"enrollee subject repeated", nil, nil, webCert, webKey, approved.Name, nil, true},
		{"enrollee subject changed", nil, nil, webCert, webKey, approved.Name, rawName(t, "other.example"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, sec, cl := srv.CESURL(), alice, c
			if tt.client != nil {
				url, sec, cl = srv.CESCertURL(), "", httpClient(ca, tlsCert(tt.client, tt.tlsKey))
			}
			subject := tt.subject
			if subject == nil {
				subject = tt.old.RawSubject
			}
			csr := renewalCSRFor(t, &x509.CertificateRequest{RawSubject: subject}, newKey, tt.template, tt.old.Raw)
			got := issue(t, cl, url, sec, renewalCMS(t, csr, tt.old, tt.oldKey, false))
			if got.fault != nil {
				t.Fatalf("fault %s: %s", HRESULT(got.errorCode), got.reason)
			}
			if (got.cert != nil) != tt.issued {
				t.Errorf("issued %t, want %t (request %s)", got.cert != nil, tt.issued, got.requestID)
			}
		})
	}
}

// TestRenewalNames: for a template whose subject and SANs the enrollee
// supplies, a renewal gets the request's names, not the old certificate's
// (unless the template sets CT_FLAG_OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME),
// so a renewal request that drops them is refused or issued without them.
// Templates built from the account keep its names.
func TestRenewalNames(t *testing.T) {
	keep := Template{Name: "WebKeep", OID: templateOID(91), Schema: 2, MajorRevision: 100, MinKeyBits: 2048, KeySpec: 1,
		SubjectFlags: SubjectEnrolleeSupplies | SubjectEnrolleeSuppliesSAN | SubjectOldCertSupplies,
		EKUs:         []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	ca, srv := startCA(t, func(c *Config) { c.ExtraTemplates = []Template{keep} })
	c := httpClient(ca, nil)
	key, newKey := rsaKey(t, 2048, 0), rsaKey(t, 2048, 1)
	old := map[string]*x509.Certificate{}
	for _, name := range []string{TemplateWebServer, keep.Name, TemplateUser} {
		cn, dns := "web.example", []string{"web.example", "www.web.example"}
		if name == TemplateUser {
			cn, dns = "", nil
		}
		got := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, key, name, cn, dns...))
		if got.cert == nil {
			t.Fatalf("%s: %s", name, got.reason)
		}
		old[name] = got.cert
	}
	empty, err := asn1.Marshal(pkix.RDNSequence{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		template string
		req      x509.CertificateRequest
		wantCN   string
		wantDNS  int
		fault    HRESULT
	}{
		{"enrollee names dropped", TemplateWebServer, x509.CertificateRequest{RawSubject: empty}, "", 0, CertsrvBadRequestSubject},
		{"subject without SANs", TemplateWebServer, x509.CertificateRequest{Subject: pkix.Name{CommonName: "web.example"}}, "web.example", 0, 0},
		{"new names", TemplateWebServer, x509.CertificateRequest{Subject: pkix.Name{CommonName: "new.example"}, DNSNames: []string{"new.example"}}, "new.example", 1, 0},
		{"old certificate supplies the names", keep.Name, x509.CertificateRequest{RawSubject: empty}, "web.example", 2, 0},
		{"names from the account", TemplateUser, x509.CertificateRequest{RawSubject: empty}, DefaultUser, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := old[tt.template]
			csr := renewalCSRFor(t, &tt.req, newKey, tt.template, o.Raw)
			got := issue(t, c, srv.CESURL(), defaultToken(), renewalCMS(t, csr, o, key, false))
			if tt.fault != 0 {
				if HRESULT(got.errorCode) != tt.fault {
					t.Errorf("code %s (%s), want %s", HRESULT(got.errorCode), got.reason, tt.fault)
				}
				return
			}
			if got.cert == nil {
				t.Fatalf("not issued: %s", got.reason)
			}
			if got.cert.Subject.CommonName != tt.wantCN || len(got.cert.DNSNames) != tt.wantDNS {
				t.Errorf("subject %s, DNS %v; want CN %q and %d DNS names", got.cert.Subject, got.cert.DNSNames, tt.wantCN, tt.wantDNS)
			}
		})
	}
}

// TestTemplateVersion: a request for a newer major version of a template
// than the CA has gets CERTSRV_E_BAD_TEMPLATE_VERSION with InvalidRequest
// false (the CA's copy is behind, retrying later can help); the same or
// an older version is issued.
func TestTemplateVersion(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	key := rsaKey(t, 2048, 0)
	for _, tt := range []struct {
		major int
		want  HRESULT
	}{{99, 0}, {100, 0}, {101, CertsrvBadTemplateVersion}} {
		got := issue(t, c, srv.CESURL(), defaultToken(), csrWithTemplateInfo(t, key, templateOID(1), tt.major))
		if HRESULT(got.errorCode) != tt.want || tt.want == 0 && got.cert == nil {
			t.Errorf("major %d: code %s (%s), want %s", tt.major, HRESULT(got.errorCode), got.reason, tt.want)
		}
		if tt.want != 0 && got.fault.find(nsWSTEP, "InvalidRequest").value() != "false" {
			t.Errorf("major %d: InvalidRequest %q, want false", tt.major, got.fault.find(nsWSTEP, "InvalidRequest").value())
		}
	}
}

// rawName is the DER subject CN=cn.
func rawName(t *testing.T, cn string) []byte {
	t.Helper()
	der, err := asn1.Marshal(pkix.Name{CommonName: cn}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return der
}
