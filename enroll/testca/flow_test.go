package testca

import (
	"crypto"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPendingApproveDeny(t *testing.T) {
	ca, srv := startCA(t, nil)
	c := httpClient(ca, nil)
	key := rsaKey(t, 2048, 0)
	submit := func() rstr {
		got := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, key, TemplatePendAll, ""))
		if got.status != http.StatusOK || got.cert != nil || got.requestID == "" {
			t.Fatalf("want pending, got %d cert=%v id=%q %s", got.status, got.cert != nil, got.requestID, got.reason)
		}
		if !strings.EqualFold(got.pollURL, srv.CESURL()) {
			t.Errorf("poll URL %q", got.pollURL)
		}
		return got
	}
	p1, p2 := submit(), submit()
	pending, err := ca.Pending()
	if err != nil || len(pending) != 2 {
		t.Fatalf("Pending() = %d requests, %v", len(pending), err)
	}
	if got := query(t, c, srv.CESURL(), defaultToken(), p1.requestID); got.cert != nil || got.status != 200 {
		t.Fatalf("still pending: got cert=%v status %d", got.cert != nil, got.status)
	}
	if _, err := ca.Approve(p1.requestID); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Approve(p1.requestID); !errors.Is(err, ErrNotPending) {
		t.Errorf("second Approve: %v", err)
	}
	got := query(t, c, srv.CESURL(), defaultToken(), p1.requestID)
	if got.cert == nil || got.requestID != p1.requestID {
		t.Fatalf("approved request not issued: %s", got.reason)
	}
	if err := ca.Deny(p2.requestID, "no reason at all"); err != nil {
		t.Fatal(err)
	}
	got = query(t, c, srv.CESURL(), defaultToken(), p2.requestID)
	if HRESULT(got.errorCode) != CertsrvAdminDeniedRequest || got.requestID != p2.requestID || !strings.Contains(got.reason, "no reason at all") {
		t.Errorf("denied: code %s id %q reason %q", HRESULT(got.errorCode), got.requestID, got.reason)
	}
	if ir := got.fault.find(nsWSTEP, "InvalidRequest").value(); ir != "true" {
		t.Errorf("InvalidRequest %q", ir)
	}
	got = query(t, c, srv.CESURL(), defaultToken(), "4242")
	if HRESULT(got.errorCode) != CertsrvPropertyEmpty || got.errorCode != -2146877436 {
		t.Errorf("unknown id: code %d", got.errorCode)
	}
}

func TestPendingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ca, srv := startCA(t, func(c *Config) { c.Dir = dir; c.Pending = true })
	c := httpClient(ca, nil)
	got := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, rsaKey(t, 2048, 0), TemplateUser, ""))
	if got.requestID == "" || got.cert != nil {
		t.Fatalf("want pending: %s", got.reason)
	}
	srv.Close()
	root := ca.Root()

	ca2, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !ca2.Root().Equal(root) {
		t.Fatal("root changed across restart")
	}
	srv2, err := ca2.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	// another process (the CLI) approves while the server runs
	other, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Approve(got.requestID); err != nil {
		t.Fatal(err)
	}
	res := query(t, httpClient(ca2, nil), srv2.CESURL(), defaultToken(), got.requestID)
	if res.cert == nil {
		t.Fatalf("not issued after restart: %s", res.reason)
	}
}

func TestKeyBasedRenewal(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	ca, srv := startCA(t, func(c *Config) { c.Clock = clock })
	c := httpClient(ca, nil)
	oldKey := rsaKey(t, 2048, 0)

	// first issuance of the KBR template pends, as AD CS does
	first := issue(t, c, srv.CESURL(), defaultToken(), newCSR(t, oldKey, TemplateKBR, ""))
	if first.cert != nil || first.requestID == "" {
		t.Fatalf("KBR first issuance should pend: %s", first.reason)
	}
	old, err := ca.Approve(first.requestID)
	if err != nil {
		t.Fatal(err)
	}
	kbr := httpClient(ca, tlsCert(old, oldKey))

	// the KBR CEP lists only templates that allow key-based renewal
	st, root := post(t, kbr, srv.KBRCEPURL(), soapEnv(actionGetPolicies, srv.KBRCEPURL(), "", getPoliciesBody))
	if st != 200 {
		t.Fatalf("KBR CEP: %d", st)
	}
	var names []string
	for _, p := range root.find(nsXCEP, "policies").kids {
		names = append(names, p.find(nsXCEP, "commonName").value())
	}
	if strings.Join(names, ",") != "ShortLived,KBR" {
		t.Errorf("KBR CEP templates %v", names)
	}

	newKey := rsaKey(t, 2048, 1)
	csr := renewalCSR(t, old, newKey, TemplateKBR, old.Raw)
	for _, withAttrs := range []bool{false, true} {
		got := issue(t, kbr, srv.CESCertURL(), "", renewalCMS(t, csr, old, oldKey, withAttrs))
		if got.cert == nil {
			t.Fatalf("renewal (signed attributes %t) not issued: %s", withAttrs, got.reason)
		}
		if got.cert.Subject.String() != old.Subject.String() {
			t.Errorf("renewed subject %s, want %s", got.cert.Subject, old.Subject)
		}
		if !publicKeyEqual(got.cert.PublicKey, newKey.Public()) {
			t.Error("renewed certificate does not carry the new key")
		}
	}

	other := rsaKey(t, 2048, 2)
	expired, err := ca.Resign(old, now.Add(-48*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client *http.Client
		url    string
		sec    string
		der    []byte
		want   HRESULT
		status int // 0: 500
	}{
		{name: "attribute names another certificate", client: kbr, url: srv.CESCertURL(),
			der: renewalCMS(t, renewalCSR(t, old, newKey, TemplateKBR, expired.Raw), old, oldKey, false), want: CertsrvBadRenewalCertAttr},
		{name: "signed with another key", client: kbr, url: srv.CESCertURL(),
			der: renewalCMS(t, csr, old, other, false), want: NteBadSignature},
		{name: "plain PKCS#10 on renewal-only CES", client: kbr, url: srv.CESCertURL(),
			der: newCSR(t, newKey, TemplateKBR, ""), want: CertsrvRenewalOnlyEndpoint},
		{name: "expired certificate", client: c, url: srv.CESURL(), sec: defaultToken(),
			der: renewalCMS(t, renewalCSR(t, expired, newKey, TemplateKBR, expired.Raw), expired, oldKey, false), want: CertsrvBadRenewalCertAttr},
		{name: "no client certificate", client: c, url: srv.CESCertURL(),
			der: renewalCMS(t, csr, old, oldKey, false), status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status != 0 {
				resp, err := tt.client.Post(tt.url, "application/soap+xml", strings.NewReader(soapEnv(actionRST, tt.url, "", issueBody(tt.der, ""))))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
				}
				return
			}
			got := issue(t, tt.client, tt.url, tt.sec, tt.der)
			if got.status != 500 {
				t.Fatalf("status %d, want 500", got.status)
			}
			if tt.want != 0 && HRESULT(got.errorCode) != tt.want {
				t.Errorf("code %s, want %s (%s)", HRESULT(got.errorCode), tt.want, got.reason)
			}
		})
	}
}

// publicKeyEqual compares public keys of any supported type.
func publicKeyEqual(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// TestConcurrentSubmitUniqueIDs submits from two CA values on one
// directory (two processes) at once: every request gets its own id.
func TestConcurrentSubmitUniqueIDs(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	csr := newCSR(t, p256Key(t), TemplateUserP256, "")
	ids := make(chan string, 40)
	var wg sync.WaitGroup
	for i := range 8 {
		ca := a
		if i%2 == 1 {
			ca = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				r, err := ca.Submit(csr, DefaultUser)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- r.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("id %s allocated twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 40 {
		t.Errorf("%d ids, want 40", len(seen))
	}
}
