package capi

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// crypt32 calls that golang.org/x/sys/windows does not wrap.
var (
	crypt32     = windows.NewLazySystemDLL("crypt32.dll")
	procGetProp = crypt32.NewProc("CertGetCertificateContextProperty")
	procControl = crypt32.NewProc("CertControlStore")
	ncrypt      = windows.NewLazySystemDLL("ncrypt.dll")
	procDelKey  = ncrypt.NewProc("NCryptDeleteKey")
	procFreeKey = ncrypt.NewProc("NCryptFreeObject")
)

// Certificate context property ids.
const (
	propKeyProvInfo  = 2  // CERT_KEY_PROV_INFO_PROP_ID
	propFriendlyName = 11 // CERT_FRIENDLY_NAME_PROP_ID
	propArchived     = 19 // CERT_ARCHIVED_PROP_ID
)

const encoding = windows.X509_ASN_ENCODING | windows.PKCS_7_ASN_ENCODING

// Store is an open system store. Close it when done.
type Store struct {
	h     windows.Handle
	loc   Location
	store string
}

// Open opens the system store name ("MY", "Root", "CA", "REQUEST", see
// SystemName) at loc for reading and writing, or read-only where access is
// denied (LocalMachine without elevation): then writes fail with ErrAccessDenied.
func Open(loc Location, name string) (*Store, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, &Error{Op: "open", Loc: loc, Store: name, Err: err}
	}
	for _, flags := range openFlags(loc) {
		var h windows.Handle
		h, err = windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, flags, uintptr(unsafe.Pointer(p)))
		if err == nil {
			return &Store{h: h, loc: loc, store: name}, nil
		}
		if mapCode(code(err)) != ErrAccessDenied {
			break
		}
	}
	return nil, wrap("open", loc, name, code(err), err)
}

// Close closes the store.
func (s *Store) Close() error { return windows.CertCloseStore(s.h, 0) }

// List returns the store's certificates, filtered by opt.
func (s *Store) List(opt ListOptions) ([]Cert, error) {
	var raw []Cert
	var c *windows.CertContext
	for {
		var err error
		c, err = windows.CertEnumCertificatesInStore(s.h, c)
		if err != nil {
			if code(err) == codeNotFound || errors.Is(err, windows.ERROR_NO_MORE_FILES) {
				break
			}
			return nil, wrap("list", s.loc, s.store, code(err), err)
		}
		raw = append(raw, Cert{
			DER:          append([]byte(nil), unsafe.Slice(c.EncodedCert, c.Length)...),
			FriendlyName: windows.UTF16ToString(utf16Prop(c, propFriendlyName)),
			HasKey:       hasProp(c, propKeyProvInfo),
			Archived:     hasProp(c, propArchived),
		})
	}
	return filter(raw, opt), nil
}

// Add adds the certificate (DER), replacing an identical one. Adding to
// CurrentUser\Root makes Windows ask the user; a refusal is ErrCancelled.
func (s *Store) Add(der []byte) error {
	if len(der) == 0 {
		return &Error{Op: "add", Loc: s.loc, Store: s.store, Err: ErrBadData}
	}
	c, err := windows.CertCreateCertificateContext(encoding, &der[0], uint32(len(der)))
	if err != nil {
		return wrap("add", s.loc, s.store, code(err), err)
	}
	defer windows.CertFreeCertificateContext(c)
	if err = windows.CertAddCertificateContextToStore(s.h, c, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil); err == nil {
		err = s.commit()
	}
	return wrap("add", s.loc, s.store, code(err), err)
}

// Delete removes the certificate with the thumbprint. Its key is left
// alone, as certmgr does, unless withKey: then its CNG key goes too.
func (s *Store) Delete(thumbprint string, withKey bool) error {
	t, err := NormalizeThumbprint(thumbprint)
	if err != nil {
		return &Error{Op: "delete", Loc: s.loc, Store: s.store, Err: err}
	}
	var c *windows.CertContext
	for {
		c, err = windows.CertEnumCertificatesInStore(s.h, c)
		if err != nil {
			return &Error{Op: "delete", Loc: s.loc, Store: s.store, Err: ErrNotFound}
		}
		if Thumbprint(unsafe.Slice(c.EncodedCert, c.Length)) == t {
			if withKey && hasProp(c, propKeyProvInfo) {
				if err := deleteKey(c); err != nil {
					windows.CertFreeCertificateContext(c)
					return wrap("delete", s.loc, s.store, code(err), err)
				}
			}
			// CertDeleteCertificateFromStore frees c, which also ends the enumeration.
			if err = windows.CertDeleteCertificateFromStore(c); err == nil {
				err = s.commit()
			}
			return wrap("delete", s.loc, s.store, code(err), err)
		}
	}
}

// commit writes the store's changes through (CERT_STORE_CTRL_COMMIT with
// CERT_STORE_CTRL_COMMIT_FORCE_FLAG), so another handle, process or
// certmgr.msc sees them at once. Windows writes a system store's changes
// at once anyway; Wine's registry store writes additions only on close and
// never counts a deletion as a change, so without the force it would
// never write one.
func (s *Store) commit() error {
	const ctrlCommit, force = 3, 1 // CERT_STORE_CTRL_COMMIT, CERT_STORE_CTRL_COMMIT_FORCE_FLAG
	if r, _, err := procControl.Call(uintptr(s.h), force, ctrlCommit, 0); r == 0 {
		return err
	}
	return nil
}

// deleteKey deletes the CNG key of c (NCryptDeleteKey frees the handle).
// A key held by a legacy CryptoAPI provider is left, as certmgr.msc
// leaves every key.
func deleteKey(c *windows.CertContext) error {
	var h windows.Handle
	var spec uint32
	var free bool
	err := windows.CryptAcquireCertificatePrivateKey(c, windows.CRYPT_ACQUIRE_ONLY_NCRYPT_KEY_FLAG|windows.CRYPT_ACQUIRE_SILENT_FLAG, nil, &h, &spec, &free)
	if err != nil || spec != windows.CERT_NCRYPT_KEY_SPEC {
		return nil // no CNG key to delete (or not reachable silently)
	}
	if r, _, _ := procDelKey.Call(uintptr(h), 0); r != 0 {
		if free {
			procFreeKey.Call(uintptr(h))
		}
		return windows.Errno(r)
	}
	return nil
}

// ImportPFX imports a PFX into the store as the Windows import wizard does
// (see placement): the certificates with keys into this store, intermediate
// CAs into the location's CA store, roots nowhere. It returns the
// thumbprints added to this store.
func (s *Store) ImportPFX(pfx []byte, password string, exportable bool) ([]string, error) {
	if len(pfx) == 0 {
		return nil, &Error{Op: "import", Loc: s.loc, Store: s.store, Err: ErrBadData}
	}
	pw, err := windows.UTF16PtrFromString(password)
	if err != nil {
		return nil, &Error{Op: "import", Loc: s.loc, Store: s.store, Err: err}
	}
	blob := windows.CryptDataBlob{Size: uint32(len(pfx)), Data: &pfx[0]}
	var tmp windows.Handle
	for _, flags := range pfxFlags(s.loc, exportable) {
		if tmp, err = windows.PFXImportCertStore(&blob, pw, flags); err == nil || !retryPFX(code(err)) {
			break
		}
	}
	if err != nil {
		return nil, wrap("import", s.loc, s.store, code(err), err)
	}
	defer windows.CertCloseStore(tmp, 0)
	var added []string
	var ca *Store
	defer func() {
		if ca != nil {
			ca.Close()
		}
	}()
	// Read the certificates first: where each goes depends on the others.
	var certs []pfxCert
	var c *windows.CertContext
	for {
		if c, err = windows.CertEnumCertificatesInStore(tmp, c); err != nil {
			break
		}
		certs = append(certs, pfxCert{der: append([]byte(nil), unsafe.Slice(c.EncodedCert, c.Length)...), hasKey: hasProp(c, propKeyProvInfo)})
	}
	where := placements(certs, s.store)
	for i := 0; ; i++ {
		if c, err = windows.CertEnumCertificatesInStore(tmp, c); err != nil || i >= len(where) {
			if c != nil {
				windows.CertFreeCertificateContext(c)
			}
			if ca != nil {
				if err := ca.commit(); err != nil {
					return added, wrap("import", s.loc, "CA", code(err), err)
				}
			}
			if err := s.commit(); err != nil {
				return added, wrap("import", s.loc, s.store, code(err), err)
			}
			return added, nil
		}
		dest := s.h
		switch where[i] {
		case "":
			continue
		case s.store:
			added = append(added, Thumbprint(certs[i].der))
		default:
			if ca == nil {
				if ca, err = Open(s.loc, "CA"); err != nil {
					windows.CertFreeCertificateContext(c)
					return added, err
				}
			}
			dest = ca.h
		}
		if err := windows.CertAddCertificateContextToStore(dest, c, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil); err != nil {
			windows.CertFreeCertificateContext(c)
			return added, wrap("import", s.loc, s.store, code(err), err)
		}
	}
}

// hasProp reports whether the certificate context has the property.
func hasProp(c *windows.CertContext, id uint32) bool {
	var size uint32
	r, _, _ := procGetProp.Call(uintptr(unsafe.Pointer(c)), uintptr(id), 0, uintptr(unsafe.Pointer(&size)))
	return r != 0
}

// utf16Prop returns a string property as UTF-16, or nil.
func utf16Prop(c *windows.CertContext, id uint32) []uint16 {
	var size uint32
	r, _, _ := procGetProp.Call(uintptr(unsafe.Pointer(c)), uintptr(id), 0, uintptr(unsafe.Pointer(&size)))
	if r == 0 || size < 2 {
		return nil
	}
	buf := make([]uint16, size/2)
	r, _, _ = procGetProp.Call(uintptr(unsafe.Pointer(c)), uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)))
	if r == 0 {
		return nil
	}
	return buf
}

// code returns the Windows error code of err, or 0.
func code(err error) uint32 {
	var e windows.Errno
	if errors.Is(err, syscall.EINVAL) {
		// x/sys/windows reports a failure that set no last error as EINVAL.
		return codeNone
	}
	if errors.As(err, &e) {
		return uint32(e)
	}
	return 0
}
