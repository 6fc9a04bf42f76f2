package main

import "errors"

var errCoreMissing = errors.New("this verb is not implemented yet")

func (c *cli) runServer(args []string) int    { return c.fail(errCoreMissing) }
func (c *cli) runTemplates(args []string) int { return c.fail(errCoreMissing) }
func (c *cli) runEnroll(args []string) int    { return c.fail(errCoreMissing) }
func (c *cli) runRequest(args []string) int   { return c.fail(errCoreMissing) }
func (c *cli) runPulse(args []string) int     { return c.fail(errCoreMissing) }
