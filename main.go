// Command certdesk is a desktop certificate manager for devices that are not
// Active Directory domain members. With no arguments it opens the GUI; with a
// verb it runs headless (internal/cli, README.md).
package main

import (
	"os"

	"github.com/certdesk/certdesk/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, startGUI))
}
