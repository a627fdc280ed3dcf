package sesame

// ParentalConsentAge is the age below which a patron registers only with the
// consent of a parent or legal guardian: 15 in France, the age the loi
// Informatique et libertés (art. 45) sets under RGPD article 8.
const ParentalConsentAge = 15

// NeedsParentalConsent reports whether someone born on birth is still under
// ParentalConsentAge on today, a date of the network's calendar. One born on
// 29 February comes of age on 28 February of a common year, as AddMonths
// counts.
func NeedsParentalConsent(birth, today Date) bool {
	return today.Before(birth.AddMonths(12 * ParentalConsentAge))
}
