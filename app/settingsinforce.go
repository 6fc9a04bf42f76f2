package app

import "time"

// validateInForce is Validate, except that a check interval equal to
// inForce, the one the core runs with, passes: an interval the program
// set outside the person's range (the demo's 30 seconds) stays in force
// while the person changes other settings. A new interval is checked.
func (s Settings) validateInForce(inForce time.Duration) error {
	if inForce > 0 && s.CheckInterval == inForce {
		s.CheckInterval = DefaultCheckInterval
	}
	return s.Validate()
}
