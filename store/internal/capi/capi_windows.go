package capi

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// crypt32 calls that golang.org/x/sys/windows does not wrap.
var (
	crypt32      = windows.NewLazySystemDLL("crypt32.dll")
	procGetProp  = crypt32.NewProc("CertGetCertificateContextProperty")
	procControl  = crypt32.NewProc("CertControlStore")
	ncrypt       = windows.NewLazySystemDLL("ncrypt.dll")
	procOpenKSP  = ncrypt.NewProc("NCryptOpenStorageProvider")
	procOpenKey  = ncrypt.NewProc("NCryptOpenKey")
	procDelKey   = ncrypt.NewProc("NCryptDeleteKey")
	procFreeNObj = ncrypt.NewProc("NCryptFreeObject")
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
			// The key's whereabouts go with the certificate: read them first,
			// delete the key only once the certificate is gone.
			k, keyed := keyOf(c)
			// CertDeleteCertificateFromStore frees c, which also ends the enumeration.
			if err = windows.CertDeleteCertificateFromStore(c); err == nil {
				err = s.commit()
			}
			if err != nil {
				return wrap("delete", s.loc, s.store, code(err), err)
			}
			if withKey && keyed && !s.keyInUse(k) {
				// Best effort: the certificate is gone, which is what was asked;
				// a key that cannot be deleted now stays as certmgr.msc leaves keys.
				_ = k.delete()
			}
			return nil
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

// keyProvInfo is CRYPT_KEY_PROV_INFO, the CERT_KEY_PROV_INFO_PROP_ID
// property: where a certificate's private key lives.
type keyProvInfo struct {
	container, provider *uint16
	provType, flags     uint32
	nParams             uint32
	params              uintptr
	keySpec             uint32
}

// keyRef names a private key: a CNG key (provType 0) or a legacy
// CryptoAPI container.
type keyRef struct {
	container, provider string
	provType, keySpec   uint32
	machine             bool // in the machine's key set
}

// keyOf reads where c's private key lives; false if it has none.
func keyOf(c *windows.CertContext) (keyRef, bool) {
	var size uint32
	r, _, _ := procGetProp.Call(uintptr(unsafe.Pointer(c)), propKeyProvInfo, 0, uintptr(unsafe.Pointer(&size)))
	if r == 0 || uintptr(size) < unsafe.Sizeof(keyProvInfo{}) {
		return keyRef{}, false
	}
	buf := make([]uint64, (size+7)/8) // 8-aligned; its strings point into it
	r, _, _ = procGetProp.Call(uintptr(unsafe.Pointer(c)), propKeyProvInfo, uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)))
	if r == 0 {
		return keyRef{}, false
	}
	info := (*keyProvInfo)(unsafe.Pointer(&buf[0]))
	return keyRef{container: windows.UTF16PtrToString(info.container), provider: windows.UTF16PtrToString(info.provider),
		provType: info.provType, keySpec: info.keySpec, machine: info.flags&windows.CRYPT_MACHINE_KEYSET != 0}, true
}

// delete deletes the key: NCryptDeleteKey for a CNG key, CryptAcquireContext
// with CRYPT_DELETEKEYSET for a legacy container.
func (k keyRef) delete() error {
	const ncryptSilent, ncryptMachineKey = 0x40, 0x20 // NCRYPT_SILENT_FLAG, NCRYPT_MACHINE_KEY_FLAG
	container, err := windows.UTF16PtrFromString(k.container)
	if err != nil {
		return err
	}
	var provider *uint16
	if k.provider != "" {
		if provider, err = windows.UTF16PtrFromString(k.provider); err != nil {
			return err
		}
	}
	if k.provType != 0 {
		flags := uint32(windows.CRYPT_DELETEKEYSET | windows.CRYPT_SILENT)
		if k.machine {
			flags |= windows.CRYPT_MACHINE_KEYSET
		}
		var h windows.Handle
		return windows.CryptAcquireContext(&h, container, provider, k.provType, flags)
	}
	var ksp, key uintptr
	if r, _, _ := procOpenKSP.Call(uintptr(unsafe.Pointer(&ksp)), uintptr(unsafe.Pointer(provider)), 0); r != 0 {
		return windows.Errno(r)
	}
	defer procFreeNObj.Call(ksp)
	var flags uintptr = ncryptSilent
	if k.machine {
		flags |= ncryptMachineKey
	}
	if r, _, _ := procOpenKey.Call(ksp, uintptr(unsafe.Pointer(&key)), uintptr(unsafe.Pointer(container)), uintptr(k.keySpec), flags); r != 0 {
		return windows.Errno(r)
	}
	if r, _, _ := procDelKey.Call(key, ncryptSilent); r != 0 { // frees key on success
		procFreeNObj.Call(key)
		return windows.Errno(r)
	}
	return nil
}

// keyInUse reports whether a certificate in the store uses key k. A key
// is deleted only when none does: Windows gives each imported key its own
// container, but Wine puts every key in one default container.
// If the store cannot be read to the end, the key counts as in use.
func (s *Store) keyInUse(k keyRef) bool {
	found, err := s.any(func(c *windows.CertContext) bool {
		o, ok := keyOf(c)
		return ok && o.container == k.container && o.provider == k.provider && o.machine == k.machine
	})
	return found || err != nil
}

// has reports whether the store holds the certificate with thumbprint t
// (upper-case hex).
func (s *Store) has(t string) bool {
	found, _ := s.any(func(c *windows.CertContext) bool { return Thumbprint(unsafe.Slice(c.EncodedCert, c.Length)) == t })
	return found
}

// any reports whether a certificate of the store satisfies f; err is set
// when the enumeration stopped for another reason than its end.
func (s *Store) any(f func(*windows.CertContext) bool) (bool, error) {
	var c *windows.CertContext
	var err error
	for {
		if c, err = windows.CertEnumCertificatesInStore(s.h, c); err != nil {
			if code(err) == codeNotFound || errors.Is(err, windows.ERROR_NO_MORE_FILES) {
				return false, nil
			}
			return false, err
		}
		if f(c) {
			windows.CertFreeCertificateContext(c)
			return true, nil
		}
	}
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
	// PFXImportCertStore has already stored the keys: every key whose
	// certificate does not end up in this store is deleted again, on
	// success and on failure, so no key is left without its certificate.
	var certs []pfxCert
	var keys []*keyRef
	var c *windows.CertContext
	for {
		if c, err = windows.CertEnumCertificatesInStore(tmp, c); err != nil {
			break
		}
		var k *keyRef
		if r, ok := keyOf(c); ok {
			k = &r
		}
		certs = append(certs, pfxCert{der: append([]byte(nil), unsafe.Slice(c.EncodedCert, c.Length)...), hasKey: k != nil})
		keys = append(keys, k)
	}
	kept := make([]bool, len(certs))
	defer func() {
		done := map[keyRef]bool{}
		for _, k := range keys {
			if k != nil && !done[*k] && !keyKept(keys, kept, *k) && !s.keyInUse(*k) {
				done[*k] = true
				k.delete()
			}
		}
	}()
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
		th := Thumbprint(certs[i].der)
		dest := s.h
		switch where[i] {
		case "":
			continue
		case s.store:
			if s.has(th) {
				continue // already here with its own key: leave it, drop the new key
			}
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
		if where[i] == s.store {
			added, kept[i] = append(added, th), true
		}
	}
}

// keyKept reports whether a certificate that stays in the store uses key
// k (Wine links the whole chain to the one key).
func keyKept(keys []*keyRef, kept []bool, k keyRef) bool {
	for i, o := range keys {
		if kept[i] && o != nil && *o == k {
			return true
		}
	}
	return false
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
