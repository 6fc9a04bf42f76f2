package main

import "errors"

// runStore implements "certdesk store ..." (issue #2).
func (c *cli) runStore(args []string) int {
	return c.fail(errors.New("store: not implemented yet"))
}
