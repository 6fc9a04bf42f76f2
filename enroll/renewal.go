package enroll

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"

	"github.com/smallstep/pkcs7"
)

// RenewalRequest describes a key-based renewal ([MS-WSTEP] key-based renewal): the old
// certificate and key authenticate the request, no password is needed.
type RenewalRequest struct {
	OldCert *x509.Certificate
	OldKey  crypto.Signer
	// NewKey is the key to certify. Nil renews with OldKey, which templates
	// with privateKeyFlags 0x80 (RequireSameKeyRenewal) demand.
	NewKey crypto.Signer
	// Template, if known, supplies the hash and template extensions; without
	// it they are copied from OldCert.
	Template *Template
}

// NewRenewalRequest builds the CMS SignedData a Windows client sends to
// renew: a PKCS#10 for the new key with the old subject, the template
// extensions and attribute 1.3.6.1.4.1.311.13.1 = the old certificate,
// wrapped in id-data content signed by the old key (issuerAndSerialNumber of
// the old certificate, which is also in certificates), SHA-256 and, as
// Windows does, no signed attributes.
func NewRenewalRequest(rand io.Reader, r RenewalRequest) ([]byte, error) {
	if r.OldCert == nil || r.OldKey == nil {
		return nil, errors.New("enroll: renewal needs the old certificate and its key")
	}
	newKey := r.NewKey
	if newKey == nil {
		newKey = r.OldKey
	}
	t := r.Template
	var hashOID string
	var exts []pkix.Extension
	var err error
	if t != nil {
		if t.Flags.RequireSameKeyRenewal && !samePublicKey(newKey, r.OldKey) {
			return nil, fmt.Errorf("enroll: template %s renews with the same key only", t.CommonName)
		}
		if err := checkKey(t, newKey.Public()); err != nil {
			return nil, err
		}
		hashOID = t.HashAlgorithm
		if exts, err = templateExtensions(t); err != nil {
			return nil, err
		}
	} else {
		for _, e := range r.OldCert.Extensions {
			if e.Id.Equal(oidTemplateName) || e.Id.Equal(oidTemplateInfo) {
				exts = append(exts, pkix.Extension{Id: e.Id, Value: e.Value})
			}
		}
	}
	attr, err := attribute(oidRenewalCert, r.OldCert.Raw)
	if err != nil {
		return nil, fmt.Errorf("enroll: encode the renewal attribute: %w", err)
	}
	// The CA takes the subject from the old certificate; the alternative
	// names are repeated for templates where the enrollee supplied them,
	// as the old extension byte for byte: crypto/x509 parses only DNS,
	// e-mail, IP and URI names and would drop a UPN (otherName) or a
	// directory name.
	for _, e := range r.OldCert.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			exts = append(exts, e)
		}
	}
	csr, err := newCSRWithAttributes(rand, newKey, r.OldCert.RawSubject, hashOID, exts, [][]byte{attr})
	if err != nil {
		return nil, err
	}
	sd, err := pkcs7.NewSignedData(csr)
	if err != nil {
		return nil, fmt.Errorf("enroll: wrap the renewal request: %w", err)
	}
	// smallstep/pkcs7 defaults to SHA-1; SignWithoutAttr adds the signer's
	// certificate and omits signed attributes, as Windows' own renewal does.
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.SignWithoutAttr(r.OldCert, r.OldKey, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("enroll: sign the renewal request with the old key: %w", err)
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("enroll: wrap the renewal request: %w", err)
	}
	return der, nil
}

func samePublicKey(a, b crypto.Signer) bool {
	pa, ok := a.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pa.Equal(b.Public())
}

// Enroll builds the CSR for r (NewCSR) and submits it to the CES URIs in
// order, e.g. those from Policies.Endpoints(t, c.AuthKind(), false).
func (c *Client) Enroll(ctx context.Context, uris []string, r Request) (*Response, error) {
	csr, err := NewCSR(c.cfg.rand, r)
	if err != nil {
		return nil, err
	}
	ctxTemplate := ""
	if r.TemplateContext {
		ctxTemplate = r.Template.CommonName
	}
	return checked(c.Submit(ctx, uris, csr, ctxTemplate))(r.Key.Public())
}

// checked wraps a Submit result so the caller can check the key in one line.
func checked(res *Response, err error) func(crypto.PublicKey) (*Response, error) {
	return func(pub crypto.PublicKey) (*Response, error) {
		if err != nil {
			return nil, err
		}
		return res, res.CheckKey(pub)
	}
}

// Renew builds a key-based renewal request (NewRenewalRequest) and submits
// it with RequestType Issue: ADCS has no Renew request type (§10.11). The
// client should present r.OldCert as its TLS certificate
// (WithClientCertificate) and use Policies.Endpoints(t, AuthCertificate, true).
func (c *Client) Renew(ctx context.Context, uris []string, r RenewalRequest) (*Response, error) {
	req, err := NewRenewalRequest(c.cfg.rand, r)
	if err != nil {
		return nil, err
	}
	newKey := r.NewKey
	if newKey == nil {
		newKey = r.OldKey
	}
	return checked(c.Submit(ctx, uris, req, ""))(newKey.Public())
}
