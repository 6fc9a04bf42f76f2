// Command certdesk is a desktop certificate manager for devices that are not
// Active Directory domain members. With no arguments it opens the GUI; with a
// verb it runs headless (see DESIGN.md and README.md for the command line).
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
