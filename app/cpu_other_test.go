//go:build !unix

package app

import (
	"testing"
	"time"
)

// processCPU is not measured here: the benchmarks that need it skip.
func processCPU(b *testing.B) time.Duration {
	b.Skip("process CPU time is measured on Unix only")
	return 0
}
