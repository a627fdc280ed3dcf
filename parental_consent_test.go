package sesame

import "testing"

func TestNeedsParentalConsent(t *testing.T) {
	tests := []struct {
		name         string
		birth, today Date
		want         bool
	}{
		{"14 years old", testDate(2012, 6, 1), testDate(2026, 11, 26), true},
		{"the day before the 15th birthday", testDate(2011, 11, 27), testDate(2026, 11, 26), true},
		{"on the 15th birthday", testDate(2011, 11, 26), testDate(2026, 11, 26), false},
		{"the day after the 15th birthday", testDate(2011, 11, 25), testDate(2026, 11, 26), false},
		{"an adult", testDate(1980, 5, 17), testDate(2026, 11, 26), false},
		{"born today", testDate(2026, 11, 26), testDate(2026, 11, 26), true},
		{"29 February, the 27th of the 15th year", testDate(2012, 2, 29), testDate(2027, 2, 27), true},
		{"29 February, on 28 February of a common year", testDate(2012, 2, 29), testDate(2027, 2, 28), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsParentalConsent(tt.birth, tt.today); got != tt.want {
				t.Errorf("NeedsParentalConsent(%s, %s): got %v, want %v", tt.birth, tt.today, got, tt.want)
			}
		})
	}
}
