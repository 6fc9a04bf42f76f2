//go:build !nogui

package main

import (
	"bytes"
	"log"
	"os"
	"testing"
)

// TestUseSystemLocale: a locale Fyne cannot parse is dropped from LANGUAGE
// (English, without a logged error); one it can parse is left alone.
func TestUseSystemLocale(t *testing.T) {
	var logged bytes.Buffer
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	tests := []struct{ lang, language, want string }{
		{"C.UTF-8", "", "en"},
		{"xx_YY.bogus", "", "en"},
		{"sr_RS@latin", "", "en"},
		{"de_DE.UTF-8", "xx:fr_FR", "fr_FR"},
		{"de_DE.UTF-8", "", ""},
		{"C", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.language, func(t *testing.T) {
			logged.Reset()
			t.Setenv("LC_ALL", "")
			t.Setenv("LC_MESSAGES", "")
			t.Setenv("LANG", tt.lang)
			t.Setenv("LANGUAGE", tt.language)
			useSystemLocale()
			if got := os.Getenv("LANGUAGE"); got != tt.want && !(tt.want == "" && got == tt.language) {
				t.Errorf("LANGUAGE = %q, want %q", got, tt.want)
			}
			if logged.Len() != 0 {
				t.Errorf("logged: %s", logged.String())
			}
		})
	}
}
