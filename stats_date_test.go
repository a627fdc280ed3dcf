package sesame

import (
	"testing"
	"time"
)

// TestCountsAt: each account event counts on the date it means, in the
// network's calendar, never later than it was recorded.
func TestCountsAt(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 10, 9, 30, 0, 0, paris)
	p := Patron{RegisteredOn: MustDate(2021, 12, 17), LibraryRegisteredOn: MustDate(2025, 1, 5), ValidUntil: MustDate(2026, 1, 31)}
	tests := []struct {
		name   string
		action AuditAction
		p      Patron
		want   Date // in Paris
		same   bool // exactly at
	}{
		{"registration on the registration date", ActionRegistration, p, MustDate(2021, 12, 17), false},
		{"registration without a date: when recorded", ActionRegistration, Patron{}, MustDate(2026, 3, 10), true},
		{"registration dated later than recorded: when recorded", ActionRegistration, Patron{RegisteredOn: MustDate(2026, 4, 1)}, MustDate(2026, 3, 10), true},
		{"registration today: today", ActionRegistration, Patron{RegisteredOn: MustDate(2026, 3, 10)}, MustDate(2026, 3, 10), false},
		{"expiry on the first day past the end", ActionExpiry, p, MustDate(2026, 2, 1), false},
		{"validation on the day decided, not the library date", ActionValidation, p, MustDate(2026, 3, 10), true},
		{"refusal on the day decided", ActionRefusal, p, MustDate(2026, 3, 10), true},
		{"renewal on the day decided", ActionRenewal, p, MustDate(2026, 3, 10), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.action.CountsAt(tt.p, at)
			if d := DateOf(got, paris); d != tt.want {
				t.Errorf("CountsAt = %s, on %s in Paris, want %s", got, d, tt.want)
			}
			if got.After(at) {
				t.Errorf("CountsAt = %s, after the event (%s)", got, at)
			}
			if tt.same && !got.Equal(at) {
				t.Errorf("CountsAt = %s, want the time recorded %s", got, at)
			}
		})
	}
	// Just after midnight in Paris, the day before in UTC: a registration of
	// that Paris day still counts on it.
	late := time.Date(2026, 1, 1, 0, 30, 0, 0, paris)
	if got := ActionRegistration.CountsAt(Patron{RegisteredOn: MustDate(2026, 1, 1)}, late); DateOf(got, paris) != MustDate(2026, 1, 1) {
		t.Errorf("registered 01/01/2026, recorded at 00:30: counts on %s", DateOf(got, paris))
	}
	for _, a := range []AuditAction{ActionRegistration, ActionValidation, ActionRefusal, ActionRenewal, ActionExpiry} {
		if !a.Counted() {
			t.Errorf("%q: not counted", a)
		}
	}
	for _, a := range []AuditAction{ActionStatus, ActionRenewalRequest, ActionInformation, ActionLogin} {
		if a.Counted() {
			t.Errorf("%q: counted", a)
		}
	}
}
