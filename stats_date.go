package sesame

import "time"

// Counted reports whether the usage statistics count the events of action a
// (the « Comptes des usagers par mois » chart).
func (a AuditAction) Counted() bool {
	switch a {
	case ActionRegistration, ActionValidation, ActionRefusal, ActionRenewal, ActionExpiry:
		return true
	}
	return false
}

// CountsAt is the instant the statistics count an event of action a at:
// the date the event means, which is not always when it was recorded (at).
// p is the patron as the event leaves them.
//
//   - A registration counts on the patron's registration date
//     (RegisteredOn): an account typed today for someone who registered at
//     the desk in November is one of November's registrations.
//   - An expiry counts on the first day past the end date (ValidUntil): an
//     account is seen expired only when its holder comes back, maybe months
//     later, but it ended then.
//   - A decision (validation, refusal, renewal) counts on the day staff took
//     it: the library date it sets may be months old (the holder subscribed
//     at the desk long before asking online), and the chart shows the
//     library's work of each month.
//
// An event never counts later than it was recorded. A date is given as its
// noon UTC, an instant that falls on that date in the network's calendar
// (Europe/Paris, and any zone within eleven hours of UTC), so that the
// months of that calendar place it in its own month.
func (a AuditAction) CountsAt(p Patron, at time.Time) time.Time {
	var d Date
	switch a {
	case ActionRegistration:
		d = p.RegisteredOn
	case ActionExpiry:
		if !p.ValidUntil.IsZero() {
			d = p.ValidUntil.AddDays(1)
		}
	}
	if d.IsZero() {
		return at
	}
	if noon := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC); noon.Before(at) {
		return noon
	}
	return at
}
