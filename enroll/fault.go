package enroll

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxClockSkew is the difference between this computer's clock and the
// server's beyond which WCF rejects the WS-Security Timestamp (its default
// MaxClockSkew is 5 minutes).
const MaxClockSkew = 5 * time.Minute

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
	// Skew is the server's clock (its HTTP Date) minus ours when the fault
	// arrived; zero when the server sent no Date. A WS-Security fault with
	// a skew of MaxClockSkew or more is the clock's fault, not the
	// password's.
	Skew time.Duration
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
	if f.skewed() {
		ahead := "ahead of"
		if f.Skew > 0 {
			ahead = "behind"
		}
		return fmt.Sprintf("enroll: the server rejected the message's timestamp because this computer's clock is %s %s the server's, more than the %s WS-Security allows; set the clock right and try again (%s: %s)",
			f.Skew.Abs().Round(time.Second), ahead, MaxClockSkew, f.Subcode, reason)
	}
	if f.credentials() {
		return fmt.Sprintf("enroll: the server refused these credentials (%s): %s", f.Subcode, reason)
	}
	if !f.HasDetail || f.ErrorCode == 0 {
		req := ""
		if f.RequestID != "" {
			req = " for request " + f.RequestID
		}
		code := f.Code
		if f.Subcode != "" {
			code += " " + f.Subcode
		}
		return fmt.Sprintf("enroll: the server returned a fault (%s)%s: %s", code, req, reason)
	}
	name := f.Name()
	if name == "" {
		name = "HRESULT"
	}
	verb := "failed"
	if f.Denied() {
		verb = "denied"
	}
	hint := ""
	if h := hresultHints[f.HRESULT()]; h != "" {
		hint = "; " + h
	}
	req := "the request"
	if f.RequestID != "" {
		req = "request " + f.RequestID
	}
	return fmt.Sprintf("enroll: the CA %s %s with %s (0x%08X): %s%s", verb, req, name, f.HRESULT(), reason, hint)
}

// Unwrap lets errors.Is detect a CA denial (ErrDenied), a WS-Security
// rejection of the UsernameToken (ErrCredentialsRefused) and a rejected
// timestamp (ErrClockSkew).
func (f *Fault) Unwrap() error {
	switch {
	case f.InvalidRequest:
		return ErrDenied
	case f.skewed():
		return ErrClockSkew
	case f.credentials():
		return ErrCredentialsRefused
	}
	return nil
}

// Denied reports whether the CA denied the request: InvalidRequest is set,
// or the HRESULT is one of the CA's denials (the caller may not enroll, the
// manager denied it).
func (f *Fault) Denied() bool {
	switch f.HRESULT() {
	case 0x80094011, 0x80094012, 0x80094014:
		return true
	}
	return f.InvalidRequest
}

// Permanent reports whether sending the same request again later cannot
// succeed by itself: a denial, an HRESULT that finds the request wrong,
// refused credentials, or a fault with code Sender (the message is wrong). Everything else CES reports is the
// CA side failing (MS-WSTEP turns every CA error into a fault, "the CA is
// unreachable" included) and is transient; so is a rejected timestamp.
func (f *Fault) Permanent() bool {
	switch {
	case f.skewed():
		return false
	case f.credentials(), f.Denied(), refusals[f.HRESULT()], strings.HasSuffix(f.Code, "Sender"):
		return true
	}
	return false
}

// failsOver reports whether the next CES may get the same request: the
// fault is transient, the CA recorded no request (no RequestID, so no
// duplicate arises) and it is not our clock.
func (f *Fault) failsOver() bool { return !f.Permanent() && f.RequestID == "" && !f.skewed() }

// skewed reports a WS-Security fault that the clock difference explains.
func (f *Fault) skewed() bool { return f.credentials() && f.Skew.Abs() >= MaxClockSkew }

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
	0x80094807: "CERTSRV_E_BAD_TEMPLATE_VERSION",
	0x8009481A: "CERTSRV_E_KEY_ATTESTATION",
	0x80070057: "E_INVALIDARG",
	0x8007000D: "ERROR_INVALID_DATA",
	0x800706BA: "RPC_S_SERVER_UNAVAILABLE",
}

// refusals are the HRESULTs that find the request or the caller wrong
// whatever the CA: retrying the same request cannot help. CERTSRV_E_UNSUPPORTED_CERT_TYPE
// is not one: a CA that has not yet replicated the template says it.
var refusals = map[uint32]bool{
	0x80094001: true, // CERTSRV_E_BAD_REQUESTSUBJECT
	0x8009400E: true, // CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE
	0x80094011: true, // CERTSRV_E_ENROLL_DENIED
	0x80094012: true, // CERTSRV_E_TEMPLATE_DENIED
	0x80094014: true, // CERTSRV_E_ADMIN_DENIED_REQUEST
	0x80094801: true, // CERTSRV_E_NO_CERT_TYPE
	0x80094802: true, // CERTSRV_E_TEMPLATE_CONFLICT
	0x8009480F: true, // CERTSRV_E_SUBJECT_DNS_REQUIRED
	0x80094811: true, // CERTSRV_E_KEY_LENGTH
	0x80094816: true, // CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY
	0x8009481A: true, // CERTSRV_E_KEY_ATTESTATION
	0x80070057: true, // E_INVALIDARG
	0x8007000D: true, // ERROR_INVALID_DATA
}

// hresultHints explain the HRESULTs whose name alone does not say what to do.
var hresultHints = map[uint32]string{
	0x800706BA: "the enrollment server could not reach its CA (the CA service is stopped or unreachable over RPC); certdesk tries the next CA and retries later",
	0x80094807: "the CA has an older copy of the template than the policy (Active Directory replication has not reached it yet); certdesk retries later",
	0x8009481A: "the template requires key attestation by a TPM, which certdesk does not provide (not even for a key it keeps in a TPM); ask for a template without attestation",
}

// Permanent reports whether err, from this package, will not go away by
// retrying later: a denial or a fault with code Sender (Fault.Permanent),
// credentials refused, an endpoint that needs Kerberos, no endpoint for the
// template, a password refused over plain http, another protocol's
// denial (wrapping ErrDenied). Connection and TLS
// failures, 5xx answers, timeouts, CA-side faults and a wrong clock are
// transient. It is the one place that decides this; the core asks it.
func Permanent(err error) bool {
	var f *Fault
	if errors.As(err, &f) {
		return f.Permanent()
	}
	return errors.Is(err, ErrDenied) || errors.Is(err, ErrCredentialsRefused) || errors.Is(err, ErrKerberosRequired) ||
		errors.Is(err, ErrNoEndpoint) || errors.Is(err, ErrInsecureCredentials)
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
