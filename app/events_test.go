package app

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestEventKindString(t *testing.T) {
	tests := []struct {
		name string
		k    EventKind
		want string
	}{
		{"due", RenewalDue, "renewal-due"},
		{"window", NotificationWindow, "notification-window"},
		{"zero", 0, "unknown"},
		{"out of range", 99, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.k.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBusDeliversInOrderAndUnsubscribes(t *testing.T) {
	var b Bus
	var got []string
	unA := b.Subscribe(func(e Event) { got = append(got, "a:"+e.Kind.String()) })
	b.Subscribe(func(e Event) { got = append(got, "b:"+e.Kind.String()) })
	b.Publish(Event{Kind: RenewalDue})
	unA()
	unA() // idempotent
	b.Publish(Event{Kind: StoreChanged})
	want := []string{"a:renewal-due", "b:renewal-due", "b:store-changed"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestBusRecoversPanics(t *testing.T) {
	var recovered any
	b := Bus{OnPanic: func(r any) { recovered = r }}
	var after bool
	b.Subscribe(func(Event) { panic("boom") })
	b.Subscribe(func(Event) { after = true })
	b.Publish(Event{Kind: RenewalFailed})
	if recovered != "boom" || !after {
		t.Errorf("recovered = %v, later subscriber ran = %v", recovered, after)
	}
	// Without OnPanic the panic is still contained.
	var quiet Bus
	quiet.Subscribe(func(Event) { panic("boom") })
	quiet.Publish(Event{Kind: RenewalFailed})
}

func TestBusUnsubscribeFromCallback(t *testing.T) {
	var b Bus
	var n int
	var un func()
	un = b.Subscribe(func(Event) { n++; un() })
	b.Publish(Event{Kind: RenewalDue})
	b.Publish(Event{Kind: RenewalDue})
	if n != 1 {
		t.Errorf("called %d times, want 1", n)
	}
}

// TestBusConcurrent is meant for -race: publishers, subscribers and
// unsubscribers on many goroutines at once.
func TestBusConcurrent(t *testing.T) {
	var b Bus
	var count atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			un := b.Subscribe(func(Event) { count.Add(1) })
			for j := 0; j < 50; j++ {
				b.Publish(Event{Kind: StoreChanged})
			}
			un()
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				b.Subscribe(func(Event) {})()
			}
		}()
	}
	wg.Wait()
	// Each publisher at least reached its own subscriber every time.
	if c := count.Load(); c < 8*50 {
		t.Errorf("delivered %d events, want at least %d", c, 8*50)
	}
}
