package scep

import (
	"fmt"

	"github.com/certdesk/certdesk/enroll"
)

// FailError is a CertRep with pkiStatus FAILURE.
type FailError struct {
	Info          string // failInfo as sent: "0" badAlg … "4" badCertID
	TransactionID string
}

// failInfos turns each failInfo (RFC 8894 §3.2.1.4.5) into a sentence.
var failInfos = map[string]string{
	"0": "the server does not accept the request's algorithms (badAlg)",
	"1": "the server could not verify the request's signature (badMessageCheck)",
	"2": "the server refused the request (badRequest); NDES answers so for a wrong, used or expired challenge password, or a request its template does not allow",
	"3": "the server found the request's time unacceptable (badTime); check this computer's clock",
	"4": "the server does not know the certificate the request refers to (badCertID)",
}

// Reason says why in one sentence.
func (e *FailError) Reason() string {
	if r, ok := failInfos[e.Info]; ok {
		return r
	}
	return fmt.Sprintf("the server refused the request (failInfo %q)", e.Info)
}

func (e *FailError) Error() string { return "scep: " + e.Reason() }

// Unwrap makes a failure a denial (enroll.ErrDenied, permanent), except
// badTime, which a right clock may cure.
func (e *FailError) Unwrap() error {
	if e.Info == "3" {
		return nil
	}
	return enroll.ErrDenied
}
