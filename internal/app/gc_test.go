package app

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: unless the environment says otherwise, the collector lets the
// heap grow to five times its live size, within DefaultMemoryLimit; what
// GOGC and GOMEMLIMIT say is left to the runtime, which read them.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, tt := range []struct {
		name    string
		env     map[string]string
		percent int
		limit   int64
	}{
		{"nothing set", nil, 400, DefaultMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100, DefaultMemoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 400, math.MaxInt64},
	} {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			TuneGC(func(k string) string { return tt.env[k] })
			if got := debug.SetGCPercent(100); got != tt.percent {
				t.Errorf("GC percent %d, want %d", got, tt.percent)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.limit {
				t.Errorf("memory limit %d, want %d", got, tt.limit)
			}
		})
	}
}
