package enroll

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Fault is a SOAP 1.2 fault from CEP or CES. CES adds a
// CertificateEnrollmentWSDetail with the CA's HRESULT ([MS-WSTEP] faults).
type Fault struct {
	Code    string // e.g. "s:Receiver", as sent
	Subcode string // e.g. "a:InternalServiceFault"; "" if none
	Reason  string // the CA's or server's text, whitespace collapsed
	// The fields below come from CertificateEnrollmentWSDetail; HasDetail
	// reports whether it was present.
	HasDetail      bool
	ErrorCode      int32  // signed HRESULT, as on the wire
	InvalidRequest bool   // true: the CA denied the request
	RequestID      string // CA request id, "" if nil
	BinaryResponse string // base64 CA response, "" if nil
}

// HRESULT returns ErrorCode as the unsigned value Windows tools display.
func (f *Fault) HRESULT() uint32 { return uint32(f.ErrorCode) }

// Name returns the symbolic name of the HRESULT, e.g.
// "CERTSRV_E_TEMPLATE_DENIED", or "" when unknown or absent.
func (f *Fault) Name() string { return hresultNames[f.HRESULT()] }

// Error names the HRESULT and quotes the server's reason.
func (f *Fault) Error() string {
	reason := f.Reason
	if reason == "" {
		reason = "no reason given"
	}
	if f.credentials() {
		return fmt.Sprintf("enroll: the server refused these credentials (%s): %s", f.Subcode, reason)
	}
	if !f.HasDetail || f.ErrorCode == 0 {
		return fmt.Sprintf("enroll: the server returned a fault (%s): %s", f.Code, reason)
	}
	name := f.Name()
	if name == "" {
		name = "HRESULT"
	}
	verb := "failed"
	if f.InvalidRequest {
		verb = "denied"
	}
	return fmt.Sprintf("enroll: the CA %s the request with %s (0x%08X): %s", verb, name, f.HRESULT(), reason)
}

// Unwrap lets errors.Is detect a CA denial (ErrDenied) and a WS-Security
// rejection of the UsernameToken (ErrCredentialsRefused).
func (f *Fault) Unwrap() error {
	switch {
	case f.InvalidRequest:
		return ErrDenied
	case f.credentials():
		return ErrCredentialsRefused
	}
	return nil
}

// credentials reports the WS-Security subcodes WCF uses for a bad
// UsernameToken (a fault, unlike IIS's HTTP 401).
func (f *Fault) credentials() bool {
	_, local, _ := strings.Cut(f.Subcode, ":")
	if local == "" {
		local = f.Subcode
	}
	return local == "FailedAuthentication" || local == "InvalidSecurity" || local == "InvalidSecurityToken"
}

// hresultNames names the HRESULTs AD CS answers with (docs/protocol-client.md). ErrorCode arrives as a
// signed decimal (-2146877422), so lookups use the uint32 form (§10.13).
var hresultNames = map[uint32]string{
	0x80094001: "CERTSRV_E_BAD_REQUESTSUBJECT",
	0x80094003: "CERTSRV_E_BAD_REQUESTSTATUS",
	0x80094004: "CERTSRV_E_PROPERTY_EMPTY",
	0x8009400E: "CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE",
	0x80094011: "CERTSRV_E_ENROLL_DENIED",
	0x80094012: "CERTSRV_E_TEMPLATE_DENIED",
	0x80094014: "CERTSRV_E_ADMIN_DENIED_REQUEST",
	0x80094800: "CERTSRV_E_UNSUPPORTED_CERT_TYPE",
	0x80094801: "CERTSRV_E_NO_CERT_TYPE",
	0x80094802: "CERTSRV_E_TEMPLATE_CONFLICT",
	0x8009480F: "CERTSRV_E_SUBJECT_DNS_REQUIRED",
	0x80094811: "CERTSRV_E_KEY_LENGTH",
	0x80094816: "CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY",
	0x80070057: "E_INVALIDARG",
	0x8007000D: "ERROR_INVALID_DATA",
}

type rawFault struct {
	Code    string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Value"`
	Subcode string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Subcode>Value"`
	Reason  []struct {
		Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Text string `xml:",chardata"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Reason>Text"`
	// A namespace in a tag path applies to every step, so Detail nests.
	Detail struct {
		WS *struct {
			BinaryResponse *xsVal `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment BinaryResponse"`
			ErrorCode      *xsVal `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment ErrorCode"`
			InvalidRequest *xsVal `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment InvalidRequest"`
			RequestID      *xsVal `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment RequestID"`
		} `xml:"http://schemas.microsoft.com/windows/pki/2009/01/enrollment CertificateEnrollmentWSDetail"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Detail"`
}

// decodeFault reads an s:Fault element and returns it as *Fault, or the
// XML error when the fault itself cannot be read.
func decodeFault(d *xml.Decoder, start xml.StartElement) error {
	var raw rawFault
	if err := d.DecodeElement(&raw, &start); err != nil {
		return fmt.Errorf("%w: SOAP fault: %v", ErrMalformed, err)
	}
	f := &Fault{Code: strings.TrimSpace(raw.Code), Subcode: strings.TrimSpace(raw.Subcode)}
	// Prefer the English text; WCF sends one s:Text per language.
	for i, r := range raw.Reason {
		if i == 0 || strings.HasPrefix(strings.ToLower(r.Lang), "en") {
			f.Reason = strings.Join(strings.Fields(r.Text), " ")
		}
	}
	if det := raw.Detail.WS; det != nil {
		f.HasDetail = true
		if s, _ := det.ErrorCode.str(); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < -1<<31 || n > 1<<32-1 {
				return fmt.Errorf("enroll: SOAP fault ErrorCode %q is not an HRESULT", s)
			}
			f.ErrorCode = int32(n) // also accepts the unsigned form some servers log
		}
		s, _ := det.InvalidRequest.str()
		f.InvalidRequest, _ = strconv.ParseBool(s)
		f.RequestID, _ = det.RequestID.str()
		f.BinaryResponse, _ = det.BinaryResponse.str()
	}
	return f
}
