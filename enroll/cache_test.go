package enroll

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPolicyCacheDue(t *testing.T) {
	at := fixedNow
	one := []Template{{CommonName: "User"}}
	tests := []struct {
		name string
		pc   PolicyCache
		now  time.Time
		want bool
	}{
		{"empty", PolicyCache{}, at, true},
		{"fresh, default 8h", PolicyCache{Format: PolicyCacheFormat, Policies: &Policies{Templates: one}, Fetched: at}, at.Add(7 * time.Hour), false},
		{"fresh, older format", PolicyCache{Policies: &Policies{Templates: one}, Fetched: at}, at, true},
		{"stale, default 8h", PolicyCache{Policies: &Policies{Templates: one}, Fetched: at}, at.Add(8 * time.Hour), true},
		{"server says 1h", PolicyCache{Policies: &Policies{Templates: one, NextUpdateHours: u32(1)}, Fetched: at}, at.Add(61 * time.Minute), true},
		{"server says 0h", PolicyCache{Policies: &Policies{Templates: one, NextUpdateHours: u32(0)}, Fetched: at}, at, true},
		{"fresh without templates", PolicyCache{Policies: &Policies{}, Fetched: at}, at, true},
		{"full fetch asked for", PolicyCache{Policies: &Policies{Templates: one}, Fetched: at, FullNext: true}, at, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pc.Due(tt.now); got != tt.want {
				t.Errorf("Due = %v", got)
			}
		})
	}
}

// TestRefreshPolicies: the first fetch is full, the second sends lastUpdate
// and keeps the cached templates on policiesNotChanged; the value survives
// a JSON round trip (§10.20).
func TestRefreshPolicies(t *testing.T) {
	full := vector(t, "cepces-fixture-GetPoliciesResponse-body-3ext.xml")
	same := []byte(`<GetPoliciesResponse xmlns="` + nsXCEP + `"><response><policyID>{DA239A97-1289-4B14-924F-B318D56ED254}</policyID><nextUpdateHours>2</nextUpdateHours><policiesNotChanged>true</policiesNotChanged></response></GetPoliciesResponse>`)
	var sent []string
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		ans := full
		if !strings.Contains(string(b), `<lastUpdate xsi:nil="true"/>`) {
			ans = same
		}
		sent = append(sent, string(b))
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(ans))), Header: http.Header{}}, nil
	})
	now := fixedNow
	c := New(WithHTTPClient(&http.Client{Transport: rt}), WithClock(func() time.Time { return now }))
	pc, err := c.RefreshPolicies(context.Background(), PolicyCache{URL: "https://cep.example.test/CEP"})
	if err != nil || len(pc.Policies.Templates) != 1 || !pc.Fetched.Equal(now) {
		t.Fatalf("first refresh: %+v %v", pc, err)
	}
	js, err := json.Marshal(pc)
	if err != nil {
		t.Fatal(err)
	}
	var back PolicyCache
	if err := json.Unmarshal(js, &back); err != nil || !reflect.DeepEqual(back.Policies, pc.Policies) {
		t.Fatalf("JSON round trip: %v\n%s", err, js)
	}
	now = now.Add(9 * time.Hour)
	if !back.Due(now) {
		t.Fatal("not due after 9h")
	}
	pc2, err := c.RefreshPolicies(context.Background(), back)
	if err != nil || pc2.Policies.NotChanged || len(pc2.Policies.Templates) != 1 || *pc2.Policies.NextUpdateHours != 2 || !pc2.Fetched.Equal(now) {
		t.Fatalf("second refresh: %+v %v", pc2.Policies, err)
	}
	if !strings.Contains(sent[1], "<lastUpdate>2026-11-25T14:00:00Z</lastUpdate>") || pc2.Full {
		t.Errorf("lastUpdate not sent: %s", sent[1])
	}
	// A full fetch asked for, and a cache without templates, send none.
	pc2.FullNext = true
	if pc3, err := c.RefreshPolicies(context.Background(), pc2); err != nil || !pc3.Full || pc3.FullNext || len(pc3.Policies.Templates) != 1 {
		t.Fatalf("full refresh: %+v %v", pc3, err)
	}
	empty := PolicyCache{URL: pc2.URL, Policies: &Policies{PolicyID: pc2.Policies.PolicyID}, Fetched: now}
	if pc4, err := c.RefreshPolicies(context.Background(), empty); err != nil || !pc4.Full || len(pc4.Policies.Templates) != 1 {
		t.Fatalf("refresh of a cache without templates: %+v %v", pc4, err)
	}
	// A cache an older certdesk wrote (no format) is fetched in full.
	older := pc2
	older.FullNext, older.Format = false, 0
	if pc5, err := c.RefreshPolicies(context.Background(), older); err != nil || !pc5.Full || pc5.Format != PolicyCacheFormat {
		t.Fatalf("refresh of an older cache: %+v %v", pc5, err)
	}
	for i, b := range sent[2:] {
		if !strings.Contains(b, `<lastUpdate xsi:nil="true"/>`) {
			t.Errorf("request %d sent lastUpdate: %s", i+2, b)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRefreshPoliciesServerDate: lastUpdate is the server's Date on its
// last answer, not our clock; a "not changed" for another policyID is
// followed by a full fetch (issue #16, item 8).
func TestRefreshPoliciesServerDate(t *testing.T) {
	full := vector(t, "cepces-fixture-GetPoliciesResponse-body-3ext.xml")
	notChanged := func(id string) []byte {
		return []byte(`<GetPoliciesResponse xmlns="` + nsXCEP + `"><response><policyID>` + id + `</policyID><policiesNotChanged>true</policiesNotChanged></response></GetPoliciesResponse>`)
	}
	serverNow := fixedNow.Add(-3 * time.Hour) // the server's clock is 3 hours behind ours
	var sent []string
	var answer []byte
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		sent = append(sent, string(b))
		ans := full
		if !strings.Contains(string(b), `<lastUpdate xsi:nil="true"/>`) {
			ans = answer
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(ans))),
			Header: http.Header{"Date": {serverNow.Format(http.TimeFormat)}}}, nil
	})
	c := New(WithHTTPClient(&http.Client{Transport: rt}), WithClock(func() time.Time { return fixedNow }))
	pc, err := c.RefreshPolicies(context.Background(), PolicyCache{URL: "https://cep.example.test/CEP"})
	if err != nil || !pc.LastUpdate.Equal(serverNow) || !pc.Fetched.Equal(fixedNow) {
		t.Fatalf("first refresh: lastUpdate %v fetched %v, %v", pc.LastUpdate, pc.Fetched, err)
	}
	id := pc.Policies.PolicyID
	tests := []struct {
		name     string
		answer   []byte
		requests int // GetPolicies requests made
		full     bool
	}{
		{"not changed keeps the cache", notChanged(id), 1, false},
		{"not changed for another policy fetches in full", notChanged("{00000000-0000-0000-0000-000000000000}"), 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent, answer = nil, tt.answer
			got, err := c.RefreshPolicies(context.Background(), pc)
			if err != nil || len(sent) != tt.requests || got.Full != tt.full || len(got.Policies.Templates) != 1 || got.Policies.PolicyID != id {
				t.Fatalf("got %d requests, full %v, %+v, %v", len(sent), got.Full, got.Policies, err)
			}
			if !strings.Contains(sent[0], "<lastUpdate>"+serverNow.Format(time.RFC3339)+"</lastUpdate>") {
				t.Errorf("lastUpdate is not the server's Date: %s", sent[0])
			}
		})
	}
}
