//go:build nogui

package main

// runGUI in a headless build (-tags nogui) explains that there is no GUI.
func runGUI(c *cli, demo bool) int {
	return c.usage("this build has no GUI (built with -tags nogui); run a verb, see certdesk -h")
}
