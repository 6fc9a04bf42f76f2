package testca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/smallstep/pkcs7"
)

// testKeys caches generated RSA keys: generation dominates test time.
var testKeys = struct {
	sync.Mutex
	m map[int][]*rsa.PrivateKey
}{m: map[int][]*rsa.PrivateKey{}}

// rsaKey returns the n-th cached RSA key of the given size.
func rsaKey(t testing.TB, bits, n int) *rsa.PrivateKey {
	t.Helper()
	testKeys.Lock()
	defer testKeys.Unlock()
	for len(testKeys.m[bits]) <= n {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		testKeys.m[bits] = append(testKeys.m[bits], k)
	}
	return testKeys.m[bits][n]
}

func p256Key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// startCA starts a CA and server in a temporary directory.
func startCA(t testing.TB, mutate func(*Config)) (*CA, *Server) {
	t.Helper()
	cfg := Config{Dir: t.TempDir(), KBR: true}
	if mutate != nil {
		mutate(&cfg)
	}
	ca, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return ca, srv
}

// httpClient trusts the CA root and presents cert, if any. Each client
// has its own transport, so fault switches see fresh handshakes.
func httpClient(ca *CA, cert *tls.Certificate) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root())
	cfg := &tls.Config{RootCAs: pool}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
}

// post sends a SOAP body and returns the status and parsed response.
func post(t testing.TB, c *http.Client, url, body string) (int, *node) {
	t.Helper()
	resp, err := c.Post(url, "application/soap+xml; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatalf("post %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	root, err := parseXML(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("response to %s is not XML (%d): %v\n%s", url, resp.StatusCode, err, data)
	}
	return resp.StatusCode, root
}

// soapEnv builds a request envelope the way Windows does (WCF prefixes).
func soapEnv(action, to, security, body string) string {
	return `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA + `" xmlns:u="` + nsWSU + `"><s:Header>` +
		`<a:Action s:mustUnderstand="1">` + action + `</a:Action><a:MessageID>urn:uuid:11111111-2222-3333-4444-555555555555</a:MessageID>` +
		`<a:To s:mustUnderstand="1">` + to + `</a:To>` + security + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

// usernameToken is a WS-Security header with a Timestamp made now, as
// Windows sends.
func usernameToken(user, pw string) string {
	return usernameTokenAt(time.Now(), user, pw)
}

// usernameTokenAt is usernameToken with a Timestamp created at created.
func usernameTokenAt(created time.Time, user, pw string) string {
	f := "2006-01-02T15:04:05.000Z"
	return `<o:Security s:mustUnderstand="1" xmlns:o="` + nsWSSE + `"><u:Timestamp u:Id="_0"><u:Created>` + created.UTC().Format(f) +
		`</u:Created><u:Expires>` + created.Add(5*time.Minute).UTC().Format(f) + `</u:Expires></u:Timestamp>` +
		`<o:UsernameToken u:Id="uuid-1"><o:Username>` + user + `</o:Username><o:Password Type="` + passwordTextURI + `">` + pw + `</o:Password></o:UsernameToken></o:Security>`
}

func defaultToken() string { return usernameToken(DefaultUser, DefaultPassword) }

const getPoliciesBody = `<GetPolicies xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><client><lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client>` +
	`<requestFilter><policyOIDs xsi:nil="true"/><clientVersion>15</clientVersion><serverVersion>15</serverVersion></requestFilter></GetPolicies>`

// issueBody is an RST Issue carrying der (PKCS#10 or CMS).
func issueBody(der []byte, valueType string) string {
	return `<wst:RequestSecurityToken xmlns:wst="` + nsWST + `"><wst:TokenType>` + tokenX509v3 + `</wst:TokenType>` +
		`<wst:RequestType>` + reqTypeIssue + `</wst:RequestType><wsse:BinarySecurityToken xmlns:wsse="` + nsWSSE + `" ValueType="` + valueType +
		`" EncodingType="` + encodingBase64 + `">` + base64.StdEncoding.EncodeToString(der) + `</wsse:BinarySecurityToken>` +
		`<wstep:RequestID xmlns:wstep="` + nsWSTEP + `" xsi:nil="true" xmlns:xsi="` + nsXSI + `"/></wst:RequestSecurityToken>`
}

func queryBody(id string) string {
	return `<wst:RequestSecurityToken xmlns:wst="` + nsWST + `"><wst:TokenType>` + tokenX509v3 + `</wst:TokenType>` +
		`<wst:RequestType>` + reqTypeQuery + `</wst:RequestType><wstep:RequestID xmlns:wstep="` + nsWSTEP + `">` + id + `</wstep:RequestID></wst:RequestSecurityToken>`
}

// bmpString encodes s as a bare BMPString (template name extension).
func bmpString(t testing.TB, s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c>>8), byte(c))
	}
	v, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagBMPString, Bytes: b})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newCSR builds a PKCS#10 naming template (by name extension).
func newCSR(t testing.TB, key crypto.Signer, template, cn string, dns ...string) []byte {
	t.Helper()
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}
	if template != "" {
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidEnrollCertType, Value: bmpString(t, template)}}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// rstr is what a CES answer says.
type rstr struct {
	status    int
	requestID string
	cert      *x509.Certificate
	cmc       []byte
	pollURL   string
	fault     *node // CertificateEnrollmentWSDetail or Fault
	errorCode int32
	reason    string
}

func decodeB64(t testing.TB, s string) []byte {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// parseRSTR interprets a CES answer.
func parseRSTR(t testing.TB, status int, root *node) rstr {
	t.Helper()
	out := rstr{status: status}
	if f := root.find(nsSOAP, "Fault"); f != nil {
		out.fault = f
		out.reason = f.find(nsSOAP, "Text").value()
		out.requestID = f.find(nsWSTEP, "RequestID").value()
		if ec := f.find(nsWSTEP, "ErrorCode"); ec != nil {
			n, err := strconv.ParseInt(ec.value(), 10, 32)
			if err != nil {
				t.Fatalf("ErrorCode %q: %v", ec.value(), err)
			}
			out.errorCode = int32(n)
		}
		return out
	}
	resp := root.find(nsWST, "RequestSecurityTokenResponse")
	if resp == nil {
		t.Fatalf("no RSTR in answer")
	}
	out.requestID = resp.child(nsWSTEP, "RequestID").value()
	if bst := resp.child(nsWSSE, "BinarySecurityToken"); bst != nil {
		out.cmc = decodeB64(t, bst.text.String())
	}
	rt := resp.child(nsWST, "RequestedSecurityToken")
	if bst := rt.child(nsWSSE, "BinarySecurityToken"); bst != nil {
		c, err := x509.ParseCertificate(decodeB64(t, bst.text.String()))
		if err != nil {
			t.Fatal(err)
		}
		out.cert = c
	}
	if ref := rt.find(nsWSSE, "Reference"); ref != nil {
		out.pollURL, _ = ref.attrValue("", "URI")
	}
	return out
}

// issue posts an Issue request and interprets the answer.
func issue(t testing.TB, c *http.Client, url, security string, der []byte) rstr {
	t.Helper()
	st, root := post(t, c, url, soapEnv(actionRST, url, security, issueBody(der, nsWSTEP+"#PKCS10")))
	return parseRSTR(t, st, root)
}

func query(t testing.TB, c *http.Client, url, security, id string) rstr {
	t.Helper()
	st, root := post(t, c, url, soapEnv(actionRST, url, security, queryBody(id)))
	return parseRSTR(t, st, root)
}

// renewalCSR builds the PKCS#10 of a key-based renewal by hand (crypto/x509
// cannot write arbitrary attributes): subject of old, template extension,
// attribute 1.3.6.1.4.1.311.13.1 = old certificate, signed with newKey.
func renewalCSR(t testing.TB, old *x509.Certificate, newKey crypto.Signer, template string, renewalAttr []byte) []byte {
	t.Helper()
	return renewalCSRFor(t, &x509.CertificateRequest{RawSubject: old.RawSubject}, newKey, template, renewalAttr)
}

// renewalCSRFor is renewalCSR with the names of req (subject, SANs).
func renewalCSRFor(t testing.TB, req *x509.CertificateRequest, newKey crypto.Signer, template string, renewalAttr []byte) []byte {
	t.Helper()
	// Let crypto/x509 encode the public key and extension request first.
	req.ExtraExtensions = append(req.ExtraExtensions, pkix.Extension{Id: oidEnrollCertType, Value: bmpString(t, template)})
	base, err := x509.CreateCertificateRequest(rand.Reader, req, newKey)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(base)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Version   int
		Subject   asn1.RawValue
		PublicKey asn1.RawValue
		Attrs     []asn1.RawValue `asn1:"tag:0"`
	}
	if _, err := asn1.Unmarshal(csr.RawTBSCertificateRequest, &info); err != nil {
		t.Fatal(err)
	}
	attr, err := asn1.Marshal(struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}{oidRenewalCertificate, []asn1.RawValue{{FullBytes: renewalAttr}}})
	if err != nil {
		t.Fatal(err)
	}
	info.Attrs = append([]asn1.RawValue{{FullBytes: attr}}, info.Attrs...)
	tbs, err := asn1.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	return signCSR(t, tbs, newKey)
}

// signCSR wraps a CertificationRequestInfo into a signed request (SHA-256).
func signCSR(t testing.TB, tbs []byte, key crypto.Signer) []byte {
	t.Helper()
	h := sha256.Sum256(tbs)
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue}
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		alg = pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	}
	der, err := asn1.Marshal(struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, alg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// renewalCMS wraps csr in CMS SignedData signed by the old certificate and
// key; withAttrs selects signed attributes (Windows sends none).
func renewalCMS(t testing.TB, csr []byte, old *x509.Certificate, oldKey crypto.Signer, withAttrs bool) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(csr)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if withAttrs {
		err = sd.AddSigner(old, oldKey, pkcs7.SignerInfoConfig{})
	} else {
		err = sd.SignWithoutAttr(old, oldKey, pkcs7.SignerInfoConfig{})
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// tlsCert pairs a certificate with its key for TLS client auth.
func tlsCert(c *x509.Certificate, key crypto.Signer) *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}
}
