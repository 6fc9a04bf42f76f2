// Package enroll is a client for Microsoft's certificate enrollment web
// services: the policy service CEP ([MS-XCEP]) and the enrollment service CES
// ([MS-WSTEP]). It never imports package store.
package enroll
