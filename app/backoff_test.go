package app

import (
	"encoding/json"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	exact := Backoff{Base: 5 * time.Minute, Max: 8 * time.Hour}
	tests := []struct {
		name   string
		b      Backoff
		n      int
		lo, hi time.Duration // inclusive bounds
	}{
		{"first failure", exact, 1, 5 * time.Minute, 5 * time.Minute},
		{"second doubles", exact, 2, 10 * time.Minute, 10 * time.Minute},
		{"sixth", exact, 6, 160 * time.Minute, 160 * time.Minute},
		{"capped", exact, 8, 8 * time.Hour, 8 * time.Hour},
		{"far past the cap does not overflow", exact, 500, 8 * time.Hour, 8 * time.Hour},
		{"zero policy uses defaults", Backoff{}, 1, 5 * time.Minute, 5 * time.Minute},
		{"jitter shortens by at most its share", DefaultBackoff(), 3, 16 * time.Minute, 20 * time.Minute},
		{"jitter at the cap stays under it", DefaultBackoff(), 20, 8*time.Hour*8/10 - time.Second, 8 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.b.Delay("AB12", tt.n)
			if got < tt.lo || got > tt.hi {
				t.Errorf("Delay(%d) = %v, want in [%v, %v]", tt.n, got, tt.lo, tt.hi)
			}
		})
	}
}

func TestRetryState(t *testing.T) {
	b := Backoff{Base: 5 * time.Minute, Max: 8 * time.Hour}
	tests := []struct {
		name       string
		start      RetryState
		permanent  bool
		msg        string
		wantReport bool
		wantNext   time.Time
		wantRetry  bool // CanAttempt just after the failure's wait
	}{
		{"first transient", RetryState{}, false, "server down", true, t0.Add(5 * time.Minute), true},
		{"third transient", RetryState{Failures: 2}, false, "timeout", true, t0.Add(20 * time.Minute), true},
		{"first permanent", RetryState{Failures: 1}, true, "denied: bad subject", true, time.Time{}, false},
		{"same permanent again is not reported", RetryState{Failures: 1, Permanent: true, LastError: "denied"}, true, "denied", false, time.Time{}, false},
		{"different permanent is reported", RetryState{Failures: 1, Permanent: true, LastError: "denied"}, true, "template gone", true, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, report := tt.start.Failed(t0, "AB", tt.msg, tt.permanent, b)
			if report != tt.wantReport {
				t.Errorf("report = %v, want %v", report, tt.wantReport)
			}
			if !next.NextAttempt.Equal(tt.wantNext) {
				t.Errorf("NextAttempt = %v, want %v", next.NextAttempt, tt.wantNext)
			}
			if next.Failures != tt.start.Failures+1 || next.LastError != tt.msg || !next.LastAttempt.Equal(t0) {
				t.Errorf("state = %+v", next)
			}
			if next.CanAttempt(t0) {
				t.Error("CanAttempt right after a failure = true")
			}
			if got := next.CanAttempt(t0.Add(9 * time.Hour)); got != tt.wantRetry {
				t.Errorf("CanAttempt after the wait = %v, want %v", got, tt.wantRetry)
			}
			if !next.Reset().CanAttempt(t0) {
				t.Error("CanAttempt after Reset = false")
			}
			if next.Succeeded() != (RetryState{}) {
				t.Error("Succeeded is not the zero state")
			}
		})
	}
}

func TestRetryStateJSON(t *testing.T) {
	s, _ := RetryState{}.Failed(t0, "AB", "timeout", false, DefaultBackoff())
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back RetryState
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back != s {
		t.Errorf("round trip %s: got %+v, want %+v", data, back, s)
	}
	if data, _ := json.Marshal(RetryState{}); string(data) != "{}" {
		t.Errorf("zero state marshals to %s, want {}", data)
	}
}
