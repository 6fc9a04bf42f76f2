package testca

import (
	"net/http"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
)

func TestGetPolicies(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	st, root := post(t, c, srv.CEPURL(), soapEnv(actionGetPolicies, srv.CEPURL(), defaultToken(), getPoliciesBody))
	if st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	resp := root.find(nsXCEP, "GetPoliciesResponse")
	var names []string
	for _, p := range resp.find(nsXCEP, "policies").kids {
		names = append(names, p.find(nsXCEP, "commonName").value())
	}
	if got, want := strings.Join(names, ","), "User,UserP256,WebServer,ShortLived,PendAll,KBR"; got != want {
		t.Errorf("templates %s, want %s", got, want)
	}
	var uris []string
	for _, u := range resp.find(nsXCEP, "uris").kids {
		uris = append(uris, u.child(nsXCEP, "clientAuthentication").value()+" "+u.child(nsXCEP, "uri").value()+" "+u.child(nsXCEP, "renewalOnly").value())
	}
	want := []string{"4 " + srv.CESURL() + " false", "8 " + srv.CESCertURL() + " true"}
	if strings.Join(uris, "|") != strings.Join(want, "|") {
		t.Errorf("cAURIs %q, want %q", uris, want)
	}
	if ca := resp.find(nsXCEP, "certificate").value(); ca == "" {
		t.Error("no CA certificate")
	}
}

func TestIssueUser(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	got := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, rsaKey(t, 2048, 0), TemplateUser, ""))
	if got.cert == nil {
		t.Fatalf("not issued: %d %s", got.status, got.reason)
	}
	if got.cert.Subject.CommonName != DefaultUser {
		t.Errorf("subject %s", got.cert.Subject)
	}
	p7, err := pkcs7.Parse(got.cmc)
	if err != nil {
		t.Fatal(err)
	}
	if len(p7.Certificates) != 3 {
		t.Errorf("CMC has %d certificates, want leaf, issuing CA and root", len(p7.Certificates))
	}
	if err := p7.Verify(); err != nil {
		t.Errorf("CMC signature: %v", err)
	}
}
