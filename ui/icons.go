package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// keyIcon marks entries that have a private key (Material "vpn_key", Apache 2.0).
var keyIcon = theme.NewThemedResource(fyne.NewStaticResource("key.svg", []byte(
	`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">`+
		`<path fill="#000000" d="M12.65 10C11.83 7.67 9.61 6 7 6c-3.31 0-6 2.69-6 6s2.69 6 6 6c2.61 0 4.83-1.67 5.65-4H17v4h4v-4h2v-4H12.65zM7 14c-1.1 0-2-.9-2-2s.9-2 2-2 2 .9 2 2-.9 2-2 2z"/></svg>`)))

// hardwareKeyIcon marks entries whose private key is held in hardware (a
// TPM, a token, a CNG provider): the key symbol with a chip beside it
// (Material "vpn_key" and "memory", Apache 2.0, scaled into one 24×24
// box: the renderer takes no transform).
var hardwareKeyIcon = theme.NewThemedResource(fyne.NewStaticResource("hardware-key.svg", []byte(
	`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">`+
		`<path fill="#000000" d="M8.855 6C8.281 4.369 6.727 3.2 4.9 3.2c-2.317 0-4.2 1.883-4.2 4.2s1.883 4.2 4.2 4.2c1.827 0 3.381-1.169 3.955-2.8H11.9v2.8h2.8v-2.8h1.4v-2.8H8.855zM4.9 8.8c-0.77 0-1.4-0.63-1.4-1.4s0.63-1.4 1.4-1.4 1.4 0.63 1.4 1.4-0.63 1.4-1.4 1.4z"/>`+
		`<path fill="#000000" d="M19.25 15.95H15.95v3.3h3.3V15.95zm-1.1 2.2h-1.1v-1.1h1.1v1.1zm4.4-1.1V15.95h-1.1V14.85c0-0.605-0.495-1.1-1.1-1.1h-1.1V12.65h-1.1v1.1h-1.1V12.65H15.95v1.1H14.85c-0.605 0-1.1 0.495-1.1 1.1v1.1H12.65v1.1h1.1v1.1H12.65v1.1h1.1v1.1c0 0.605 0.495 1.1 1.1 1.1h1.1v1.1h1.1v-1.1h1.1v1.1h1.1v-1.1h1.1c0.605 0 1.1-0.495 1.1-1.1v-1.1h1.1v-1.1h-1.1v-1.1h1.1zm-2.2 3.3H14.85V14.85h5.5v5.5z"/></svg>`)))

// showKeyIcon shows in i the symbol of the key of an entry with meta m:
// the chip beside the key for a key held in hardware.
func showKeyIcon(i *widget.Icon, m store.Meta) {
	res := keyIcon
	if m.KeyStorage != "" && m.KeyStorage != store.KeySoftware {
		res = hardwareKeyIcon
	}
	if i.Resource != res {
		i.SetResource(res)
	}
}
