package testca

import (
	"bytes"
	"testing"
)

// FuzzRequest feeds arbitrary bodies through the request parsers: they
// must return an error or a value, never panic.
func FuzzRequest(f *testing.F) {
	f.Add([]byte(soapEnv(actionGetPolicies, "", defaultToken(), getPoliciesBody)))
	f.Add([]byte(soapEnv(actionRST, "", defaultToken(), queryBody("7"))))
	f.Add([]byte(soapEnv(actionRST, "", defaultToken(), issueBody([]byte{0x30, 0x03, 0x02, 0x01, 0x00}, ""))))
	f.Add([]byte(`<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body><GetPolicies xmlns="` + nsXCEP + `"><client><lastUpdate>20090-03-15-T09:38:46</lastUpdate></client><requestFilter/></GetPolicies></s:Body></s:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvelope(bytes.NewReader(data))
		if err != nil {
			return
		}
		if pr, err := parseGetPolicies(env.body); err == nil {
			for _, tmpl := range builtinTemplates(Config{}) {
				pr.visible(tmpl)
			}
		}
		if r, err := parseRST(env.body); err == nil && r.token != nil {
			_, _ = parseRequestToken(r.token)
		}
	})
}
