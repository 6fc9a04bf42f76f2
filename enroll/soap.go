package enroll

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Namespace URIs. Prefixes on the wire are arbitrary (docs/protocol-client.md): we
// emit WCF's conventional ones and match responses by URI only.
const (
	nsSOAP   = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSA    = "http://www.w3.org/2005/08/addressing"
	nsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	nsXCEP   = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy"
	nsWST    = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
	nsWSTEP  = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment"
	nsAC     = "http://schemas.xmlsoap.org/ws/2006/12/authorization"

	actionGetPolicies = nsXCEP + "/IPolicy/GetPolicies"
	actionRST         = nsWSTEP + "/RST/wstep"
	wsaAnonymous      = nsWSA + "/anonymous"
	passwordText      = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
	contentType       = "application/soap+xml; charset=utf-8"
)

// header is what varies in the SOAP header of one request.
type header struct {
	action, messageID, to string
	user, password        string // empty user: no WS-Security header
	now                   time.Time
}

// writeEnvelope writes a SOAP 1.2 envelope around body. Action and To carry
// mustUnderstand="1" as Windows sends them; the Security header too (§2.1).
func writeEnvelope(w *bytes.Buffer, h header, body string) {
	w.WriteString(`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA + `" xmlns:u="` + nsWSU + `">` + "\n<s:Header>\n")
	w.WriteString(`<a:Action s:mustUnderstand="1">` + esc(h.action) + "</a:Action>\n")
	w.WriteString(`<a:MessageID>` + esc(h.messageID) + "</a:MessageID>\n")
	w.WriteString(`<a:ReplyTo><a:Address>` + wsaAnonymous + "</a:Address></a:ReplyTo>\n")
	// WCF's address filter compares To with the URL actually posted to (§10.21).
	w.WriteString(`<a:To s:mustUnderstand="1">` + esc(h.to) + "</a:To>\n")
	if h.user != "" {
		created := h.now.UTC()
		w.WriteString(`<o:Security s:mustUnderstand="1" xmlns:o="` + nsWSSE + `">`)
		// WCF rejects messages outside its 5-minute skew window; Expires mirrors Windows.
		w.WriteString(`<u:Timestamp u:Id="_0"><u:Created>` + created.Format(timeFormat) +
			`</u:Created><u:Expires>` + created.Add(5*time.Minute).Format(timeFormat) + `</u:Expires></u:Timestamp>`)
		// PasswordText only: AD must see the clear password, hence HTTPS-only (§2.1).
		w.WriteString(`<o:UsernameToken u:Id="uuid-` + strings.TrimPrefix(h.messageID, "urn:uuid:") + `-1"><o:Username>` +
			esc(h.user) + `</o:Username><o:Password Type="` + passwordText + `">` + esc(h.password) +
			"</o:Password></o:UsernameToken></o:Security>\n")
	}
	w.WriteString("</s:Header>\n<s:Body>\n" + body + "\n</s:Body>\n</s:Envelope>\n")
}

// timeFormat is xs:dateTime in UTC with milliseconds, as WCF emits it.
const timeFormat = "2006-01-02T15:04:05.000Z"

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // strings.Builder never fails
	return b.String()
}

// errNotSOAP12 reports a response that is not a SOAP 1.2 envelope.
var errNotSOAP12 = errors.New("enroll: the response is not a SOAP 1.2 message")

// payload positions d on the first element of the SOAP body and returns it
// with the response's wsa:Action. Data that is not an Envelope is taken as a
// bare body element, which the fixtures and fuzz seeds use. Positioning the
// decoder (rather than re-parsing inner XML) keeps namespace declarations made
// on Envelope or Body in scope, e.g. xmlns:xsi on s:Body in the XCEP examples.
func payload(data []byte) (d *xml.Decoder, start xml.StartElement, action string, err error) {
	d = xml.NewDecoder(bytes.NewReader(data))
	root, err := nextStart(d)
	if err != nil {
		return nil, start, "", err
	}
	if root.Name.Local != "Envelope" {
		return d, root, "", nil
	}
	if root.Name.Space != nsSOAP {
		if root.Name.Space == nsSOAP11 {
			return nil, start, "", fmt.Errorf("%w (it is SOAP 1.1)", errNotSOAP12)
		}
		return nil, start, "", errNotSOAP12
	}
	for {
		el, err := nextStart(d)
		if err != nil {
			return nil, start, "", err
		}
		switch {
		case el.Name.Local == "":
			return nil, start, "", errors.New("enroll: the SOAP response has no body")
		case el.Name.Space == nsSOAP && el.Name.Local == "Header":
			var h struct {
				Action string `xml:"http://www.w3.org/2005/08/addressing Action"`
			}
			if err := d.DecodeElement(&h, &el); err != nil {
				return nil, start, "", fmt.Errorf("%w: SOAP header: %v", ErrMalformed, err)
			}
			action = squeeze(h.Action)
		case el.Name.Space == nsSOAP && el.Name.Local == "Body":
			child, err := nextStart(d)
			if err != nil {
				return nil, start, "", err
			}
			if child.Name.Local == "" {
				return nil, start, "", errors.New("enroll: the SOAP body is empty")
			}
			return d, child, action, nil
		default:
			if err := d.Skip(); err != nil {
				return nil, start, "", fmt.Errorf("%w: SOAP envelope: %v", ErrMalformed, err)
			}
		}
	}
}

// nextStart returns the next start element, or a zero one when an end
// element comes first (the enclosing element is empty).
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("%w: it ends early", ErrMalformed)
		}
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, nil
		}
	}
}

// squeeze removes all whitespace: spec examples and real servers wrap URIs
// and base64 across lines, including &#xD; (docs/protocol-client.md).
func squeeze(s string) string {
	if !strings.ContainsAny(s, " \t\n\r") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// decodeBase64 decodes standard base64 wrapped across lines or spaced
// (squeeze). encoding/base64 skips CR and LF itself, so only text with
// spaces or tabs is copied without them first.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t") {
		s = squeeze(s)
	}
	return base64.StdEncoding.DecodeString(s)
}
