package testca

import (
	"strings"
	"testing"
	"time"
)

func TestGetPoliciesFilters(t *testing.T) {
	ca, srv := startCA(t, func(c *Config) {
		c.Users = map[string]string{DefaultUser: DefaultPassword, "bob": "pw"}
		c.Restrict = map[string][]string{TemplateWebServer: {DefaultUser}}
	})
	c := httpClient(ca, nil)
	body := func(client, filter string) string {
		return `<GetPolicies xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><client>` + client + `</client>` + filter + `</GetPolicies>`
	}
	nilClient := `<lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/>`
	versions := func(cv, sv string) string {
		return `<requestFilter><policyOIDs xsi:nil="true"/><clientVersion>` + cv + `</clientVersion><serverVersion>` + sv + `</serverVersion></requestFilter>`
	}
	future := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05")
	tests := []struct {
		name       string
		user, pw   string
		body       string
		want       string // templates, comma-separated; "-" for policiesNotChanged
		noEnrollOn string // template listed with enroll=false
	}{
		{name: "zero versions hide versioned template (MS-XCEP 3.1.4.1.3.22)", body: body(nilClient, versions("0", "0")), want: "User,WebServer,ShortLived,PendAll,KBR,UserNoExport"},
		{name: "versions 15 show every template", body: body(nilClient, versions("15", "15")), want: "User,UserP256,WebServer,ShortLived,PendAll,KBR,UserTPM,UserSmartCard,UserNoExport,UserAttested"},
		{name: "windows 8.1 versions", body: body(nilClient, versions("6", "6")), want: "User,UserP256,WebServer,ShortLived,PendAll,KBR,UserTPM,UserSmartCard,UserNoExport,UserAttested"},
		{name: "old client hides versioned template", body: body(nilClient, versions("1", "1")), want: "User,WebServer,ShortLived,PendAll,KBR,UserNoExport"},
		{name: "nil filter hides versioned template (cepces #74)", body: body(nilClient, `<requestFilter xsi:nil="true"/>`), want: "User,WebServer,ShortLived,PendAll,KBR,UserNoExport"},
		{name: "absent filter", body: body(nilClient, ""), want: "User,WebServer,ShortLived,PendAll,KBR,UserNoExport"},
		{name: "policyOIDs", body: body(nilClient, `<requestFilter><policyOIDs><oid>`+templateOID(3).String()+`</oid></policyOIDs><clientVersion>0</clientVersion><serverVersion>0</serverVersion></requestFilter>`), want: "WebServer"},
		{name: "old lastUpdate", body: body(`<lastUpdate>2001-01-01T00:00:00</lastUpdate><preferredLanguage>en-US</preferredLanguage>`, versions("15", "15")), want: "User,UserP256,WebServer,ShortLived,PendAll,KBR,UserTPM,UserSmartCard,UserNoExport,UserAttested"},
		{name: "current lastUpdate", body: body(`<lastUpdate>`+future+`</lastUpdate><preferredLanguage xsi:nil="1"/>`, versions("15", "15")), want: "-"},
		{name: "restricted template", user: "bob", pw: "pw", body: body(nilClient, versions("15", "15")), want: "User,UserP256,WebServer,ShortLived,PendAll,KBR,UserTPM,UserSmartCard,UserNoExport,UserAttested", noEnrollOn: "WebServer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, pw := DefaultUser, DefaultPassword
			if tt.user != "" {
				user, pw = tt.user, tt.pw
			}
			st, root := post(t, c, srv.CEPURL(), soapEnv(actionGetPolicies, srv.CEPURL(), usernameToken(user, pw), tt.body))
			if st != 200 {
				t.Fatalf("status %d: %s", st, root.find(nsSOAP, "Text").value())
			}
			resp := root.find(nsXCEP, "response")
			if tt.want == "-" {
				if resp.child(nsXCEP, "policiesNotChanged").value() != "true" || !resp.child(nsXCEP, "policies").isNil() ||
					!root.find(nsXCEP, "cAs").isNil() || !root.find(nsXCEP, "oIDs").isNil() {
					t.Error("want policiesNotChanged with nil collections")
				}
				return
			}
			var names []string
			for _, p := range resp.child(nsXCEP, "policies").kids {
				name := p.find(nsXCEP, "commonName").value()
				names = append(names, name)
				if enroll := p.find(nsXCEP, "enroll").value(); (enroll == "false") != (name == tt.noEnrollOn) {
					t.Errorf("%s: enroll=%s", name, enroll)
				}
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("templates %s, want %s", got, tt.want)
			}
			// every policyOIDReference resolves to a group-9 oID
			oids := map[string]string{}
			for _, o := range root.find(nsXCEP, "oIDs").kids {
				oids[o.child(nsXCEP, "oIDReferenceID").value()] = o.child(nsXCEP, "group").value()
			}
			for _, p := range resp.child(nsXCEP, "policies").kids {
				if g := oids[p.child(nsXCEP, "policyOIDReference").value()]; g != "9" {
					t.Errorf("policyOIDReference resolves to group %q", g)
				}
			}
		})
	}
}

func TestPolicyIDStable(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if a.policyID() != b.policyID() || !strings.HasPrefix(a.policyID(), "{") {
		t.Errorf("policy ids %s, %s", a.policyID(), b.policyID())
	}
}

func TestEmptyPoliciesFault(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	body := `<GetPolicies xmlns="` + nsXCEP + `" xmlns:xsi="` + nsXSI + `"><client><lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client></GetPolicies>`
	count := func() int {
		t.Helper()
		st, root := post(t, c, srv.CEPURL(), soapEnv(actionGetPolicies, srv.CEPURL(), defaultToken(), body))
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		resp := root.find(nsXCEP, "response")
		if resp.child(nsXCEP, "policiesNotChanged").value() != "false" {
			t.Fatal("policiesNotChanged is not false")
		}
		return len(resp.child(nsXCEP, "policies").kids)
	}
	if count() == 0 {
		t.Fatal("no templates without a fault")
	}
	srv.SetEmptyPolicies(EmptyPoliciesOnce)
	if n1, n2 := count(), count(); n1 != 0 || n2 == 0 {
		t.Errorf("once: %d then %d templates", n1, n2)
	}
	srv.SetEmptyPolicies(EmptyPoliciesAlways)
	if n1, n2 := count(), count(); n1 != 0 || n2 != 0 {
		t.Errorf("always: %d then %d templates", n1, n2)
	}
	srv.SetEmptyPolicies(EmptyPoliciesNone)
	srv.WithdrawTemplate(TemplateUser)
	if n := count(); n == 0 {
		t.Error("withdrawing one template emptied the policy")
	}
	if lus := srv.PolicyRequests(); len(lus) != 6 || !lus[0].IsZero() {
		t.Errorf("requests recorded: %v", lus)
	}
	if m, err := ParseEmptyPolicies("once"); err != nil || m != EmptyPoliciesOnce {
		t.Errorf("parse once: %v %v", m, err)
	}
	if _, err := ParseEmptyPolicies("sometimes"); err == nil {
		t.Error("parse sometimes: no error")
	}
}
