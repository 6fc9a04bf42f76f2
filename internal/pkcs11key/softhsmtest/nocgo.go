//go:build !cgo

package softhsmtest

// withCgo: this build can load PKCS#11 modules.
const withCgo = false
