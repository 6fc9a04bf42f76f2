package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// luminance is the WCAG relative luminance of an opaque colour.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// over is c drawn over the opaque colour bg.
func over(c, bg color.Color) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	b := color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(n.A) / 0xff
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{R: mix(n.R, b.R), G: mix(n.G, b.G), B: mix(n.B, b.B), A: 0xff}
}

// contrast is the WCAG contrast ratio of text fg on bg.
func contrast(fg, bg color.Color) float64 {
	l1, l2 := luminance(fg), luminance(bg)
	if l1 < l2 {
		l1, l2 = l2, l1
	}
	return (l1 + 0.05) / (l2 + 0.05)
}

// TestThemeContrast computes, from the theme's actual colours in each
// variant, the contrast of secondary text (low importance, the colour of
// "From Trusted Root", the counter, "Nothing due", "Archived") and of the
// text and status colours against the backgrounds they are drawn on:
// WCAG AA asks for 4.5:1 (issue #15). Fyne's own dark theme gives
// secondary text about 1.5:1.
func TestThemeContrast(t *testing.T) {
	test.NewTempApp(t)
	if r := contrast(theme.DefaultTheme().Color(theme.ColorNameDisabled, theme.VariantDark),
		theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark)); r >= 4.5 {
		t.Logf("Fyne's dark secondary text already has %.2f:1", r)
	}
	texts := []fyne.ThemeColorName{theme.ColorNameDisabled, theme.ColorNameForeground,
		theme.ColorNameSuccess, theme.ColorNameWarning, theme.ColorNameError}
	backgrounds := []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameOverlayBackground,
		theme.ColorNameHeaderBackground, theme.ColorNameInputBackground}
	for _, choice := range []string{ThemeDark, ThemeLight} {
		th := newTheme(choice)
		v := theme.VariantDark
		if choice == ThemeLight {
			v = theme.VariantLight
		}
		for _, bgName := range backgrounds {
			bg := th.Color(bgName, v)
			for _, fgName := range texts {
				if r := contrast(th.Color(fgName, v), bg); r < 4.5 {
					t.Errorf("%s: %s on %s: %.2f:1, want ≥ 4.5:1", choice, fgName, bgName, r)
				}
			}
		}
		// The selected table row: the selection colour over the background.
		row := over(th.Color(theme.ColorNameSelection, v), th.Color(theme.ColorNameBackground, v))
		for _, fgName := range []fyne.ThemeColorName{theme.ColorNameDisabled, theme.ColorNameForeground} {
			if r := contrast(th.Color(fgName, v), row); r < 4.5 {
				t.Errorf("%s: %s on the selected row: %.2f:1, want ≥ 4.5:1", choice, fgName, r)
			}
		}
	}
}

// TestThemeMenu: the View menu's Theme choices apply at once, are saved,
// and "Follow the system" leaves the variant to Fyne's settings.
func TestThemeMenu(t *testing.T) {
	v, _, _, _ := newTestMain(t)
	var themeItem *fyne.MenuItem
	for _, m := range v.menu.Items {
		for _, it := range m.Items {
			if it.Label == "Theme" {
				themeItem = it
			}
		}
	}
	if themeItem == nil || themeItem.ChildMenu == nil || len(themeItem.ChildMenu.Items) != 3 {
		t.Fatal("no Theme submenu in the menus")
	}
	a := fyne.CurrentApp()
	bg := func(variant fyne.ThemeVariant) color.Color {
		return a.Settings().Theme().Color(theme.ColorNameBackground, variant)
	}
	for _, it := range themeItem.ChildMenu.Items {
		it.Action()
		if !it.Checked {
			t.Errorf("%s is not ticked once chosen", it.Label)
		}
		switch it.Label {
		case "Dark":
			if bg(theme.VariantLight) != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark) {
				t.Error("Dark does not draw dark whatever the system's variant")
			}
		case "Light":
			if bg(theme.VariantDark) != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
				t.Error("Light does not draw light whatever the system's variant")
			}
		case "Follow the system":
			if bg(theme.VariantLight) == bg(theme.VariantDark) {
				t.Error("Follow the system does not follow the variant")
			}
		}
		if got := a.Preferences().String(themePref); got == "" {
			t.Errorf("%s was not saved", it.Label)
		}
	}
	if themeChoice(a) != ThemeSystem {
		t.Errorf("saved choice %q, want %q", themeChoice(a), ThemeSystem)
	}
}
