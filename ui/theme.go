package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The theme choices of the View menu, kept in the app's preferences under
// themePref: dark, light, or the system's variant (Fyne's default).
const (
	ThemeDark   = "dark"
	ThemeLight  = "light"
	ThemeSystem = "system"
	themePref   = "theme"
)

// certdeskTheme is Fyne's default theme with readable secondary text: the
// colour Fyne gives low-importance labels and disabled text (the chain's
// "From Trusted Root", the certificate counter, "Nothing due",
// "Archived"), and in the light variant the text and status colours, at
// WCAG AA contrast (≥ 4.5:1) against the backgrounds they are drawn on
// (TestThemeContrast).
type certdeskTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
	fixed   bool // false: follow the system's variant
}

// palette holds the colours certdesk changes, by variant.
var palette = map[fyne.ThemeVariant]map[fyne.ThemeColorName]color.Color{
	theme.VariantDark: {
		theme.ColorNameDisabled: color.NRGBA{R: 0x9a, G: 0x9a, B: 0x9a, A: 0xff},
		theme.ColorNameError:    color.NRGBA{R: 0xf5, G: 0x5a, B: 0x4e, A: 0xff},
	},
	theme.VariantLight: {
		theme.ColorNameForeground: color.NRGBA{R: 0x1f, G: 0x1f, B: 0x1f, A: 0xff},
		theme.ColorNameDisabled:   color.NRGBA{R: 0x59, G: 0x59, B: 0x59, A: 0xff},
		theme.ColorNameSuccess:    color.NRGBA{R: 0x1e, G: 0x7b, B: 0x34, A: 0xff},
		theme.ColorNameWarning:    color.NRGBA{R: 0xa8, G: 0x5b, B: 0x00, A: 0xff},
		theme.ColorNameError:      color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	},
}

// newTheme returns the theme of a choice (ThemeDark, ThemeLight; anything
// else follows the system).
func newTheme(choice string) fyne.Theme {
	t := &certdeskTheme{Theme: theme.DefaultTheme()}
	switch choice {
	case ThemeDark:
		t.variant, t.fixed = theme.VariantDark, true
	case ThemeLight:
		t.variant, t.fixed = theme.VariantLight, true
	}
	return t
}

// Color returns certdesk's colour for name where it has one, else Fyne's.
func (t *certdeskTheme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.fixed {
		v = t.variant
	}
	if c, ok := palette[v][name]; ok {
		return c
	}
	return t.Theme.Color(name, v)
}

// themeChoice is the saved theme choice of a.
func themeChoice(a fyne.App) string {
	return a.Preferences().StringWithFallback(themePref, ThemeSystem)
}

// applyTheme sets the saved theme choice of a.
func applyTheme(a fyne.App) {
	a.Settings().SetTheme(newTheme(themeChoice(a)))
}

// themeMenu is the View menu's Theme submenu: Dark, Light or Follow the
// system, the current one ticked; a choice applies at once and is saved.
func themeMenu(a fyne.App) *fyne.MenuItem {
	parent := fyne.NewMenuItem("Theme", nil)
	choices := []struct{ label, value string }{
		{"Dark", ThemeDark}, {"Light", ThemeLight}, {"Follow the system", ThemeSystem}}
	items := make([]*fyne.MenuItem, len(choices))
	tick := func() {
		for i, c := range choices {
			items[i].Checked = themeChoice(a) == c.value
		}
	}
	for i, c := range choices {
		items[i] = fyne.NewMenuItem(c.label, func() {
			a.Preferences().SetString(themePref, c.value)
			applyTheme(a)
			tick()
		})
	}
	tick()
	parent.ChildMenu = fyne.NewMenu("", items...)
	return parent
}
