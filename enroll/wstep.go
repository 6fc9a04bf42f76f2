package enroll

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/smallstep/pkcs7"
)

const (
	tokenX509v3    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	reqIssue       = nsWST + "/Issue"
	reqQuery       = nsWSTEP + "/QueryTokenStatus"
	valuePKCS10    = nsWSTEP + "#PKCS10"
	valuePKCS7     = nsWSSE + "#PKCS7" // the URI Windows itself sends for renewals (§4.1)
	encodingBase64 = nsWSSE + "#base64binary"
)

// Response is the outcome of an Issue or QueryTokenStatus request that the
// CA did not refuse: either an issued certificate or a pending request.
type Response struct {
	// Certificate is the issued end-entity certificate; nil while pending.
	Certificate *x509.Certificate
	// Chain holds the other certificates of the CMC response (issuing CA,
	// root) when the server sent one; it may be empty (§10.17).
	Chain []*x509.Certificate
	// RequestID is the CA's request number; keep it to poll a pending request.
	RequestID string
	// Disposition is the CA's message, e.g. "Issued" or "Taken Under Submission".
	Disposition string
	// PollURL is the URL a pending answer's SecurityTokenReference names,
	// for display only: it comes from the response, so polling it would
	// send the credential wherever the answer points. Poll Endpoint.
	PollURL string
	// Endpoint is the CES URI that answered: the one the request was
	// submitted to (after failover) or polled at. Poll a pending request
	// there, with its RequestID.
	Endpoint string
}

// Pending reports whether the CA has not issued the certificate yet.
func (r *Response) Pending() bool { return r.Certificate == nil }

// CheckKey returns ErrKeyMismatch unless the issued certificate certifies
// pub. Enroll and Renew check it; callers of Poll and Submit should too.
func (r *Response) CheckKey(pub crypto.PublicKey) error {
	if r.Certificate == nil {
		return nil
	}
	if k, ok := r.Certificate.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && k.Equal(pub) {
		return nil
	}
	return ErrKeyMismatch
}

// rstBody builds a RequestSecurityToken. token is nil for QueryTokenStatus.
// EncodingType is always present: a real CES faults without it (cepces #81).
func rstBody(requestType string, token []byte, valueType, template, requestID string) string {
	var b strings.Builder
	b.Grow(base64.StdEncoding.EncodedLen(len(token)) + 1024)
	b.WriteString(`<wst:RequestSecurityToken xmlns:wst="` + nsWST + `" xmlns:wsse="` + nsWSSE + `" xmlns:wstep="` + nsWSTEP + `" xmlns:xsi="` + nsXSI + `">`)
	b.WriteString("<wst:TokenType>" + tokenX509v3 + "</wst:TokenType><wst:RequestType>" + requestType + "</wst:RequestType>")
	if token != nil {
		b.WriteString(`<wsse:BinarySecurityToken ValueType="` + valueType + `" EncodingType="` + encodingBase64 + `">` +
			base64.StdEncoding.EncodeToString(token) + "</wsse:BinarySecurityToken>")
	}
	if template != "" {
		// Forwarded by CES to the CA as the CertificateTemplate request attribute.
		b.WriteString(`<ac:AdditionalContext xmlns:ac="` + nsAC + `"><ac:ContextItem Name="CertificateTemplate"><ac:Value>` +
			esc(template) + "</ac:Value></ac:ContextItem></ac:AdditionalContext>")
	}
	if requestID == "" {
		b.WriteString(`<wstep:RequestID xsi:nil="true"/>`)
	} else {
		b.WriteString("<wstep:RequestID>" + esc(requestID) + "</wstep:RequestID>")
	}
	b.WriteString("</wst:RequestSecurityToken>")
	return b.String()
}

// Submit sends a ready-made request token (a DER PKCS#10, or a CMS
// SignedData for renewals) to the CES URIs in order, failing over as
// Endpoints describes. template, if not empty, is also sent as the
// CertificateTemplate context item.
func (c *Client) Submit(ctx context.Context, uris []string, token []byte, template string) (*Response, error) {
	// The CA sniffs the blob, so ValueType is advisory (§10.8); pick it by the
	// outer OID: a CMS ContentInfo starts with SEQUENCE { OID 1.2.840.113549.1.7.2 ...
	vt := valuePKCS10
	if isCMS(token) {
		vt = valuePKCS7
	}
	body := rstBody(reqIssue, token, vt, template, "")
	return failover(ctx, uris, func(u string) (*Response, error) { return c.rst(ctx, u, body) })
}

// Poll asks the CES at cesURL for the state of a pending request
// (QueryTokenStatus). cesURL is the Endpoint of the answer that pended the
// request, never a URL taken from a response. A later denial arrives as a
// *Fault wrapping ErrDenied.
func (c *Client) Poll(ctx context.Context, cesURL, requestID string) (*Response, error) {
	if requestID == "" {
		return nil, errors.New("enroll: poll needs the request id")
	}
	return c.rst(ctx, cesURL, rstBody(reqQuery, nil, "", "", requestID))
}

func (c *Client) rst(ctx context.Context, u, body string) (*Response, error) {
	data, _, err := c.post(ctx, u, actionRST, body)
	if err != nil {
		return nil, err
	}
	res, err := ParseResponse(data)
	if err != nil {
		return nil, err
	}
	res.Endpoint = u
	return res, nil
}

type rawBST struct {
	ValueType string `xml:"ValueType,attr"`
	Text      string `xml:",chardata"`
}

type rawRSTR struct {
	TokenType   string   `xml:"http://docs.oasis-open.org/ws-sx/ws-trust/200512 TokenType"`
	Disposition string   `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment DispositionMessage"`
	BST         []rawBST `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd BinarySecurityToken"`
	Requested   *struct {
		BST *rawBST `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd BinarySecurityToken"`
		Ref *struct {
			URI string `xml:"URI,attr"`
		} `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd SecurityTokenReference>Reference"`
	} `xml:"http://docs.oasis-open.org/ws-sx/ws-trust/200512 RequestedSecurityToken"`
	RequestID *xsVal `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment RequestID"`
}

// ParseResponse parses a CES answer: a whole SOAP envelope, or a bare
// RequestSecurityTokenResponseCollection, RequestSecurityTokenResponse or
// Fault. Faults are returned as *Fault.
func ParseResponse(data []byte) (*Response, error) {
	d, start, _, err := payload(data)
	if err != nil {
		return nil, err
	}
	var r rawRSTR
	switch {
	case start.Name.Space == nsSOAP && start.Name.Local == "Fault":
		return nil, decodeFault(d, start)
	case start.Name.Space == nsWST && start.Name.Local == "RequestSecurityTokenResponseCollection":
		var coll struct {
			R []rawRSTR `xml:"http://docs.oasis-open.org/ws-sx/ws-trust/200512 RequestSecurityTokenResponse"`
		}
		if err := d.DecodeElement(&coll, &start); err != nil {
			return nil, fmt.Errorf("%w: enrollment response: %v", ErrMalformed, err)
		}
		if len(coll.R) == 0 {
			return nil, errors.New("enroll: the enrollment response is empty")
		}
		r = coll.R[0] // MS-WSTEP: exactly one
	case start.Name.Space == nsWST && start.Name.Local == "RequestSecurityTokenResponse":
		if err := d.DecodeElement(&r, &start); err != nil {
			return nil, fmt.Errorf("%w: enrollment response: %v", ErrMalformed, err)
		}
	default:
		return nil, fmt.Errorf("enroll: expected an enrollment response, got %s", start.Name.Local)
	}
	return r.convert()
}

func (r *rawRSTR) convert() (*Response, error) {
	res := &Response{Disposition: strings.Join(strings.Fields(r.Disposition), " ")}
	res.RequestID, _ = r.RequestID.str()
	if tt := squeeze(r.TokenType); tt != "" && tt != tokenX509v3 {
		return nil, fmt.Errorf("enroll: the response carries a %q token, not an X.509 certificate", tt)
	}
	rt := r.Requested
	switch {
	case rt != nil && rt.BST != nil:
		der, err := decodeBase64(rt.BST.Text)
		if err != nil {
			return nil, fmt.Errorf("enroll: the issued certificate is not valid base64: %w", err)
		}
		res.Certificate, err = leafFrom(der)
		if err != nil {
			return nil, err
		}
	case res.RequestID != "":
		// Pending: a SecurityTokenReference to a poll URL and a RequestID
		// (§4.4). The URL is kept for display only; polls go to Endpoint.
		if rt != nil && rt.Ref != nil {
			res.PollURL = squeeze(rt.Ref.URI)
		}
		return res, nil
	default:
		return nil, errors.New("enroll: the response carries neither a certificate nor a pending request")
	}
	// The RSTR-level PKCS#7/CMC token only contributes the chain; it is
	// optional and, in captured traffic, sometimes truncated, so a broken one
	// leaves Chain empty rather than failing an issued certificate.
	for _, b := range r.BST {
		if der, err := decodeBase64(b.Text); err == nil {
			res.Chain = append(res.Chain, chainFrom(der, res.Certificate)...)
		}
	}
	return res, nil
}

// chainFrom returns the certificates of a CMS SignedData other than leaf.
// AD CS sends DER, which encoding/asn1 reads directly; BER (indefinite
// lengths, as some CryptoAPI blobs have) falls back to smallstep/pkcs7,
// whose BER-to-DER pass is several times slower.
func chainFrom(der []byte, leaf *x509.Certificate) []*x509.Certificate {
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	var sd struct {
		Version     int
		Digests     asn1.RawValue
		Encap       asn1.RawValue
		Certs       asn1.RawValue `asn1:"optional,tag:0"`
		CRLs        asn1.RawValue `asn1:"optional,tag:1"`
		SignerInfos asn1.RawValue
	}
	var chain []*x509.Certificate
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 {
		return chainFromBER(der, leaf)
	}
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) > 0 {
		return chainFromBER(der, leaf)
	}
	for rest := sd.Certs.Bytes; len(rest) > 0; {
		var raw asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &raw); err != nil {
			return chainFromBER(der, leaf)
		}
		if bytes.Equal(raw.FullBytes, leaf.Raw) {
			continue
		}
		if c, err := x509.ParseCertificate(raw.FullBytes); err == nil {
			chain = append(chain, c)
		}
	}
	return chain
}

func chainFromBER(der []byte, leaf *x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	if p7, err := pkcs7.Parse(der); err == nil {
		for _, c := range p7.Certificates {
			if !c.Equal(leaf) {
				chain = append(chain, c)
			}
		}
	}
	return chain
}

// leafFrom sniffs the DER (ValueType is unreliable, §10.8): a certificate, or
// a PKCS#7 whose first non-CA certificate is taken.
func leafFrom(der []byte) (*x509.Certificate, error) {
	if c, err := x509.ParseCertificate(der); err == nil {
		return c, nil
	}
	if p7, err := pkcs7.Parse(der); err == nil {
		for _, c := range p7.Certificates {
			if !c.IsCA {
				return c, nil
			}
		}
	}
	return nil, errors.New("enroll: the issued token is not an X.509 certificate")
}

// isCMS reports whether der starts like a CMS ContentInfo (signedData OID
// 1.2.840.113549.1.7.2) rather than a PKCS#10 (SEQUENCE { SEQUENCE ...).
func isCMS(der []byte) bool {
	oid := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	for i := 2; i <= 6 && i+len(oid) <= len(der); i++ {
		if string(der[i:i+len(oid)]) == string(oid) {
			return true
		}
	}
	return false
}
