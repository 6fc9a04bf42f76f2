package testca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// submission is one enrollment request as CES hands it to the CA.
type submission struct {
	token     []byte // BinarySecurityToken content (PKCS#10 or CMS)
	hint      string // CertificateTemplate from AdditionalContext, if any
	requester string // authenticated account, or the TLS client certificate's subject
	certAuth  bool   // arrived on the certificate-authenticated (renewal-only) CES
	wrongKey  bool   // fault injection: certify a different key
}

// submit runs the CA's checks on a request, records it, and issues or pends
// it. A refusal is returned as *Error.
func (ca *CA) submit(s submission) (*Request, error) {
	pr, err := parseRequestToken(s.token)
	if err != nil {
		return nil, err
	}
	if s.certAuth && pr.renewal == nil {
		return nil, caError(CertsrvRenewalOnlyEndpoint, "This enrollment web service accepts only renewal requests signed with the certificate being renewed.")
	}
	t, err := ca.resolveTemplate(pr.csr, s.hint)
	if err != nil {
		return nil, err
	}
	now := ca.now()
	approved := false // previous approval: the renewal skips manager approval
	if pr.renewal != nil {
		if err := ca.verifyIssued(pr.renewal, now); err != nil {
			return nil, err
		}
		if s.certAuth && !t.kbr() {
			return nil, caError(CertsrvTemplateDenied, "The template %s does not allow key-based renewal.", t.Name)
		}
		approved = t.EnrollFlags&EnrollPrevApprove != 0 && reenrollment(t, pr.renewal, pr.csr, s.requester) == nil
	}
	if !s.certAuth && !ca.allowed(t, s.requester) {
		return nil, caError(CertsrvTemplateDenied, "Denied by Policy Module: the account %s has no Enroll permission on the template %s.", s.requester, t.Name)
	}
	if err := keyCheck(t, pr.csr.PublicKey); err != nil {
		return nil, err
	}
	if _, san := requestSAN(pr.csr); t.enrolleeSubject() && !(pr.renewal != nil && t.oldCertNames()) && len(pr.csr.Subject.Names) == 0 && !san {
		return nil, caError(CertsrvBadRequestSubject, "The request subject name is invalid or too long: the template %s needs a subject or alternative names from the request.", t.Name)
	}
	r := &Request{Status: StatusPending, Template: t.Name, Requester: s.requester, Submitted: now, CSR: pr.csr.Raw}
	if pr.renewal != nil {
		r.Renewal = pr.renewal.Raw
	}
	pend := ca.cfg.Pending || (t.pends() && !approved)
	if !pend {
		if r.Cert, err = ca.certify(r, s.wrongKey); err != nil {
			return nil, err
		}
		r.Status = StatusIssued
	}
	if err := ca.db.create(r); err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	return r, nil
}

// resolveTemplate finds the template a request names; all the ways it
// names one must agree.
func (ca *CA) resolveTemplate(csr *x509.CertificateRequest, hint string) (*Template, error) {
	ref, err := requestTemplate(csr)
	if err != nil {
		return nil, err
	}
	var found *Template
	for _, id := range []string{ref.name, ref.oid.String(), hint} {
		if id == "" {
			continue
		}
		t := ca.template(id)
		if t == nil {
			return nil, caError(CertsrvUnsupportedCertType, "The requested certificate template is not supported by this CA: %s.", id)
		}
		if found != nil && found != t {
			return nil, caError(CertsrvTemplateConflict, "The request contains conflicting template information (%s and %s).", found.Name, t.Name)
		}
		found = t
	}
	if found == nil && ca.cfg.DefaultTemplate != "" {
		found = ca.template(ca.cfg.DefaultTemplate)
	}
	if found == nil {
		return nil, caError(CertsrvNoCertType, "The request contains no certificate template information.")
	}
	if ref.major > found.MajorRevision {
		return nil, caError(CertsrvBadTemplateVersion, "The request was made for version %d of the template %s; this CA has version %d.", ref.major, found.Name, found.MajorRevision)
	}
	return found, nil
}

// reenrollment checks the conditions of MS-WCCE 3.2.2.6.2.1.4.8 under which
// a renewal signed with a valid certificate of this CA is approved by that
// certificate (CT_FLAG_PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT): the old
// certificate was issued for the same template; the request repeats its
// subject (enrollee-supplied subject), or else its alternative names carry
// a UPN or e-mail address that is the requester's. testca's directory has
// one name per account, used as UPN and as e-mail address. It returns why
// the renewal is not approved, or nil.
func reenrollment(t *Template, old *x509.Certificate, csr *x509.CertificateRequest, requester string) error {
	if oid := certTemplate(old); oid == nil || !oid.Equal(t.OID) {
		return fmt.Errorf("the certificate being renewed was not issued for the template %s", t.Name)
	}
	if t.enrolleeSubject() {
		if len(csr.Subject.Names) == 0 || !bytes.Equal(csr.RawSubject, old.RawSubject) {
			return fmt.Errorf("the request's subject %q is not the renewed certificate's %q", csr.Subject, old.Subject)
		}
		return nil
	}
	upns, mails := identities(old)
	if len(upns)+len(mails) == 0 {
		return errors.New("the certificate being renewed names no UPN or e-mail address")
	}
	for _, n := range append(upns, mails...) {
		if !strings.EqualFold(n, requester) {
			return fmt.Errorf("the certificate being renewed names %s, not the requester %s", n, requester)
		}
	}
	return nil
}

// allowed reports whether account may enroll for t (Config.Restrict).
func (ca *CA) allowed(t *Template, account string) bool {
	users, ok := ca.cfg.Restrict[t.Name]
	return !ok || slices.Contains(users, account)
}

// certify issues the certificate for request r and returns its DER.
func (ca *CA) certify(r *Request, wrongKey bool) ([]byte, error) {
	t := ca.template(r.Template)
	if t == nil {
		return nil, fmt.Errorf("testca: request %s names unknown template %q", r.ID, r.Template)
	}
	csr, err := x509.ParseCertificateRequest(r.CSR)
	if err != nil {
		return nil, fmt.Errorf("testca: request %s: %w", r.ID, err)
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(t.Validity),
		KeyUsage:     t.KeyUsage,
		ExtKeyUsage:  t.EKUs,
	}
	if tmpl.NotAfter.After(ca.issuing.NotAfter) {
		tmpl.NotAfter = ca.issuing.NotAfter
	}
	ti, err := asn1.Marshal(struct {
		ID           asn1.ObjectIdentifier
		Major, Minor int
	}{t.OID, t.MajorRevision, t.MinorRevision})
	if err != nil {
		return nil, fmt.Errorf("testca: encode template extension: %w", err)
	}
	tmpl.ExtraExtensions = []pkix.Extension{{Id: oidCertificateTemplate, Value: ti}}
	ca.addRevocationURLs(tmpl)
	switch {
	case r.Renewal != nil && (!t.enrolleeSubject() || t.oldCertNames()):
		// AD CS rebuilds the subject from the directory, for which the
		// old certificate stands in, or copies the old names as told.
		old, err := x509.ParseCertificate(r.Renewal)
		if err != nil {
			return nil, fmt.Errorf("testca: request %s: renewed certificate: %w", r.ID, err)
		}
		tmpl.RawSubject = old.RawSubject
		for _, e := range old.Extensions {
			if e.Id.Equal(oidSubjectAltName) {
				tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, e)
			}
		}
	case t.enrolleeSubject(): // the names of the request, renewal or not
		tmpl.RawSubject = csr.RawSubject
		if san, ok := requestSAN(csr); ok && t.SubjectFlags&SubjectEnrolleeSuppliesSAN != 0 {
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, san)
		}
	default: // subject and UPN from the account
		tmpl.Subject = pkix.Name{CommonName: accountName(r.Requester), OrganizationalUnit: []string{"Users"}}
		san, err := upnSAN(r.Requester)
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, san)
	}
	pub := csr.PublicKey
	if wrongKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("testca: %w", err)
		}
		pub = k.Public()
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuing, pub, ca.issuingKey)
	if err != nil {
		return nil, fmt.Errorf("testca: issue certificate for request %s: %w", r.ID, err)
	}
	return der, nil
}

// upnSAN encodes subjectAltName = otherName UPN (1.3.6.1.4.1.311.20.2.3).
func upnSAN(upn string) (pkix.Extension, error) {
	utf8, err := asn1.MarshalWithParams(upn, "utf8")
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("testca: encode UPN: %w", err)
	}
	other, err := asn1.Marshal(struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}{oidUPN, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: utf8}})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("testca: encode UPN: %w", err)
	}
	// otherName is [0] IMPLICIT: retag the SEQUENCE as context-specific constructed 0.
	other[0] = 0xA0
	v, err := asn1.Marshal([]asn1.RawValue{{FullBytes: other}})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("testca: encode UPN: %w", err)
	}
	return pkix.Extension{Id: oidSubjectAltName, Value: v}, nil
}

// Get returns the request with the given id, read from the state directory.
func (ca *CA) Get(id string) (Request, error) {
	r, err := ca.db.get(id)
	if err != nil {
		return Request{}, err
	}
	return *r, nil
}

// Pending lists the requests waiting for Approve or Deny.
func (ca *CA) Pending() ([]Request, error) { return ca.db.list(StatusPending) }

// Approve issues the certificate of a pending request; the client gets it
// with its next QueryTokenStatus.
func (ca *CA) Approve(id string) (*x509.Certificate, error) {
	r, err := ca.db.update(id, func(r *Request) error {
		if r.Status != StatusPending {
			return fmt.Errorf("%w: %s is %s", ErrNotPending, r.ID, r.Status)
		}
		der, err := ca.certify(r, false)
		if err != nil {
			return err
		}
		r.Cert, r.Status = der, StatusIssued
		return nil
	})
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(r.Cert)
}

// Deny refuses a pending request; the client's next QueryTokenStatus gets
// a CERTSRV_E_ADMIN_DENIED_REQUEST fault carrying reason.
func (ca *CA) Deny(id, reason string) error {
	_, err := ca.db.update(id, func(r *Request) error {
		if r.Status != StatusPending {
			return fmt.Errorf("%w: %s is %s", ErrNotPending, r.ID, r.Status)
		}
		r.Status, r.Reason = StatusDenied, reason
		return nil
	})
	return err
}

// Resign re-issues cert with the same subject, key and extensions but a
// new serial number and the validity [notBefore, notBefore+validity],
// signed by the issuing CA (like certutil -sign). Tests use it to make a
// certificate due for renewal, or expired.
func (ca *CA) Resign(cert *x509.Certificate, notBefore time.Time, validity time.Duration) (*x509.Certificate, error) {
	if validity <= 0 {
		return nil, errors.New("testca: resign: validity must be positive")
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		RawSubject:   cert.RawSubject,
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(validity),
	}
	for _, e := range cert.Extensions {
		// the authority key id is the issuing CA's, whoever signed cert
		if !e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 35}) {
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, e)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuing, cert.PublicKey, ca.issuingKey)
	if err != nil {
		return nil, fmt.Errorf("testca: resign %s: %w", cert.Subject, err)
	}
	return x509.ParseCertificate(der)
}

// Submit hands a request to the CA directly, without HTTP: token is a DER
// PKCS#10 or CMS renewal request, requester the account it is made for.
// It runs the same checks as the username/password CES and returns the
// recorded request (issued or pending) or an *Error.
func (ca *CA) Submit(token []byte, requester string) (Request, error) {
	r, err := ca.submit(submission{token: token, requester: requester})
	if err != nil {
		return Request{}, err
	}
	return *r, nil
}
