package testca

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// HRESULT is a Windows error code as CES reports it in
// CertificateEnrollmentWSDetail/ErrorCode (written there as a signed
// decimal).
type HRESULT uint32

// HRESULTs the server answers with ([MS-WSTEP] faults; docs/testca.md).
const (
	CertsrvBadRequestSubject   HRESULT = 0x80094001 // CERTSRV_E_BAD_REQUESTSUBJECT
	CertsrvBadRequestStatus    HRESULT = 0x80094003 // CERTSRV_E_BAD_REQUESTSTATUS
	CertsrvPropertyEmpty       HRESULT = 0x80094004 // CERTSRV_E_PROPERTY_EMPTY: unknown request id
	CertsrvBadRenewalCertAttr  HRESULT = 0x8009400E // CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE
	CertsrvTemplateDenied      HRESULT = 0x80094012 // CERTSRV_E_TEMPLATE_DENIED
	CertsrvAdminDeniedRequest  HRESULT = 0x80094014 // CERTSRV_E_ADMIN_DENIED_REQUEST
	CertsrvUnsupportedCertType HRESULT = 0x80094800 // CERTSRV_E_UNSUPPORTED_CERT_TYPE
	CertsrvNoCertType          HRESULT = 0x80094801 // CERTSRV_E_NO_CERT_TYPE
	CertsrvTemplateConflict    HRESULT = 0x80094802 // CERTSRV_E_TEMPLATE_CONFLICT
	CertsrvBadTemplateVersion  HRESULT = 0x80094807 // CERTSRV_E_BAD_TEMPLATE_VERSION: the request's template is newer than the CA's
	CertsrvKeyLength           HRESULT = 0x80094811 // CERTSRV_E_KEY_LENGTH
	CertsrvRenewalBadPublicKey HRESULT = 0x80094816 // CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY
	NteBadSignature            HRESULT = 0x80090006 // NTE_BAD_SIGNATURE: CSR or CMS signature invalid
	NteBadAlgID                HRESULT = 0x80090008 // NTE_BAD_ALGID: key algorithm not allowed by the template
	EInvalidArg                HRESULT = 0x80070057 // E_INVALIDARG: malformed WS-Trust request
	ErrorInvalidData           HRESULT = 0x8007000D // ERROR_INVALID_DATA: undecodable request blob
	EAccessDenied              HRESULT = 0x80070005 // E_ACCESSDENIED: bad credentials or client certificate
	CertsrvRenewalOnlyEndpoint HRESULT = 0x80094011 // CERTSRV_E_ENROLL_DENIED: new request on a renewal-only CES
	RPCServerUnavailable       HRESULT = 0x800706BA // RPC_S_SERVER_UNAVAILABLE: CES cannot reach its CA
	dispositionIssued                  = 3          // CR_DISP_ISSUED
	dispositionUnderSubmission         = 5          // CR_DISP_UNDER_SUBMISSION
)

// Signed returns the code as the signed 32-bit decimal CES writes.
func (h HRESULT) Signed() int32 { return int32(h) }

// String formats the code as 0x8009xxxx.
func (h HRESULT) String() string { return fmt.Sprintf("0x%08X", uint32(h)) }

// Error is a refusal by the CA, answered as a SOAP fault with a
// CertificateEnrollmentWSDetail.
type Error struct {
	Code           HRESULT // ErrorCode
	Reason         string  // fault reason text (the CA's disposition message)
	RequestID      string  // request id, if the CA recorded the request
	InvalidRequest bool    // true when the CA denied the request
}

// Error formats the refusal with its HRESULT.
func (e *Error) Error() string {
	if e.RequestID != "" {
		return fmt.Sprintf("testca: request %s: %s (%s)", e.RequestID, e.Reason, e.Code)
	}
	return fmt.Sprintf("testca: %s (%s)", e.Reason, e.Code)
}

func caError(code HRESULT, format string, a ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, a...)}
}

// Fault selects a failure the server injects into its answers, for testing
// clients. Faults can be changed at any time, also while requests run.
type Fault int32

// Injectable faults.
const (
	FaultNone         Fault = iota // answer normally
	FaultHTTP500                   // HTTP 500 with a plain-text body, no SOAP
	FaultMalformed                 // HTTP 200 with a truncated, unparsable SOAP body
	FaultWrongKey                  // issue certificates for a different key than the request's
	FaultUntrustedTLS              // new TLS handshakes present a certificate from an untrusted root
	// FaultForeignChain adds certificates that have nothing to do with the
	// issued one to the CMC response's PKCS#7: an unrelated self-signed CA,
	// an intermediate it signed and a leaf that intermediate signed.
	FaultForeignChain
	// FaultForeignPollURL makes a pending answer name another URL for
	// polling (Server.SetForeignPollURL, else https://foreign.invalid/ces)
	// instead of the CES that took the request.
	FaultForeignPollURL
	// FaultSCEPBadAlg … FaultSCEPBadCertID answer every SCEP PKIOperation
	// with pkiStatus FAILURE and that failInfo (RFC 8894 §3.2.1.4.5).
	FaultSCEPBadAlg
	FaultSCEPBadMessageCheck
	FaultSCEPBadRequest
	FaultSCEPBadTime
	FaultSCEPBadCertID
)

// String names the fault as the docs do.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultHTTP500:
		return "http500"
	case FaultMalformed:
		return "malformed"
	case FaultWrongKey:
		return "wrongkey"
	case FaultUntrustedTLS:
		return "untrustedtls"
	case FaultForeignChain:
		return "foreignchain"
	case FaultForeignPollURL:
		return "foreignpollurl"
	case FaultSCEPBadAlg, FaultSCEPBadMessageCheck, FaultSCEPBadRequest, FaultSCEPBadTime, FaultSCEPBadCertID:
		return "scep-" + [...]string{"badalg", "badmessagecheck", "badrequest", "badtime", "badcertid"}[f-FaultSCEPBadAlg]
	}
	return fmt.Sprintf("fault(%d)", int32(f))
}

// injector holds the current fault and delay; safe for concurrent use.
type injector struct {
	fault atomic.Int32
	delay atomic.Int64
}

func (i *injector) get() (Fault, time.Duration) {
	return Fault(i.fault.Load()), time.Duration(i.delay.Load())
}

// EmptyPolicies selects whether GetPolicies answers a policy without
// templates, as a misconfigured or half-started CEP does.
type EmptyPolicies int32

// The empty-policy fault modes.
const (
	EmptyPoliciesNone   EmptyPolicies = iota // answer the templates
	EmptyPoliciesOnce                        // the next answer only is empty
	EmptyPoliciesAlways                      // every answer is empty
)

// ParseEmptyPolicies reads "none", "once" or "always".
func ParseEmptyPolicies(s string) (EmptyPolicies, error) {
	switch s {
	case "", "none":
		return EmptyPoliciesNone, nil
	case "once":
		return EmptyPoliciesOnce, nil
	case "always":
		return EmptyPoliciesAlways, nil
	}
	return EmptyPoliciesNone, fmt.Errorf("testca: empty-policies mode %q is not none, once or always", s)
}

// policyFaults is the empty-policy fault and the record of the lastUpdate
// values received; safe for concurrent use.
type policyFaults struct {
	mode      atomic.Int32
	mu        sync.Mutex
	seen      []time.Time
	withdrawn map[string]bool
}

// withdrawnSet returns a copy of the withdrawn template names.
func (p *policyFaults) withdrawnSet() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]bool, len(p.withdrawn))
	for k := range p.withdrawn {
		m[k] = true
	}
	return m
}

// answer records a GetPolicies request and reports whether it gets the
// empty answer.
func (p *policyFaults) answer(lastUpdate time.Time) bool {
	p.mu.Lock()
	p.seen = append(p.seen, lastUpdate)
	p.mu.Unlock()
	switch EmptyPolicies(p.mode.Load()) {
	case EmptyPoliciesAlways:
		return true
	case EmptyPoliciesOnce:
		return p.mode.CompareAndSwap(int32(EmptyPoliciesOnce), int32(EmptyPoliciesNone))
	}
	return false
}
