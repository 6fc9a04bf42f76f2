// Package localeenv keeps Fyne's package initialisation from reading the
// locale. fyne.io/fyne/v2/lang parses the locale environment (LC_ALL,
// LC_MESSAGES, LANG, LANGUAGE) in its init and logs "Fyne error: Error
// parsing user locale" on stderr for values such as C.UTF-8 or xx_YY.bogus,
// so every verb of the GUI binary was noisy. This package's init sets LC_ALL=C
// (which Fyne reads as "no locale": English, silently); package main calls
// Restore from its own init, which runs after every imported package's, and
// the GUI then re-reads a locale Fyne can parse (gui.go).
//
// It must run before fyne.io/fyne/v2/lang's init. Go initialises packages in
// import-path order among those whose imports are all initialised. This
// package imports only os, which github.com/jeandeaual/go-locale (the lang
// package's locale reader) imports too, and its path sorts before that one,
// so it is initialised before go-locale and therefore before lang. Keep its
// imports to os alone. main_test.go checks the result.
package localeenv

import "os"

var (
	saved string
	had   bool
)

func init() {
	saved, had = os.LookupEnv("LC_ALL")
	os.Setenv("LC_ALL", "C")
}

// Restore puts LC_ALL back as the process was started with, so verbs and the
// programs they start see the caller's locale.
func Restore() {
	if had {
		os.Setenv("LC_ALL", saved)
	} else {
		os.Unsetenv("LC_ALL")
	}
}
