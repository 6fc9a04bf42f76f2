package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "CN=alice, O=Example", "CN=alice, O=Example"},
		{"non-ASCII unchanged", "Zoë Müller – 東京", "Zoë Müller – 東京"},
		{"backslash unchanged", `C:\certs\a.pfx`, `C:\certs\a.pfx`},
		{"clear screen", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"window title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"forged row", "ok\r\nFAKE\tROW", `ok\x0d\x0aFAKE\x09ROW`},
		{"DEL and NUL", "a\x7f\x00", `a\x7f\x00`},
		{"C1 CSI", "a\u009b31m", `a\u009b31m`},
		{"right-to-left override", "invoice\u202egpj.exe", `invoice\u202egpj.exe`},
		{"isolates and marks", "\u2066x\u2069\u200f\u061c", `\u2066x\u2069\u200f\u061c`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzEscape: the output never carries a byte or rune a terminal obeys, is
// valid UTF-8, and text with nothing to escape comes back unchanged.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b[2J", "\u202e", "\xff", "ok\r\n", "é\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", s, out)
		}
		for i, r := range out {
			if unsafe(r, utf8.RuneLen(r)) {
				t.Fatalf("Escape(%q) = %q keeps %U at %d", s, out, r, i)
			}
		}
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unsafe(r, utf8.RuneLen(r)) })
		if clean != (out == s) {
			t.Fatalf("Escape(%q) = %q: clean input must come back unchanged, and only it", s, out)
		}
	})
}

func BenchmarkEscapeClean(b *testing.B) {
	s := "CN=www.example.test, OU=Web, O=Example Corporation, L=Zürich, C=CH"
	for b.Loop() {
		_ = Escape(s)
	}
}
