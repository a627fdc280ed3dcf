package jobs_test

import (
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/jobs"
)

func TestLaunchCutoff(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now    time.Time
		months int
		want   time.Time
	}{
		{time.Date(2026, 11, 26, 3, 0, 0, 0, paris), 4, time.Date(2026, 7, 26, 0, 0, 0, 0, paris)},
		// Day 31 of a month that has none four months back: its last day.
		{time.Date(2026, 7, 31, 3, 0, 0, 0, paris), 4, time.Date(2026, 3, 31, 0, 0, 0, 0, paris)},
		{time.Date(2026, 6, 30, 3, 0, 0, 0, paris), 4, time.Date(2026, 2, 28, 0, 0, 0, 0, paris)},
		// 00:30 in Paris is still the day before in UTC: Paris decides.
		{time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), 1, time.Date(2026, 3, 1, 0, 0, 0, 0, paris)},
		{time.Date(2027, 1, 15, 3, 0, 0, 0, paris), 2, time.Date(2026, 11, 15, 0, 0, 0, 0, paris)},
	}
	for _, tt := range tests {
		if got := jobs.LaunchCutoff(tt.now, paris, tt.months); !got.Equal(tt.want) {
			t.Errorf("LaunchCutoff(%s, %d): got %s, want %s", tt.now, tt.months, got, tt.want)
		}
	}
}
