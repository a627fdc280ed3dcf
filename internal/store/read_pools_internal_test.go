package store

import (
	"context"
	"testing"
)

// TestReadPoolsMapOrNot: on SQLite the reads of many pages go through the
// memory map and the reads of a few pages do not, since after any commit a
// mapped connection drops its whole map at its next read (docs/benchmarks.md).
func TestReadPoolsMapOrNot(t *testing.T) {
	st := openPlanStore(t)
	for _, tt := range []struct {
		name string
		pool queryer
		want int64
	}{
		{"scanPool", st.scanPool, sqliteMmapSize},
		{"readPool", st.readPool, 0},
		{"writePool", st.writePool, sqliteMmapSize},
	} {
		var got int64
		if err := tt.pool.QueryRowContext(context.Background(), `PRAGMA mmap_size`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s maps %d bytes, want %d", tt.name, got, tt.want)
		}
	}
}
