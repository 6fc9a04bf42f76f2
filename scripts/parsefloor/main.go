// Command parsefloor is the floor that "certdesk store list" is measured
// against: it reads every file of a directory and parses it with
// x509.ParseCertificate, the least any listing that re-parsed
// certificates would do. It prints the count.
//
//	go run ./scripts/parsefloor DIR
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: parsefloor DIR")
		os.Exit(2)
	}
	des, err := os.ReadDir(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := 0
	for _, d := range des {
		b, err := os.ReadFile(filepath.Join(os.Args[1], d.Name()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if _, err := x509.ParseCertificate(b); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", d.Name(), err)
			os.Exit(1)
		}
		n++
	}
	fmt.Println(n)
}
