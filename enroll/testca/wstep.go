package testca

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/smallstep/pkcs7"
)

// rst is a parsed RequestSecurityToken.
type rst struct {
	requestType string
	token       []byte // decoded BinarySecurityToken (Issue)
	template    string // AdditionalContext CertificateTemplate
	requestID   string // QueryTokenStatus
}

// invalidArg is the E_INVALIDARG fault CES answers for malformed WS-Trust.
func invalidArg(reason string) *Error { return &Error{Code: EInvalidArg, Reason: reason} }

// parseRST reads a RequestSecurityToken body. TokenType and ValueType are
// advisory; EncodingType is mandatory on a token, as on a real CES.
func parseRST(body *node) (*rst, error) {
	if !body.is(nsWST, "RequestSecurityToken") {
		return nil, &soapFault{code: "s:Sender", reason: "The body is not a RequestSecurityToken."}
	}
	r := &rst{requestType: uriValue(body.child(nsWST, "RequestType").value())}
	switch r.requestType {
	case reqTypeIssue:
		bst := body.child(nsWSSE, "BinarySecurityToken")
		if bst == nil || bst.value() == "" {
			return nil, invalidArg("The BinarySecurityToken is missing.")
		}
		enc, _ := bst.attrValue("", "EncodingType")
		if uriValue(enc) != encodingBase64 {
			return nil, invalidArg("The EncodingType is invalid.")
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(bst.text.String()), ""))
		if err != nil {
			return nil, &Error{Code: ErrorInvalidData, Reason: fmt.Sprintf("The BinarySecurityToken is not valid base64: %v", err)}
		}
		r.token = der
		if ac := body.child(nsAuth, "AdditionalContext"); ac != nil {
			for _, item := range ac.kids {
				if name, _ := item.attrValue("", "Name"); item.is(nsAuth, "ContextItem") && strings.TrimSpace(name) == "CertificateTemplate" {
					r.template = item.child(nsAuth, "Value").value()
				}
			}
		}
	case reqTypeQuery:
		id := body.child(nsWSTEP, "RequestID")
		if id.isNil() {
			return nil, invalidArg("The RequestID is missing.")
		}
		r.requestID = id.value()
	case reqTypeKET:
	default:
		return nil, invalidArg("The RequestType is invalid.")
	}
	return r, nil
}

// wrap64 wraps base64 as AD CS does: 64 characters a line, CRLF
// (the CR escaped as &#xD;), so clients must strip whitespace.
func wrap64(der []byte) string {
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "&#xD;\n")
		s = s[64:]
	}
	b.WriteString(s)
	return b.String()
}

// bstXML renders a wsse:BinarySecurityToken.
func bstXML(valueType string, der []byte) string {
	return `<BinarySecurityToken ValueType="` + valueType + `" EncodingType="` + encodingBase64 + `" xmlns="` + nsWSSE + `">` + wrap64(der) + `</BinarySecurityToken>`
}

// rstrcXML renders the RSTRC for a request: issued (certificate and CMC
// response with the chain, plus unrelated certificates when foreign is
// set) or pending (reference to pollURL).
func (ca *CA) rstrcXML(r *Request, pollURL string, foreign bool) (string, error) {
	var b strings.Builder
	b.WriteString(`<RequestSecurityTokenResponseCollection xmlns="` + nsWST + `"><RequestSecurityTokenResponse>`)
	b.WriteString(`<TokenType>` + tokenX509v3 + `</TokenType>`)
	switch r.Status {
	case StatusIssued:
		cmc, err := ca.cmcResponse(r, foreign)
		if err != nil {
			return "", err
		}
		b.WriteString(`<DispositionMessage xml:lang="en-US" xmlns="` + nsWSTEP + `">Issued</DispositionMessage>`)
		b.WriteString(bstXML(valuePKCS7, cmc))
		b.WriteString(`<RequestedSecurityToken>` + bstXML(tokenX509v3, r.Cert) + `</RequestedSecurityToken>`)
	default:
		b.WriteString(`<DispositionMessage xml:lang="en-US" xmlns="` + nsWSTEP + `">Taken Under Submission</DispositionMessage>`)
		b.WriteString(`<RequestedSecurityToken><SecurityTokenReference xmlns="` + nsWSSE + `"><Reference URI="` + esc(pollURL) + `"/></SecurityTokenReference></RequestedSecurityToken>`)
	}
	b.WriteString(`<RequestID xmlns="` + nsWSTEP + `">` + esc(r.ID) + `</RequestID>`)
	b.WriteString(`</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>`)
	return b.String(), nil
}

// ketXML renders the key-exchange-token answer: the CA exchange
// certificate (here the issuing CA certificate; key archival is not
// supported, but the message is answered as CES does).
func (ca *CA) ketXML() string {
	return `<RequestSecurityTokenResponseCollection xmlns="` + nsWST + `"><RequestSecurityTokenResponse><TokenType>` + tokenX509v3 +
		`</TokenType><RequestedSecurityToken><KeyExchangeToken>` + bstXML(tokenX509v3, ca.issuing.Raw) +
		`</KeyExchangeToken></RequestedSecurityToken></RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>`
}

// OIDs of the CMC Full PKI Response (RFC 5272) AD CS returns.
var (
	oidPKIResponse   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 12, 3}
	oidCMCStatusInfo = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 7, 1}
	oidMSCMCAttrs    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 10, 1}
	oidMSIssuedHash  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 17}
	oidSHA256Digest  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

type taggedAttribute struct {
	BodyPartID int
	Type       asn1.ObjectIdentifier
	Values     []asn1.RawValue `asn1:"set"`
}

// cmcResponse builds the CMC Full PKI Response: CMS SignedData signed by
// the issuing CA, eContentType id-cct-PKIResponse, status "issued", the
// issued certificate's hash in Microsoft's attribute, and the chain
// (leaf, issuing CA, root) in certificates; foreign adds the unrelated
// certificates of FaultForeignChain.
func (ca *CA) cmcResponse(r *Request, foreign bool) ([]byte, error) {
	leaf, err := x509.ParseCertificate(r.Cert)
	if err != nil {
		return nil, fmt.Errorf("testca: request %s: %w", r.ID, err)
	}
	status, err := asn1.Marshal(struct {
		Status     int
		BodyList   []int
		StatusText string `asn1:"utf8"`
	}{0, []int{1}, "Issued"})
	if err != nil {
		return nil, fmt.Errorf("testca: encode CMC status: %w", err)
	}
	sum := sha1.Sum(leaf.Raw)
	hashAttr, err := asn1.Marshal(struct {
		BodyPartID int
		BodyList   []int
		Attrs      []struct {
			Type   asn1.ObjectIdentifier
			Values [][]byte `asn1:"set"`
		} `asn1:"set"`
	}{1, []int{1}, []struct {
		Type   asn1.ObjectIdentifier
		Values [][]byte `asn1:"set"`
	}{{oidMSIssuedHash, [][]byte{sum[:]}}}})
	if err != nil {
		return nil, fmt.Errorf("testca: encode CMC attributes: %w", err)
	}
	content, err := asn1.Marshal(struct {
		Controls []taggedAttribute
		CMS      []asn1.RawValue
		Other    []asn1.RawValue
	}{Controls: []taggedAttribute{
		{1, oidCMCStatusInfo, []asn1.RawValue{{FullBytes: status}}},
		{2, oidMSCMCAttrs, []asn1.RawValue{{FullBytes: hashAttr}}},
	}, CMS: []asn1.RawValue{}, Other: []asn1.RawValue{}})
	if err != nil {
		return nil, fmt.Errorf("testca: encode CMC response: %w", err)
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("testca: CMC response: %w", err)
	}
	sd.SetDigestAlgorithm(oidSHA256Digest)
	sd.GetSignedData().ContentInfo.ContentType = oidPKIResponse
	if err := sd.AddSigner(ca.issuing, ca.issuingKey, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("testca: sign CMC response: %w", err)
	}
	sd.AddCertificate(leaf)
	sd.AddCertificate(ca.root)
	if foreign {
		fs, err := ca.foreignCerts()
		if err != nil {
			return nil, err
		}
		for _, c := range fs {
			sd.AddCertificate(c)
		}
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("testca: CMC response: %w", err)
	}
	return der, nil
}

// queryStatus answers QueryTokenStatus for id.
func (ca *CA) queryStatus(id string) (*Request, error) {
	r, err := ca.db.get(id)
	if errors.Is(err, ErrUnknownRequest) {
		return nil, &Error{Code: CertsrvPropertyEmpty, Reason: "The requested property value is empty: no request with this RequestID.", RequestID: id}
	}
	if err != nil {
		return nil, err
	}
	if r.Status == StatusDenied {
		reason := "Denied by the CA administrator."
		if r.Reason != "" {
			reason += " " + r.Reason
		}
		return nil, &Error{Code: CertsrvAdminDeniedRequest, Reason: reason, RequestID: r.ID, InvalidRequest: true}
	}
	return r, nil
}
