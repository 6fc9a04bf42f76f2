package enroll

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf16"
)

// Object identifiers used in requests.
var (
	oidTemplateName     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2} // szOID_ENROLL_CERTTYPE
	oidTemplateInfo     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 7} // szOID_CERTIFICATE_TEMPLATE
	oidRenewalCert      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 13, 1} // szOID_RENEWAL_CERTIFICATE
	oidSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtensionRequest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 14} // PKCS #9 extensionRequest
)

// KeyType is the key a template asks for.
type KeyType struct {
	Algorithm x509.PublicKeyAlgorithm // x509.RSA or x509.ECDSA
	Bits      int                     // RSA modulus size, or curve size (256, 384)
}

// String returns e.g. "RSA 2048" or "ECDSA P-256".
func (k KeyType) String() string {
	if k.Algorithm == x509.ECDSA {
		return fmt.Sprintf("ECDSA P-%d", k.Bits)
	}
	return fmt.Sprintf("RSA %d", k.Bits)
}

// KeyType derives the key from the template's algorithm OID and minimal
// length, rounded up to a size this package generates: RSA 2048, 3072 or
// 4096; ECDSA P-256 or P-384. A nil algorithm means RSA (MS-XCEP).
func (t *Template) KeyType() (KeyType, error) {
	min := int(t.MinimalKeyLength)
	switch t.KeyAlgorithm {
	case "", "1.2.840.113549.1.1.1":
		for _, n := range []int{2048, 3072, 4096} {
			if min <= n {
				return KeyType{x509.RSA, n}, nil
			}
		}
	case "1.2.840.10045.2.1": // id-ecPublicKey: the curve follows the length
		for _, n := range []int{256, 384} {
			if min <= n {
				return KeyType{x509.ECDSA, n}, nil
			}
		}
	case "1.2.840.10045.3.1.7": // CNG ECDSA_P256 named by its curve
		return KeyType{x509.ECDSA, 256}, nil
	case "1.3.132.0.34": // ECDSA_P384
		return KeyType{x509.ECDSA, 384}, nil
	}
	return KeyType{}, fmt.Errorf("enroll: template %s asks for a key this client cannot make (algorithm %q, at least %d bits)", t.CommonName, t.KeyAlgorithm, min)
}

// NewKey generates a key of the template's type (KeyType) from rand.
func (t *Template) NewKey(rand io.Reader) (crypto.Signer, error) {
	kt, err := t.KeyType()
	if err != nil {
		return nil, err
	}
	return GenerateKey(rand, kt)
}

// GenerateKey makes a key for spec from rand (the caller's generator).
// Since Go 1.26 crypto/rsa and crypto/ecdsa ignore rand and always use a
// secure source; tests wanting fixed keys use testing/cryptotest or load keys.
func GenerateKey(rand io.Reader, spec KeyType) (crypto.Signer, error) {
	switch {
	case spec.Algorithm == x509.RSA && spec.Bits >= 2048 && spec.Bits <= 4096:
		return rsa.GenerateKey(rand, spec.Bits)
	case spec.Algorithm == x509.ECDSA && spec.Bits == 256:
		return ecdsa.GenerateKey(elliptic.P256(), rand)
	case spec.Algorithm == x509.ECDSA && spec.Bits == 384:
		return ecdsa.GenerateKey(elliptic.P384(), rand)
	}
	return nil, fmt.Errorf("enroll: cannot generate a %s key", spec)
}

// Request describes a new certificate request for a template.
type Request struct {
	Template *Template
	Key      crypto.Signer // the new key, e.g. from GenerateKey
	// Subject is an RFC 4514 DN ("CN=host,O=Example"); only allowed when the
	// template lets the enrollee supply the subject.
	Subject string
	// SANs, only allowed when the template lets the enrollee supply them.
	DNSNames       []string
	EmailAddresses []string
	IPAddresses    []net.IP
	// TemplateContext also sends the template name as the CertificateTemplate
	// context item, for CAs that do not read it from the CSR.
	TemplateContext bool
}

// NewCSR builds the DER PKCS#10 for r: key checked against the template,
// the template's hash, its name (ext 1.3.6.1.4.1.311.20.2) and its OID and
// revision (ext 1.3.6.1.4.1.311.21.7), and subject and SANs where allowed.
func NewCSR(rand io.Reader, r Request) ([]byte, error) {
	t := r.Template
	if t == nil || r.Key == nil {
		return nil, errors.New("enroll: a request needs a template and a key")
	}
	if err := checkKey(t, r.Key.Public()); err != nil {
		return nil, err
	}
	hasSAN := len(r.DNSNames)+len(r.EmailAddresses)+len(r.IPAddresses) > 0
	switch {
	case r.Subject != "" && !t.Flags.EnrolleeSuppliesSubject:
		return nil, fmt.Errorf("enroll: template %s builds the subject itself; leave it empty", t.CommonName)
	case hasSAN && !t.Flags.EnrolleeSuppliesSubjectAltName:
		return nil, fmt.Errorf("enroll: template %s builds the alternative names itself; leave them empty", t.CommonName)
	case t.Flags.EnrolleeSuppliesSubject && r.Subject == "" && !hasSAN:
		return nil, fmt.Errorf("enroll: template %s needs a subject or alternative names", t.CommonName)
	}
	subject, err := ParseDN(r.Subject)
	if err != nil {
		return nil, err
	}
	if err := checkSANs(r.DNSNames, r.EmailAddresses); err != nil {
		return nil, err
	}
	exts, err := templateExtensions(t)
	if err != nil {
		return nil, err
	}
	// Without attributes of its own the request is crypto/x509's: one
	// signature, checked with the public key.
	csr, err := x509.CreateCertificateRequest(rand, &x509.CertificateRequest{
		RawSubject: subject, ExtraExtensions: exts, SignatureAlgorithm: signatureAlgorithm(r.Key.Public(), t.HashAlgorithm),
		DNSNames: r.DNSNames, EmailAddresses: r.EmailAddresses, IPAddresses: r.IPAddresses}, r.Key)
	if err != nil {
		return nil, fmt.Errorf("enroll: sign the certificate request: %w", err)
	}
	return csr, nil
}

// oidChallengePassword is PKCS#9 challengePassword (RFC 2985).
var oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// NewProtocolCSR builds the DER PKCS#10 of a SCEP or EST request, whose
// server picks the profile itself: key, subject (raw DER, may be empty)
// and DNS names (checked by CheckDNSName), SHA-256 (SHA-384 for P-384),
// no template extensions, and a challengePassword attribute when
// challenge is not empty (RFC 8894 §2.2). The caller has checked the
// names against the (synthetic) template.
func NewProtocolCSR(rand io.Reader, key crypto.Signer, rawSubject []byte, dns []string, challenge string) ([]byte, error) {
	if err := checkSANs(dns, nil); err != nil {
		return nil, err
	}
	if rawSubject == nil {
		rawSubject, _ = asn1.Marshal(pkix.RDNSequence{})
	}
	hash := ""
	if k, ok := key.Public().(*ecdsa.PublicKey); ok && k.Curve == elliptic.P384() {
		hash = "2.16.840.1.101.3.4.2.2"
	}
	var attrs [][]byte
	if challenge != "" {
		v, err := asn1.Marshal(challenge) // PrintableString, else UTF8String
		if err != nil {
			return nil, fmt.Errorf("enroll: encode the challenge: %w", err)
		}
		a, err := attribute(oidChallengePassword, v)
		if err != nil {
			return nil, fmt.Errorf("enroll: encode the challenge: %w", err)
		}
		attrs = append(attrs, a)
	}
	var exts []pkix.Extension
	if len(dns) > 0 {
		names := make([]asn1.RawValue, len(dns))
		for i, d := range dns {
			names[i] = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(d)} // dNSName
		}
		v, err := asn1.Marshal(names)
		if err != nil {
			return nil, fmt.Errorf("enroll: encode the DNS names: %w", err)
		}
		exts = []pkix.Extension{{Id: oidSubjectAltName, Value: v}}
	}
	return newCSRWithAttributes(rand, key, rawSubject, hash, exts, attrs)
}

// checkKey enforces the template's algorithm and minimal length: a short key
// would only come back as CERTSRV_E_KEY_LENGTH.
func checkKey(t *Template, pub crypto.PublicKey) error {
	spec, err := t.KeyType()
	if err != nil {
		return err
	}
	var alg x509.PublicKeyAlgorithm
	var bits int
	switch k := pub.(type) {
	case *rsa.PublicKey:
		alg, bits = x509.RSA, k.N.BitLen()
	case *ecdsa.PublicKey:
		alg, bits = x509.ECDSA, k.Curve.Params().BitSize
	}
	if alg != spec.Algorithm || bits < int(t.MinimalKeyLength) || (alg == x509.ECDSA && bits != spec.Bits) {
		return fmt.Errorf("enroll: template %s needs a %s key", t.CommonName, spec)
	}
	return nil
}

// templateExtensions returns the two template identification extensions.
// The name is a bare BMPString as Windows and cepces send it, not the
// SEQUENCE{UTF8String} that MS-WCCE shows (§4.3, §10.9).
func templateExtensions(t *Template) ([]pkix.Extension, error) {
	var exts []pkix.Extension
	if t.CommonName != "" {
		name, err := asn1.Marshal(asn1.RawValue{Tag: 30, Bytes: bmp(t.CommonName)})
		if err != nil {
			return nil, fmt.Errorf("enroll: encode template name: %w", err)
		}
		exts = append(exts, pkix.Extension{Id: oidTemplateName, Value: name})
	}
	if oid, err := parseOID(t.OID); err == nil {
		info, err := asn1.Marshal(struct {
			ID           asn1.ObjectIdentifier
			Major, Minor int
		}{oid, int(t.MajorRevision), int(t.MinorRevision)})
		if err != nil {
			return nil, fmt.Errorf("enroll: encode template information: %w", err)
		}
		exts = append(exts, pkix.Extension{Id: oidTemplateInfo, Value: info})
	}
	if len(exts) == 0 {
		return nil, errors.New("enroll: the template has neither a name nor an OID to put in the request")
	}
	return exts, nil
}

func bmp(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	o, err := x509.ParseOID(s)
	if err != nil {
		return nil, err
	}
	der, err := o.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var id asn1.ObjectIdentifier
	_, err = asn1.Unmarshal(append([]byte{6, byte(len(der))}, der...), &id)
	return id, err
}

// signatureAlgorithm maps the template's hash OID to a signature algorithm.
// SHA-1 (and no hash) become SHA-256: Go no longer signs with SHA-1 and
// every CA that accepts SHA-1 accepts SHA-256.
func signatureAlgorithm(pub crypto.PublicKey, hashOID string) x509.SignatureAlgorithm {
	_, ec := pub.(*ecdsa.PublicKey)
	switch hashOID {
	case "2.16.840.1.101.3.4.2.2":
		return map[bool]x509.SignatureAlgorithm{false: x509.SHA384WithRSA, true: x509.ECDSAWithSHA384}[ec]
	case "2.16.840.1.101.3.4.2.3":
		return map[bool]x509.SignatureAlgorithm{false: x509.SHA512WithRSA, true: x509.ECDSAWithSHA512}[ec]
	}
	return map[bool]x509.SignatureAlgorithm{false: x509.SHA256WithRSA, true: x509.ECDSAWithSHA256}[ec]
}

// signingParams returns the hash of a and the AlgorithmIdentifier
// crypto/x509 writes for it: NULL parameters for RSA PKCS #1 v1.5
// (RFC 4055 §5), none for ECDSA (RFC 5758 §3.2). It knows the algorithms
// signatureAlgorithm picks.
func signingParams(a x509.SignatureAlgorithm) (crypto.Hash, pkix.AlgorithmIdentifier) {
	rsaAlg := func(n int) pkix.AlgorithmIdentifier {
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, n}, Parameters: asn1.NullRawValue}
	}
	ecAlg := func(n int) pkix.AlgorithmIdentifier {
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, n}}
	}
	switch a {
	case x509.SHA384WithRSA:
		return crypto.SHA384, rsaAlg(12)
	case x509.SHA512WithRSA:
		return crypto.SHA512, rsaAlg(13)
	case x509.ECDSAWithSHA256:
		return crypto.SHA256, ecAlg(2)
	case x509.ECDSAWithSHA384:
		return crypto.SHA384, ecAlg(3)
	case x509.ECDSAWithSHA512:
		return crypto.SHA512, ecAlg(4)
	}
	return crypto.SHA256, rsaAlg(11)
}

type csrOuter struct {
	TBS    asn1.RawValue
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
}

type csrInfo struct {
	Version   int
	Subject   asn1.RawValue
	PublicKey asn1.RawValue
	Attrs     []asn1.RawValue `asn1:"tag:0"`
}

// newCSRWithAttributes builds a PKCS#10 whose attributes are the extension
// request for exts, encoded as crypto/x509 encodes it, followed by attrs, and
// has key sign it once. crypto/x509 cannot carry attributes with arbitrary
// values (the renewal certificate), so the CertificationRequestInfo is
// encoded here; the signature is then checked with the public key, as
// x509.CreateCertificateRequest does, so a faulty token or TPM is caught
// before a CA sees the request.
func newCSRWithAttributes(rand io.Reader, key crypto.Signer, rawSubject []byte, hashOID string, exts []pkix.Extension, attrs [][]byte) ([]byte, error) {
	pub := key.Public()
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("enroll: a certificate request needs an RSA or ECDSA key, not %T", pub)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("enroll: encode the public key: %w", err)
	}
	info := csrInfo{Subject: asn1.RawValue{FullBytes: rawSubject}, PublicKey: asn1.RawValue{FullBytes: spki}}
	if len(exts) > 0 {
		req, err := asn1.Marshal(struct {
			Type  asn1.ObjectIdentifier
			Value [][]pkix.Extension `asn1:"set"`
		}{oidExtensionRequest, [][]pkix.Extension{exts}})
		if err != nil {
			return nil, fmt.Errorf("enroll: encode the extension request: %w", err)
		}
		info.Attrs = append(info.Attrs, asn1.RawValue{FullBytes: req})
	}
	for _, a := range attrs {
		info.Attrs = append(info.Attrs, asn1.RawValue{FullBytes: a})
	}
	tbs, err := asn1.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("enroll: encode the certificate request: %w", err)
	}
	hash, alg := signingParams(signatureAlgorithm(pub, hashOID))
	sig, err := crypto.SignMessage(key, rand, tbs, hash)
	if err != nil {
		return nil, fmt.Errorf("enroll: sign the certificate request: %w", err)
	}
	der, err := asn1.Marshal(csrOuter{TBS: asn1.RawValue{FullBytes: tbs}, SigAlg: alg, Sig: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		return nil, fmt.Errorf("enroll: encode the certificate request: %w", err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err == nil {
		err = csr.CheckSignature()
	}
	if err != nil {
		return nil, fmt.Errorf("enroll: the key's signature of the certificate request does not verify: %w", err)
	}
	return der, nil
}

// attribute encodes a PKCS#10 attribute with one value.
func attribute(oid asn1.ObjectIdentifier, value []byte) ([]byte, error) {
	return asn1.Marshal(struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}{oid, []asn1.RawValue{{FullBytes: value}}})
}

// dnTypes are the attribute names ParseDN accepts; DC and E use IA5String.
var dnTypes = map[string]asn1.ObjectIdentifier{
	"CN": {2, 5, 4, 3}, "SERIALNUMBER": {2, 5, 4, 5}, "C": {2, 5, 4, 6}, "L": {2, 5, 4, 7},
	"ST": {2, 5, 4, 8}, "STREET": {2, 5, 4, 9}, "O": {2, 5, 4, 10}, "OU": {2, 5, 4, 11},
	"DC": {0, 9, 2342, 19200300, 100, 1, 25}, "UID": {0, 9, 2342, 19200300, 100, 1, 1},
	"E": {1, 2, 840, 113549, 1, 9, 1}, "EMAILADDRESS": {1, 2, 840, 113549, 1, 9, 1},
}

// ParseDN parses an RFC 4514 distinguished name ("CN=web,O=Example,C=DE")
// into DER, keeping the written order (most specific first, as RFC 4514
// writes it). Backslash escapes are honoured; multi-valued RDNs are not
// supported. An empty string gives an empty subject.
func ParseDN(s string) ([]byte, error) {
	var seq pkix.RDNSequence
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == ',':
			parts = append(parts, cur.String())
			cur.Reset()
		case c == '+':
			return nil, fmt.Errorf("enroll: subject %q: multi-valued names are not supported", s)
		default:
			cur.WriteByte(c)
		}
	}
	if strings.TrimSpace(s) != "" {
		parts = append(parts, cur.String())
	}
	for i := len(parts) - 1; i >= 0; i-- {
		typ, val, ok := strings.Cut(parts[i], "=")
		typ, val = strings.ToUpper(strings.TrimSpace(typ)), strings.TrimSpace(val)
		oid, known := dnTypes[typ]
		if !ok || !known || val == "" {
			return nil, fmt.Errorf("enroll: subject %q: %q is not TYPE=value with a known type", s, parts[i])
		}
		var v any = val
		switch typ {
		case "C":
			if len(val) != 2 {
				return nil, fmt.Errorf("enroll: subject %q: country must be two letters", s)
			}
		case "DC", "E", "EMAILADDRESS":
			v = asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(val)}
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}})
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		return nil, fmt.Errorf("enroll: subject %q: %w", s, err)
	}
	return der, nil
}

// checkSANs validates DNS names (LDH labels, optional leading wildcard) and
// e-mail addresses before the CA sees them.
func checkSANs(dns, emails []string) error {
	for _, d := range dns {
		if CheckDNSName(d) != nil {
			return fmt.Errorf("enroll: %q is not a valid DNS name", d)
		}
	}
	for _, e := range emails {
		local, domain, ok := strings.Cut(e, "@")
		if !ok || local == "" || strings.ContainsAny(local, " <>\"") || !validDNS(domain) {
			return fmt.Errorf("enroll: %q is not a valid e-mail address", e)
		}
	}
	return nil
}

// CheckDNSName reports whether d may be a DNS name of a certificate:
// letter-digit-hyphen labels of 1 to 63 characters that neither start nor
// end with a hyphen, an optional leading "*." wildcard, at most 253
// characters in all, and no trailing dot (RFC 5280's preferred name
// syntax). It is the one rule the core, the command line and the GUI's
// wizard apply.
func CheckDNSName(d string) error {
	if len(d) > 253 || strings.HasSuffix(d, ".") || !validDNS(strings.TrimPrefix(d, "*.")) {
		return fmt.Errorf("%q is not a DNS name", d)
	}
	return nil
}

// validDNS reports whether d is letter-digit-hyphen labels of at most 63
// characters, 253 in all; a trailing dot is allowed (e-mail domains).
func validDNS(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(d, "."), ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
