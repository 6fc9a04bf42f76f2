package testca

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Namespace URIs ([MS-XCEP], [MS-WSTEP]). Elements are matched on URI and local
// name, never on prefixes.
const (
	nsSOAP   = "http://www.w3.org/2003/05/soap-envelope"
	nsWSA    = "http://www.w3.org/2005/08/addressing"
	nsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	nsXCEP   = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy"
	nsWST    = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
	nsWSTEP  = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment"
	nsAuth   = "http://schemas.xmlsoap.org/ws/2006/12/authorization"
	nsWCFErr = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"

	actionGetPolicies         = nsXCEP + "/IPolicy/GetPolicies"
	actionGetPoliciesResponse = nsXCEP + "/IPolicy/GetPoliciesResponse"
	actionRST                 = nsWSTEP + "/RST/wstep"
	actionRSTRC               = nsWSTEP + "/RSTRC/wstep"
	actionKET                 = nsWST + "/RST/KET"
	actionKETFinal            = nsWST + "/RSTR/KETFinal"
	actionDetailFault         = nsWSTEP + "/RequestSecurityTokenCertificateEnrollmentWSDetailFault"
	actionWCFFault            = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher/fault"

	tokenX509v3     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	valuePKCS7      = nsWSSE + "#PKCS7"
	encodingBase64  = nsWSSE + "#base64binary"
	reqTypeIssue    = nsWST + "/Issue"
	reqTypeQuery    = nsWSTEP + "/QueryTokenStatus"
	reqTypeKET      = nsWST + "/KET"
	passwordTextURI = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)

// node is a parsed XML element with namespace-resolved names.
type node struct {
	name xml.Name
	attr []xml.Attr
	text strings.Builder
	kids []*node
}

// parseXML reads one XML document into a tree.
func parseXML(r io.Reader) (*node, error) {
	d := xml.NewDecoder(r)
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attr: t.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("empty document")
	}
	return root, nil
}

func (n *node) is(space, local string) bool {
	return n != nil && n.name.Space == space && n.name.Local == local
}

// child returns the first child element space:local, or nil.
func (n *node) child(space, local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.is(space, local) {
			return k
		}
	}
	return nil
}

// find returns the first descendant (or n itself) named space:local.
func (n *node) find(space, local string) *node {
	if n == nil {
		return nil
	}
	if n.is(space, local) {
		return n
	}
	for _, k := range n.kids {
		if f := k.find(space, local); f != nil {
			return f
		}
	}
	return nil
}

// attrValue returns the attribute space:local ("" space: unqualified).
func (n *node) attrValue(space, local string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// value is the element text with surrounding whitespace trimmed.
func (n *node) value() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text.String())
}

// isNil reports an absent element, xsi:nil="true"/"1", or an empty one.
func (n *node) isNil() bool {
	if n == nil {
		return true
	}
	v, _ := n.attrValue(nsXSI, "nil")
	v = strings.TrimSpace(v)
	return v == "true" || v == "1" || (len(n.kids) == 0 && n.value() == "")
}

// uriValue compares URIs as the spec examples wrap them: with all
// whitespace removed.
func uriValue(s string) string { return strings.Join(strings.Fields(s), "") }

// envelope is a parsed SOAP 1.2 request.
type envelope struct {
	action    string
	messageID string
	header    *node
	body      *node // first element child of Body
}

// understood lists the header blocks the server processes; any other
// header with mustUnderstand set gets a MustUnderstand fault.
var understood = map[xml.Name]bool{
	{Space: nsWSA, Local: "Action"}: true, {Space: nsWSA, Local: "To"}: true,
	{Space: nsWSA, Local: "MessageID"}: true, {Space: nsWSA, Local: "ReplyTo"}: true,
	{Space: nsWSSE, Local: "Security"}: true,
}

// parseEnvelope parses and checks a SOAP 1.2 envelope.
func parseEnvelope(r io.Reader) (*envelope, error) {
	root, err := parseXML(r)
	if err != nil {
		return nil, &soapFault{code: "s:Sender", reason: fmt.Sprintf("The request is not well-formed XML: %v", err)}
	}
	if !root.is(nsSOAP, "Envelope") {
		return nil, &soapFault{code: "s:VersionMismatch", reason: "The message is not a SOAP 1.2 envelope."}
	}
	env := &envelope{header: root.child(nsSOAP, "Header")}
	if env.header != nil {
		for _, h := range env.header.kids {
			mu, _ := h.attrValue(nsSOAP, "mustUnderstand")
			if mu = strings.TrimSpace(mu); (mu == "1" || mu == "true") && !understood[h.name] {
				return nil, &soapFault{code: "s:MustUnderstand", reason: fmt.Sprintf("The header %s of namespace %s was not understood.", h.name.Local, h.name.Space)}
			}
		}
		env.action = uriValue(env.header.child(nsWSA, "Action").value())
		env.messageID = env.header.child(nsWSA, "MessageID").value()
	}
	body := root.child(nsSOAP, "Body")
	if body == nil || len(body.kids) == 0 {
		return nil, &soapFault{code: "s:Sender", reason: "The SOAP body is empty."}
	}
	env.body = body.kids[0]
	return env, nil
}

// soapFault is a plain SOAP fault (no CES detail): malformed envelopes,
// unknown actions, authentication failures.
type soapFault struct {
	code    string // s:Sender, s:Receiver, s:MustUnderstand, s:VersionMismatch
	subcode string // optional, e.g. a:ActionNotSupported
	reason  string
}

func (f *soapFault) Error() string { return "testca: soap fault: " + f.reason }

// esc escapes text for element content and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder cannot fail
	return b.String()
}

// envelopeXML wraps a response body with the WS-Addressing headers.
func envelopeXML(action, relatesTo, body string) string {
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA + `"><s:Header>`)
	b.WriteString(`<a:Action s:mustUnderstand="1">` + esc(action) + `</a:Action>`)
	if relatesTo != "" {
		b.WriteString(`<a:RelatesTo>` + esc(relatesTo) + `</a:RelatesTo>`)
	}
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return b.String()
}

// faultXML renders a fault; detail is the CES detail or nil.
func faultXML(relatesTo string, f *soapFault, detail *Error) string {
	var b strings.Builder
	b.WriteString(`<s:Fault><s:Code><s:Value>` + f.code + `</s:Value>`)
	if f.subcode != "" {
		b.WriteString(`<s:Subcode><s:Value xmlns:a="` + nsWCFErr + `">` + f.subcode + `</s:Value></s:Subcode>`)
	}
	b.WriteString(`</s:Code><s:Reason><s:Text xml:lang="en-US">` + esc(f.reason) + `</s:Text></s:Reason>`)
	action := actionWCFFault
	if detail != nil {
		action = actionDetailFault
		b.WriteString(`<s:Detail><CertificateEnrollmentWSDetail xmlns="` + nsWSTEP + `" xmlns:xsi="` + nsXSI + `">`)
		b.WriteString(`<BinaryResponse xsi:nil="true"/>`)
		fmt.Fprintf(&b, `<ErrorCode>%d</ErrorCode><InvalidRequest>%t</InvalidRequest>`, detail.Code.Signed(), detail.InvalidRequest)
		if detail.RequestID != "" {
			b.WriteString(`<RequestID>` + esc(detail.RequestID) + `</RequestID>`)
		} else {
			b.WriteString(`<RequestID xsi:nil="true"/>`)
		}
		b.WriteString(`</CertificateEnrollmentWSDetail></s:Detail>`)
	}
	b.WriteString(`</s:Fault>`)
	return envelopeXML(action, relatesTo, b.String())
}
