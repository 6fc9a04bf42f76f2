// Package assets embeds certdesk's icons and other resources.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.svg
var iconSVG []byte

// Icon is the application icon.
var Icon = fyne.NewStaticResource("certdesk.svg", iconSVG)
