// Package assets embeds certdesk's icons and other resources.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

// icon.png is rendered from icon.svg (rsvg-convert -w 256 -h 256).
//
//go:embed icon.png
var iconPNG []byte

// Icon is the application and window icon.
var Icon = fyne.NewStaticResource("certdesk.png", iconPNG)
