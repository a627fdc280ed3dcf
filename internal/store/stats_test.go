package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// TestMonths checks the network's months around a change of time and of year.
func TestMonths(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	m := store.MonthOf(time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), paris) // 1 April 00:30 in Paris
	if m.Key() != "2026-04" || m.String() != "04/2026" {
		t.Errorf("MonthOf: got %s (%s), want 2026-04", m.Key(), m)
	}
	if got := m.Start.UTC(); !got.Equal(time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("start of April 2026: got %s, want 31 March 22:00 UTC", got)
	}
	months := store.Months(store.NewMonth(2025, time.November, paris), store.NewMonth(2026, time.February, paris))
	var keys []string
	for _, m := range months {
		keys = append(keys, m.Key())
	}
	if fmt.Sprint(keys) != "[2025-11 2025-12 2026-01 2026-02]" {
		t.Errorf("Months: got %v", keys)
	}
}
