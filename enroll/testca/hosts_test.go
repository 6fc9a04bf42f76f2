package testca

import (
	"net"
	"slices"
	"testing"
)

// SetExtraCESHost puts a preferred password CES on another host name into
// the password CEP's answers, which the server also answers; RequestsTo
// counts requests by the host they were addressed to.
func TestExtraCESHost(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	extra := "https://" + net.JoinHostPort("localhost", port) + ca.cesPath(false)
	body := `<GetPolicies xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><client><lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client></GetPolicies>`
	uris := func(url string) []string {
		t.Helper()
		st, root := post(t, c, url, soapEnv(actionGetPolicies, url, defaultToken(), body))
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		var out []string
		for _, u := range root.find(nsXCEP, "uris").kids {
			out = append(out, u.child(nsXCEP, "uri").value())
		}
		return out
	}
	if got := uris(srv.CEPURL()); slices.Contains(got, extra) {
		t.Fatalf("extra CES listed without the fault: %v", got)
	}
	srv.SetExtraCESHost("localhost")
	if got := uris(srv.CEPURL()); len(got) < 2 || got[0] != extra || got[1] != srv.CESURL() {
		t.Fatalf("with the fault: %v, want %s first, then %s", got, extra, srv.CESURL())
	}
	if n := srv.RequestsTo("localhost:" + port); n != 0 {
		t.Fatalf("%d requests counted for localhost before any", n)
	}
	uris("https://localhost:" + port + PathCEP)
	if n, m := srv.RequestsTo("LOCALHOST:"+port), srv.RequestsTo(srv.Addr().String()); n != 1 || m != 2 {
		t.Errorf("RequestsTo: localhost %d, 127.0.0.1 %d; want 1 and 2", n, m)
	}
	srv.SetExtraCESHost("")
	if got := uris(srv.CEPURL()); slices.Contains(got, extra) {
		t.Errorf("extra CES still listed after SetExtraCESHost(\"\"): %v", got)
	}
}
