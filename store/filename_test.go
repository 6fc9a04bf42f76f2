package store

import (
	"strings"
	"testing"
)

func TestCheckFileName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"vpn", true},
		{"org.example.vpn", true},
		{"CONSOLE", true},
		{"COM10", true},
		{"LPT0", true},
		{"nullable", true},
		{"my-con", true},
		{"CON", false},
		{"con", false},
		{"Prn", false},
		{"AUX", false},
		{"NUL", false},
		{"NUL.txt", false},
		{"nul.tar.gz", false},
		{"CON .txt", false},
		{"COM1", false},
		{"com9", false},
		{"LPT1", false},
		{"lpt9.log", false},
		{"COM\u00b9", false},
		{"name.", false},
		{"name ", false},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
		{"a:b", false},
		{"a\nb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFileName("store name", tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckFileName(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "store name")) {
				t.Errorf("error is not one sentence naming the value: %q", err)
			}
		})
	}
}

func TestReservedContextsAndNames(t *testing.T) {
	for _, s := range []string{"app:CON", "app:nul.txt", "app:com1", "app:LPT9.x", "app:vpn.", "app:aux.json"} {
		if c, err := ParseContext(s); err == nil {
			t.Errorf("ParseContext(%q) = %q, want refused", s, c)
		}
	}
	for _, s := range []string{"CON", "prn", "Aux", "NUL", "COM1", "lpt3"} {
		if n, err := ParseName(s); err == nil {
			t.Errorf("ParseName(%q) = %q, want refused", s, n)
		}
	}
	if _, err := ParseContext("app:console.1"); err != nil {
		t.Errorf("app:console.1 refused: %v", err)
	}
	if n, err := ParseName("my"); err != nil || n != My {
		t.Errorf("ParseName(my) = %q, %v", n, err)
	}
}
