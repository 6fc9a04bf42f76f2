//go:build !nogui

package main

import (
	"os"
	"strings"

	"fyne.io/fyne/v2/lang"
	"github.com/jeandeaual/go-locale"
	"golang.org/x/text/language"

	"github.com/certdesk/certdesk/internal/localeenv"
)

// init runs after every package's init, Fyne's included, which saw LC_ALL=C
// (internal/localeenv): the process gets its real locale back here.
func init() {
	localeenv.Restore()
}

// useSystemLocale gives Fyne the person's locale for the GUI. Fyne logs an
// error for each locale it cannot parse (C.UTF-8, sr_RS@latin, a misspelt
// LANG) whenever it reads them, so those are dropped from LANGUAGE, which
// Fyne reads first, and the GUI falls back to English silently.
func useSystemLocale() {
	locs, err := locale.GetLocales()
	if err != nil {
		locs = nil
	}
	var good []string
	bad := false
	for _, l := range locs {
		if _, err := language.Parse(l); err != nil {
			bad = true
			continue
		}
		good = append(good, strings.ReplaceAll(l, "-", "_"))
	}
	if bad {
		if len(good) == 0 {
			good = []string{"en"}
		}
		os.Setenv("LANGUAGE", strings.Join(good, ":"))
	}
	// An empty English message file changes no text; adding it makes Fyne
	// choose its translation again from the locale now in the environment.
	_ = lang.AddTranslationsForLocale([]byte("{}"), "en")
}
