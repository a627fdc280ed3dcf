package store

import (
	"slices"
	"testing"
)

// A statement of n rows is cut into a few shapes, every row in one of
// them, in order: full batches in as few statements as their binary digits.
func TestEachShape(t *testing.T) {
	for _, tt := range []struct {
		n     int
		sizes []int
	}{
		{0, nil},
		{1, []int{1}},
		{3, []int{2, 1}},
		{256, []int{256}},
		{500, []int{256, 128, 64, 32, 16, 4}},
		{513, []int{256, 256, 1}},
	} {
		var sizes []int
		next := 0
		err := eachShape(tt.n, func(from, size int) error {
			if from != next {
				t.Errorf("n=%d: rows from %d, want %d", tt.n, from, next)
			}
			next = from + size
			sizes = append(sizes, size)
			return nil
		})
		if err != nil || !slices.Equal(sizes, tt.sizes) || next != tt.n {
			t.Errorf("n=%d: sizes %v up to %d (%v), want %v", tt.n, sizes, next, err, tt.sizes)
		}
	}
}
