package testca

import (
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaultInjection(t *testing.T) {
	ca, srv := startCA(t, nil)
	key := rsaKey(t, 2048, 0)
	body := soapEnv(actionRST, srv.CESURL(), defaultToken(), issueBody(newCSR(t, key, TemplateUser, ""), ""))
	send := func(c *http.Client) (*http.Response, []byte, error) {
		resp, err := c.Post(srv.CESURL(), "application/soap+xml; charset=utf-8", strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return resp, data, err
	}
	tests := []struct {
		name  string
		fault Fault
		delay time.Duration
		check func(t *testing.T, resp *http.Response, data []byte, err error)
	}{
		{name: "http 500 without soap", fault: FaultHTTP500, check: func(t *testing.T, resp *http.Response, data []byte, err error) {
			if err != nil || resp.StatusCode != 500 || strings.Contains(resp.Header.Get("Content-Type"), "soap") {
				t.Errorf("got %v %v", resp, err)
			}
		}},
		{name: "malformed body", fault: FaultMalformed, check: func(t *testing.T, resp *http.Response, data []byte, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v %v", resp, err)
			}
			if _, perr := parseXML(strings.NewReader(string(data))); perr == nil {
				t.Error("malformed body parsed")
			}
		}},
		{name: "delay", delay: 2 * time.Second, check: func(t *testing.T, resp *http.Response, data []byte, err error) {
			if err == nil {
				t.Error("no timeout")
			}
		}},
		{name: "certificate for another key", fault: FaultWrongKey, check: func(t *testing.T, resp *http.Response, data []byte, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v %v", resp, err)
			}
			root, err := parseXML(strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			got := parseRSTR(t, 200, root)
			if got.cert == nil || publicKeyEqual(got.cert.PublicKey, key.Public()) {
				t.Error("certificate matches the request key")
			}
		}},
		{name: "untrusted TLS certificate", fault: FaultUntrustedTLS, check: func(t *testing.T, resp *http.Response, data []byte, err error) {
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) {
				t.Errorf("got %v, want unknown authority", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault(tt.fault)
			srv.SetDelay(tt.delay)
			defer srv.SetFault(FaultNone)
			defer srv.SetDelay(0)
			c := httpClient(ca, nil)
			c.Timeout = 300 * time.Millisecond
			if tt.delay == 0 {
				c.Timeout = 30 * time.Second
			}
			resp, data, err := send(c)
			tt.check(t, resp, data, err)
		})
	}
	// back to normal, with a fresh connection
	if got := issue(t, httpClient(ca, nil), srv.CESURL(), defaultToken(), newCSR(t, key, TemplateUser, "")); got.cert == nil {
		t.Errorf("after faults: %s", got.reason)
	}
}

// TestFaultSwitchConcurrent flips faults while requests run (for -race).
func TestFaultSwitchConcurrent(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				resp, err := c.Post(srv.CEPURL(), "application/soap+xml", strings.NewReader(soapEnv(actionGetPolicies, "", defaultToken(), getPoliciesBody)))
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	for _, f := range []Fault{FaultHTTP500, FaultMalformed, FaultWrongKey, FaultNone} {
		srv.SetFault(f)
		srv.SetDelay(time.Millisecond)
	}
	wg.Wait()
}
