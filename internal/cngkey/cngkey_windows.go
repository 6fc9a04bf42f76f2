//go:build windows

package cngkey

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Available reports whether this build can reach CNG providers.
const Available = true

// NCrypt calls that golang.org/x/sys/windows does not wrap.
var (
	ncrypt          = windows.NewLazySystemDLL("ncrypt.dll")
	procOpenKSP     = ncrypt.NewProc("NCryptOpenStorageProvider")
	procCreateKey   = ncrypt.NewProc("NCryptCreatePersistedKey")
	procSetProperty = ncrypt.NewProc("NCryptSetProperty")
	procFinalizeKey = ncrypt.NewProc("NCryptFinalizeKey")
	procOpenKey     = ncrypt.NewProc("NCryptOpenKey")
	procExportKey   = ncrypt.NewProc("NCryptExportKey")
	procSignHash    = ncrypt.NewProc("NCryptSignHash")
	procDeleteKey   = ncrypt.NewProc("NCryptDeleteKey")
	procFreeObject  = ncrypt.NewProc("NCryptFreeObject")
)

// NCrypt flags and padding kinds (ncrypt.h, bcrypt.h).
const (
	flagSilent     = 0x40       // NCRYPT_SILENT_FLAG: never show UI
	flagMachineKey = 0x20       // NCRYPT_MACHINE_KEY_FLAG
	flagPersist    = 0x80000000 // NCRYPT_PERSIST_FLAG
	padPKCS1       = 0x2        // BCRYPT_PAD_PKCS1
	padPSS         = 0x8        // BCRYPT_PAD_PSS
)

// SECURITY_STATUS codes people meet.
const (
	nteBadKeyset        = 0x80090016
	nteNotFound         = 0x80090011
	nteBadProvider      = 0x80090013
	nteProvDLLFail      = 0x8009001D
	nteProvDLLNotFound  = 0x8009001E
	nteSilentContext    = 0x80090022
	nteNotSupported     = 0x80090029
	nteDeviceNotReady   = 0x80090030
	nteDeviceNotFound   = 0x80090035
	scardNoSmartcard    = 0x8010000C
	scardNoService      = 0x8010001D
	scardNoReaders      = 0x8010002E
	scardWrongCHV       = 0x8010006B
	scardCHVBlocked     = 0x8010006C
	scardCancelledByUsr = 0x8010006E
)

// Error is a failed NCrypt call: what was done, the status code, and the
// sentinel it stands for (if any).
type Error struct {
	Op   string
	Code uint32
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v (NCrypt %#x)", e.Op, e.Err, e.Code)
	}
	return fmt.Sprintf("%s: NCrypt error %#x", e.Op, e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// status turns an NCrypt return value into an *Error, or nil.
func status(op string, r uintptr) error {
	c := uint32(r)
	if c == 0 {
		return nil
	}
	var s error
	switch {
	case c == nteBadKeyset || c == nteNotFound:
		s = ErrNoKey
	case c == nteBadProvider || c == nteProvDLLFail || c == nteProvDLLNotFound || c == nteDeviceNotReady ||
		c == nteDeviceNotFound || c == scardNoSmartcard || c == scardNoService || c == scardNoReaders ||
		c&0xFFFF0000 == 0x80280000: // TPM_E_* and TBS_E_*: no usable TPM
		s = ErrNoProvider
	case c == nteSilentContext:
		s = ErrPINNeeded
	case c == scardWrongCHV:
		s = ErrWrongPIN
	case c == scardCHVBlocked:
		s = errors.New("the smart card's PIN is blocked")
	case c == scardCancelledByUsr:
		s = errors.New("the PIN prompt was cancelled")
	case c == nteNotSupported:
		s = errors.New("the provider does not support this")
	}
	return &Error{Op: op, Code: c, Err: s}
}

func utf16(s string) *uint16 {
	p, err := windows.UTF16PtrFromString(s)
	if err != nil { // s holds a NUL: no such name
		p, _ = windows.UTF16PtrFromString("\uFFFD")
	}
	return p
}

// Key is a CNG key open for signing; Close frees its handles.
type Key struct {
	prov, h uintptr
	pub     crypto.PublicKey
	ref     Ref
}

// openProvider opens the key storage provider name.
func openProvider(name string) (uintptr, error) {
	var prov uintptr
	r, _, _ := procOpenKSP.Call(uintptr(unsafe.Pointer(&prov)), uintptr(unsafe.Pointer(utf16(name))), 0)
	if err := status(fmt.Sprintf("open the CNG provider %q", name), r); err != nil {
		return 0, err
	}
	return prov, nil
}

// Check opens the provider and closes it again: whether it is here.
func Check(provider string) error {
	prov, err := openProvider(provider)
	if err == nil {
		procFreeObject.Call(prov)
	}
	return err
}

func keyFlags(o Options) uintptr {
	f := uintptr(flagSilent)
	if o.Machine {
		f |= flagMachineKey
	}
	return f
}

// setPIN gives a smart card's PIN to the key handle (NCRYPT_PIN_PROPERTY).
func setPIN(h uintptr, pin string) error {
	if pin == "" {
		return nil
	}
	w, err := windows.UTF16FromString(pin)
	if err != nil {
		return errors.New("a PIN cannot hold a NUL character")
	}
	r, _, _ := procSetProperty.Call(h, uintptr(unsafe.Pointer(utf16("SmartCardPin"))), uintptr(unsafe.Pointer(&w[0])), uintptr(len(w)*2), flagSilent)
	return status("give the smart card its PIN", r)
}

func setUint32(h uintptr, name string, v uint32, flags uintptr) error {
	r, _, _ := procSetProperty.Call(h, uintptr(unsafe.Pointer(utf16(name))), uintptr(unsafe.Pointer(&v)), 4, flags)
	return status("set the key's "+name, r)
}

// Generate makes a persisted, non-exportable key in provider: RSA of
// bits, or ECDSA on P-256 or P-384 (bits 256, 384).
func Generate(provider string, alg x509.PublicKeyAlgorithm, bits int, o Options) (*Key, error) {
	var algID string
	switch {
	case alg == x509.RSA:
		algID = "RSA"
	case alg == x509.ECDSA && bits == 256:
		algID = "ECDSA_P256"
	case alg == x509.ECDSA && bits == 384:
		algID = "ECDSA_P384"
	default:
		return nil, fmt.Errorf("the CNG provider cannot make a %v %d key for certdesk", alg, bits)
	}
	prov, err := openProvider(provider)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 12)
	rand.Read(id)
	k := &Key{prov: prov, ref: Ref{Provider: provider, Name: "certdesk-" + hex.EncodeToString(id)}}
	r, _, _ := procCreateKey.Call(prov, uintptr(unsafe.Pointer(&k.h)), uintptr(unsafe.Pointer(utf16(algID))),
		uintptr(unsafe.Pointer(utf16(k.ref.Name))), 0, keyFlags(o))
	if err := status("create a key in "+provider, r); err != nil {
		k.Close()
		return nil, err
	}
	err = setPIN(k.h, o.PIN)
	if err == nil && alg == x509.RSA {
		err = setUint32(k.h, "Length", uint32(bits), 0)
	}
	if err == nil { // NCRYPT_EXPORT_POLICY_PROPERTY 0: the key never leaves
		err = setUint32(k.h, "Export Policy", 0, flagPersist)
	}
	if err == nil {
		r, _, _ = procFinalizeKey.Call(k.h, flagSilent)
		err = status("make the key in "+provider, r)
	}
	if err == nil {
		err = k.readPublic()
	}
	if err != nil {
		k.Delete()
		return nil, err
	}
	return k, nil
}

// Open opens the key r names.
func Open(r Ref, o Options) (*Key, error) {
	prov, err := openProvider(r.Provider)
	if err != nil {
		return nil, err
	}
	k := &Key{prov: prov, ref: r}
	rc, _, _ := procOpenKey.Call(prov, uintptr(unsafe.Pointer(&k.h)), uintptr(unsafe.Pointer(utf16(r.Name))), 0, keyFlags(o))
	err = status(fmt.Sprintf("open the key %s", r), rc)
	if err == nil {
		err = setPIN(k.h, o.PIN)
	}
	if err == nil {
		err = k.readPublic()
	}
	if err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// readPublic exports the public half (RSA, then ECC blob).
func (k *Key) readPublic() error {
	var last error
	for _, blob := range []string{"RSAPUBLICBLOB", "ECCPUBLICBLOB"} {
		var n uint32
		r, _, _ := procExportKey.Call(k.h, 0, uintptr(unsafe.Pointer(utf16(blob))), 0, 0, 0, uintptr(unsafe.Pointer(&n)), flagSilent)
		if last = status("read the public key", r); last != nil || n == 0 {
			continue
		}
		buf := make([]byte, n)
		r, _, _ = procExportKey.Call(k.h, 0, uintptr(unsafe.Pointer(utf16(blob))), 0, uintptr(unsafe.Pointer(&buf[0])), uintptr(n),
			uintptr(unsafe.Pointer(&n)), flagSilent)
		if last = status("read the public key", r); last != nil {
			continue
		}
		pub, err := parsePublicBlob(buf[:n])
		if err != nil {
			return err
		}
		k.pub = pub
		return nil
	}
	return last
}

// Ref returns where the key is.
func (k *Key) Ref() Ref { return k.ref }

// Public returns the public half.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// hashNames are the BCrypt algorithm names of the hashes RSA signs with.
var hashNames = map[crypto.Hash]string{crypto.SHA1: "SHA1", crypto.SHA256: "SHA256", crypto.SHA384: "SHA384", crypto.SHA512: "SHA512"}

// Sign signs digest in the provider: PKCS #1 v1.5 or PSS for RSA, and
// ASN.1 r,s for ECDSA.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if len(digest) == 0 {
		return nil, errors.New("cngkey: nothing to sign")
	}
	var (
		pad   unsafe.Pointer
		flags uintptr = flagSilent
	)
	if _, isRSA := k.pub.(*rsa.PublicKey); isRSA {
		name, ok := hashNames[opts.HashFunc()]
		if !ok {
			return nil, fmt.Errorf("cngkey: cannot sign an RSA %v digest", opts.HashFunc())
		}
		alg := utf16(name)
		if o, ok := opts.(*rsa.PSSOptions); ok {
			salt := o.SaltLength
			if salt <= 0 { // PSSSaltLengthAuto or EqualsHash: the hash's length, which verifiers accept
				salt = opts.HashFunc().Size()
			}
			pad, flags = unsafe.Pointer(&struct {
				alg  *uint16
				salt uint32
			}{alg, uint32(salt)}), flags|padPSS
		} else {
			pad, flags = unsafe.Pointer(&struct{ alg *uint16 }{alg}), flags|padPKCS1
		}
	}
	var n uint32
	r, _, _ := procSignHash.Call(k.h, uintptr(pad), uintptr(unsafe.Pointer(&digest[0])), uintptr(len(digest)), 0, 0, uintptr(unsafe.Pointer(&n)), flags)
	if err := status("sign with the key "+k.ref.String(), r); err != nil {
		return nil, err
	}
	sig := make([]byte, n)
	r, _, _ = procSignHash.Call(k.h, uintptr(pad), uintptr(unsafe.Pointer(&digest[0])), uintptr(len(digest)),
		uintptr(unsafe.Pointer(&sig[0])), uintptr(n), uintptr(unsafe.Pointer(&n)), flags)
	if err := status("sign with the key "+k.ref.String(), r); err != nil {
		return nil, err
	}
	if _, isRSA := k.pub.(*rsa.PublicKey); isRSA {
		return sig[:n], nil
	}
	return ecdsaDER(sig[:n])
}

// Delete removes the key from its provider and frees the handles.
func (k *Key) Delete() error {
	if k.h == 0 {
		return k.Close()
	}
	r, _, _ := procDeleteKey.Call(k.h, flagSilent)
	err := status("delete the key "+k.ref.String(), r)
	if err == nil {
		k.h = 0 // freed by NCryptDeleteKey
	}
	k.Close()
	return err
}

// Close frees the handles; the key stays in its provider.
func (k *Key) Close() error {
	if k.h != 0 {
		procFreeObject.Call(k.h)
		k.h = 0
	}
	if k.prov != 0 {
		procFreeObject.Call(k.prov)
		k.prov = 0
	}
	return nil
}
