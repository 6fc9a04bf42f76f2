package main

import "errors"

// runTestCA implements "certdesk testca ..." (issue #3).
func (c *cli) runTestCA(args []string) int {
	return c.fail(errors.New("testca: not implemented yet"))
}
