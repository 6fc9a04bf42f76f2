package enroll

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

// faultXML is a CES fault as WCF sends it; requestID "" is nil.
func faultXML(code, subcode string, hresult int32, invalid bool, requestID string) string {
	sub := ""
	if subcode != "" {
		sub = `<s:Subcode><s:Value>` + subcode + `</s:Value></s:Subcode>`
	}
	rid := `<RequestID xsi:nil="true"/>`
	if requestID != "" {
		rid = `<RequestID>` + requestID + `</RequestID>`
	}
	detail := ""
	if hresult != 0 {
		detail = fmt.Sprintf(`<s:Detail><CertificateEnrollmentWSDetail xmlns="%s" xmlns:xsi="%s"><BinaryResponse xsi:nil="true"/><ErrorCode>%d</ErrorCode><InvalidRequest>%t</InvalidRequest>%s</CertificateEnrollmentWSDetail></s:Detail>`,
			nsWSTEP, nsXSI, hresult, invalid, rid)
	}
	return `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA + `"><s:Body><s:Fault><s:Code><s:Value>` + code + `</s:Value>` + sub +
		`</s:Code><s:Reason><s:Text xml:lang="en-US">reason text</s:Text></s:Reason>` + detail + `</s:Fault></s:Body></s:Envelope>`
}

// TestFailoverAndClassification: the CES answers real AD CS gives, whether
// the client moves on to the next CES, and whether enroll.Permanent calls
// the failure permanent (issue #16, items 3, 5, 6, 9, 10).
func TestFailoverAndClassification(t *testing.T) {
	issued := vector(t, "wstep-spec-4.1.1.2-RSTRC-issued-response.xml")
	// fault answers a CES fault as WCF does, with the server's Date at
	// fixedNow+skew.
	fault := func(skew time.Duration, code, subcode string, hresult int32, invalid bool, requestID string) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", fixedNow.Add(skew).Format(http.TimeFormat))
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, faultXML(code, subcode, hresult, invalid, requestID))
		}
	}
	answers := map[string]func(w http.ResponseWriter, r *http.Request){
		"unreachable":    fault(0, "s:Receiver", "", -2147023174, false, ""), // CES cannot reach its CA
		"stale-template": fault(0, "s:Receiver", "", -2146875385, false, ""),
		"recorded":       fault(0, "s:Receiver", "", -2147023174, false, "77"), // the CA has the request
		"denied":         fault(0, "s:Receiver", "", -2146877422, true, "78"),
		"attestation":    fault(0, "s:Receiver", "", -2146875366, false, ""),
		"sender":         fault(0, "s:Sender", "a:ActionNotSupported", 0, false, ""),
		"badpw":          fault(time.Minute, "s:Sender", "a:InvalidSecurity", 0, false, ""),
		"skew":           fault(time.Hour, "s:Sender", "a:InvalidSecurity", 0, false, ""), // the server's clock is an hour ahead
		"plain500": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		},
		"gateway": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "Bad Gateway", http.StatusBadGateway) },
		"busy": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		},
		"kerberos": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", "NTLM")
			http.Error(w, "401 - Unauthorized", http.StatusUnauthorized)
		},
		"basic": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", `Basic realm="ca"`)
			http.Error(w, "401 - Unauthorized", http.StatusUnauthorized)
		},
		"reset": func(w http.ResponseWriter, r *http.Request) { // reads the request, then drops the connection
			io.ReadAll(r.Body)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*tls.Conn).NetConn().(*net.TCPConn).SetLinger(0)
			conn.Close()
		},
		"ok": func(w http.ResponseWriter, r *http.Request) { w.Write(issued) },
	}
	var hits []string
	mux := http.NewServeMux()
	for name, h := range answers {
		mux.HandleFunc("/"+name+"/", func(w http.ResponseWriter, r *http.Request) {
			hits = append(hits, name)
			w.Header().Set("Content-Type", contentType)
			h(w, r)
		})
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	c := New(WithRootCAs(roots), WithUsernamePassword("alice", "pw"), WithClock(func() time.Time { return fixedNow }))
	req := Request{Template: webServer(), Key: loadKey(t, "new-rsa2048.pem"), DNSNames: []string{"web.example.test"}}

	tests := []struct {
		name      string
		first     string // the first CES; /ok/ is the second
		failover  bool   // /ok/ was asked
		permanent bool
		is        error  // errors.Is target, if any
		text      string // in the error text
	}{
		{"dial error fails over", "", true, false, nil, ""},
		{"503 fails over", "busy", true, false, nil, ""},
		{"CA unreachable fails over", "unreachable", true, false, nil, ""},
		{"stale template fails over", "stale-template", true, false, nil, ""},
		{"CA-side fault with a RequestID is reported", "recorded", false, false, nil, "failed request 77 with RPC_S_SERVER_UNAVAILABLE (0x800706BA)"},
		{"denial stays", "denied", false, true, ErrDenied, "CERTSRV_E_TEMPLATE_DENIED"},
		{"attestation refused", "attestation", false, true, nil, "key attestation"},
		{"sender fault stays", "sender", false, true, nil, "ActionNotSupported"},
		{"bad password stays", "badpw", false, true, ErrCredentialsRefused, "refused these credentials"},
		{"clock skew is transient", "skew", false, false, ErrClockSkew, "clock is 1h0m0s behind the server's"},
		{"500 without fault is reported", "plain500", false, false, nil, "500"},
		{"502 is reported", "gateway", false, false, nil, "502"},
		{"reset after sending is reported", "reset", false, false, ErrNoAnswer, "not sent elsewhere"},
		{"Kerberos-only 401", "kerberos", false, true, ErrKerberosRequired, "needs Kerberos"},
		{"401 with Basic is credentials", "basic", false, true, ErrCredentialsRefused, "refused these credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits = nil
			first := strings.Replace(down.URL, "http:", "https:", 1) + "/down/"
			if tt.first != "" {
				first = srv.URL + "/" + tt.first + "/"
			}
			res, err := c.Enroll(context.Background(), []string{first, srv.URL + "/ok/"}, req)
			asked := len(hits) > 0 && hits[len(hits)-1] == "ok"
			if asked != tt.failover {
				t.Fatalf("failover %v, want %v (hits %v, err %v)", asked, tt.failover, hits, err)
			}
			if tt.failover {
				// The canned certificate is for another key.
				if !errors.Is(err, ErrKeyMismatch) || res == nil || res.Certificate == nil {
					t.Fatalf("after failover: %+v %v", res, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if Permanent(err) != tt.permanent {
				t.Errorf("Permanent = %v, want %v: %v", !tt.permanent, tt.permanent, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("not %v: %v", tt.is, err)
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "enroll: ") {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
		})
	}
	t.Run("every CES down is transient", func(t *testing.T) {
		_, err := c.Enroll(context.Background(), []string{srv.URL + "/unreachable/", srv.URL + "/busy/"}, req)
		if err == nil || Permanent(err) || !strings.Contains(err.Error(), "all 2 enrollment servers failed") {
			t.Errorf("got %v", err)
		}
	})
}

// TestResponseWithBOM: a body starting with a UTF-8 byte-order mark, as
// some proxies and .NET writers emit, parses.
func TestResponseWithBOM(t *testing.T) {
	bom := "\uFEFF"
	res, err := ParseResponse(append([]byte(bom), vector(t, "wstep-spec-4.1.1.2-RSTRC-issued-response.xml")...))
	if err != nil || res.Certificate == nil {
		t.Errorf("RSTRC: %+v %v", res, err)
	}
	p, err := ParsePolicies(append([]byte(bom), vector(t, "cepces-fixture-GetPoliciesResponse-body-3ext.xml")...))
	if err != nil || len(p.Templates) != 1 {
		t.Errorf("GetPoliciesResponse: %+v %v", p, err)
	}
	f := policiesFault(t, []byte(bom+faultXML("s:Receiver", "", -2147023174, false, "")))
	if f.Name() != "RPC_S_SERVER_UNAVAILABLE" {
		t.Errorf("fault: %+v", f)
	}
}

// policiesFault parses data as a GetPoliciesResponse that must be a fault.
func policiesFault(t *testing.T, data []byte) *Fault {
	t.Helper()
	_, err := ParsePolicies(data)
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("no fault: %v", err)
	}
	return f
}

// TestClientCertificateTLS12: a client that authenticates with a
// certificate never offers TLS 1.3, so IIS can renegotiate to ask for it;
// other clients keep TLS 1.3. Go's crypto/tls server cannot renegotiate,
// so the renegotiation itself is left to the Apache httpd test in CI.
func TestClientCertificateTLS12(t *testing.T) {
	var got uint16
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.TLS.Version
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	ts.StartTLS()
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	cert := tls.Certificate{Certificate: [][]byte{loadCert(t, "old-cert.pem").Raw}, PrivateKey: loadKey(t, "old-key.pem")}
	tests := []struct {
		name string
		c    *Client
		want uint16
	}{
		{"certificate", New(WithRootCAs(pool), WithClientCertificate(cert)), tls.VersionTLS12},
		{"password", New(WithRootCAs(pool), WithUsernamePassword("a", "b")), tls.VersionTLS13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = 0
			tt.c.GetPolicies(context.Background(), ts.URL, time.Time{})
			if got != tt.want {
				t.Errorf("TLS version %s, want %s", tls.VersionName(got), tls.VersionName(tt.want))
			}
		})
	}
}

// TestSHA1Chain: a server whose certificate is signed with SHA-1 gets a
// sentence saying so and what the administrator can do.
func TestSHA1Chain(t *testing.T) {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Old Root"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ces.example.test"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, SignatureAlgorithm: x509.SHA1WithRSA,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, leafKey.Public(), caKey)
	if err != nil {
		t.Skipf("crypto/x509 no longer signs with SHA-1: %v", err)
	}
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	ts.StartTLS()
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err = New(WithRootCAs(pool)).GetPolicies(context.Background(), ts.URL, time.Time{})
	var u *UntrustedServerError
	if !errors.As(err, &u) || !u.SHA1 || !strings.Contains(err.Error(), "signed with SHA-1") || !strings.Contains(err.Error(), "reissue") {
		t.Errorf("got %v", err)
	}
}

// TestEnrollPermissionAndAttestation: a CA with enrollPermission false is
// never tried (absent counts as allowed), and a template that requires key
// attestation is not usable with a software key (issue #16, items 4, 6).
func TestEnrollPermissionAndAttestation(t *testing.T) {
	ca := func(id int, perm string) string {
		return fmt.Sprintf(`<cA><uris><cAURI><clientAuthentication>4</clientAuthentication><uri>https://ca%d/CES</uri><priority>%d</priority><renewalOnly>false</renewalOnly></cAURI></uris><certificate>AA==</certificate>%s<cAReferenceID>%d</cAReferenceID></cA>`,
			id, 10-id, perm, id)
	}
	body := `<GetPoliciesResponse xmlns="` + nsXCEP + `"><response><policyID>p</policyID><policiesNotChanged>false</policiesNotChanged><policies>` +
		`<policy><policyOIDReference>1</policyOIDReference><cAs><cAReference>1</cAReference><cAReference>2</cAReference><cAReference>3</cAReference></cAs>` +
		`<attributes><commonName>TPMUser</commonName><permission><enroll>true</enroll><autoEnroll>false</autoEnroll></permission><privateKeyFlags>8192</privateKeyFlags></attributes></policy>` +
		`</policies></response><cAs>` + ca(1, `<enrollPermission>true</enrollPermission>`) + ca(2, `<enrollPermission>false</enrollPermission>`) + ca(3, "") +
		`</cAs><oIDs><oID><value>1.2.3</value><group>9</group><oIDReferenceID>1</oIDReferenceID><defaultName>TPMUser</defaultName></oID></oIDs></GetPoliciesResponse>`
	p, err := ParsePolicies([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	tm := p.Template("TPMUser")
	if got := strings.Join(p.Endpoints(tm, AuthUsernamePassword, false), " "); got != "https://ca3/CES https://ca1/CES" {
		t.Errorf("endpoints %q, want ca3 and ca1 only", got)
	}
	if tm.Usable() || !strings.Contains(tm.Unusable(), "key attestation") {
		t.Errorf("attestation template usable: %q", tm.Unusable())
	}
}

// TestRenewalCopiesAltNames: the renewal request carries the old
// certificate's subjectAltName extension byte for byte, UPN (otherName)
// included, which crypto/x509 does not parse (issue #16, item 7).
func TestRenewalCopiesAltNames(t *testing.T) {
	caCert, caKey := loadCert(t, "ca-cert.pem"), loadKey(t, "ca-key.pem")
	oldKey := loadKey(t, "old-key.pem")
	upn, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustMarshal(t,
		asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
			Bytes: mustMarshal(t, asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("alice@corp.example")})})})
	if err != nil {
		t.Fatal(err)
	}
	dns, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("alice.example.test")})
	san, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: append(upn, dns...)})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "alice"}, NotBefore: fixedNow.Add(-time.Hour),
		NotAfter: fixedNow.Add(time.Hour), ExtraExtensions: []pkix.Extension{{Id: oidSubjectAltName, Value: san}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, oldKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := x509.ParseCertificate(der)
	req, err := NewRenewalRequest(rand.Reader, RenewalRequest{OldCert: old, OldKey: oldKey, NewKey: loadKey(t, "new-rsa2048.pem")})
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(p7.Content)
	if err != nil {
		t.Fatal(err)
	}
	var got []pkix.Extension
	for _, e := range csr.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			got = append(got, e)
		}
	}
	if len(got) != 1 || !bytes.Equal(got[0].Value, san) {
		t.Errorf("subjectAltName in the request %v, want %x", got, san)
	}
}

func mustMarshal(t *testing.T, vs ...any) []byte {
	t.Helper()
	var out []byte
	for _, v := range vs {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}
