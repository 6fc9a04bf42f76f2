// Package systrusttest holds what the tests that change this machine's
// real system trust store share.
package systrusttest
