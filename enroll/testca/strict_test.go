package testca

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStrictAsADCS: by default the server filters versions as MS-XCEP
// says, refuses Timestamps outside the skew window and sends its own clock
// as Date; Lenient keeps the old behaviour where a test needs it.
func TestStrictAsADCS(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Second) // the TLS certificate's validity starts at the CA's clock
	strictCA, strict := startCA(t, func(c *Config) { c.Clock = func() time.Time { return at } })
	lenientCA, lenient := startCA(t, func(c *Config) { c.Clock = func() time.Time { return at }; c.Lenient = true })
	zero := strings.Replace(getPoliciesBody, "15</clientVersion><serverVersion>15", "0</clientVersion><serverVersion>0", 1)
	tests := []struct {
		name    string
		ca      *CA
		srv     *Server
		created time.Time
		body    string
		status  int
		hasP256 bool
	}{
		{"versions 15", strictCA, strict, at, getPoliciesBody, 200, true},
		{"versions 0 hide versioned templates", strictCA, strict, at, zero, 200, false},
		{"lenient versions 0 show all", lenientCA, lenient, at, zero, 200, true},
		{"timestamp 4 minutes ahead", strictCA, strict, at.Add(4 * time.Minute), getPoliciesBody, 200, true},
		{"timestamp an hour ahead", strictCA, strict, at.Add(time.Hour), getPoliciesBody, 500, false},
		{"timestamp expired 10 minutes ago", strictCA, strict, at.Add(-15 * time.Minute), getPoliciesBody, 500, false},
		{"lenient old timestamp", lenientCA, lenient, at.Add(-24 * time.Hour), getPoliciesBody, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := httpClient(tt.ca, nil)
			resp, err := c.Post(tt.srv.CEPURL(), "application/soap+xml; charset=utf-8",
				strings.NewReader(soapEnv(actionGetPolicies, tt.srv.CEPURL(), usernameTokenAt(tt.created, DefaultUser, DefaultPassword), tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			root, err := parseXML(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := http.ParseTime(resp.Header.Get("Date")); !d.Equal(at) {
				t.Errorf("Date %s, want the CA's clock", resp.Header.Get("Date"))
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.status, root.find(nsSOAP, "Text").value())
			}
			if tt.status != 200 {
				if sub := root.find(nsSOAP, "Subcode").find(nsSOAP, "Value").value(); sub != "a:InvalidSecurity" {
					t.Errorf("subcode %q", sub)
				}
				return
			}
			hasP256 := false
			for _, n := range root.find(nsXCEP, "policies").kids {
				hasP256 = hasP256 || n.find(nsXCEP, "commonName").value() == TemplateUserP256
			}
			if hasP256 != tt.hasP256 {
				t.Errorf("UserP256 listed %v, want %v", hasP256, tt.hasP256)
			}
		})
	}
}

// TestExtraCAs: the policy lists the extra CAs for every template with
// their enrollPermission; an unreachable one answers 0x800706BA without a
// RequestID and not as a denial, one without permission denies.
func TestExtraCAs(t *testing.T) {
	ca, srv := startCA(t, func(c *Config) {
		c.ExtraCAs = []ExtraCA{{Name: "Down CA", Unreachable: true}, {Name: "Closed CA", Priority: 2, NoEnrollPermission: true}}
	})
	c := httpClient(ca, nil)
	st, root := post(t, c, srv.CEPURL(), soapEnv(actionGetPolicies, srv.CEPURL(), defaultToken(), getPoliciesBody))
	if st != 200 {
		t.Fatalf("HTTP %d", st)
	}
	var perms []string
	for _, x := range root.find(nsXCEP, "GetPoliciesResponse").child(nsXCEP, "cAs").kids {
		perms = append(perms, x.find(nsXCEP, "uri").value()[len(srv.URL()):]+"="+x.child(nsXCEP, "enrollPermission").value())
	}
	want := "/" + ca.sanitizedName() + cesUPSuffix + "=true /Down-CA" + cesUPSuffix + "=true /Closed-CA" + cesUPSuffix + "=false"
	if got := strings.Join(perms, " "); got != want {
		t.Errorf("CAs %s, want %s", got, want)
	}
	if refs := root.find(nsXCEP, "policy").child(nsXCEP, "cAs").kids; len(refs) != 3 {
		t.Errorf("template lists %d CAs, want 3", len(refs))
	}
	tests := []struct {
		path    string
		code    HRESULT
		invalid string
	}{
		{"/Down-CA" + cesUPSuffix, RPCServerUnavailable, "false"},
		{"/Closed-CA" + cesUPSuffix, EAccessDenied, "true"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			st, root := post(t, c, srv.URL()+tt.path, soapEnv(actionRST, srv.URL()+tt.path, defaultToken(), issueBody(newCSR(t, p256Key(t), TemplateUserP256, ""), valuePKCS7)))
			got := parseRSTR(t, st, root)
			if st != 500 || HRESULT(got.errorCode) != tt.code || got.requestID != "" || root.find(nsWSTEP, "InvalidRequest").value() != tt.invalid {
				t.Errorf("HTTP %d code %s request %q InvalidRequest %s", st, HRESULT(got.errorCode), got.requestID, root.find(nsWSTEP, "InvalidRequest").value())
			}
		})
	}
}
