//go:build nogui

package main

import "github.com/certdesk/certdesk/internal/cli"

// startGUI is nil in a headless build (-tags nogui): the command line says
// there is no GUI.
var startGUI cli.GUI
