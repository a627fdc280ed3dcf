package sesame

import (
	"strings"
	"testing"
	"time"
)

// TestRenewFromSIGB plays, status by status, a library system's date on an
// account on lifecycleToday (15/06/2024, validity 12 months).
func TestRenewFromSIGB(t *testing.T) {
	later := testDate(2024, 6, 1)
	tests := []struct {
		name   string
		status Status
		prep   func(p *Patron)
		dates  SIGBDates
		want   RenewalOutcome
		// after the call
		wantStatus Status
		wantUntil  Date
		wantSIGB   Date
		wantChange ChangeKind // "" for none
		reason     string     // part of the reason
	}{
		{name: "Validé, later date: renewed", status: StatusValidated, dates: SIGBDates{RegisteredOn: later},
			want: RenewalRenewed, wantStatus: StatusValidated, wantUntil: testDate(2025, 6, 1), wantChange: ChangeRenewed, reason: "renouvelé jusqu'au 01/06/2025"},
		{name: "Validé, same date: unchanged", status: StatusValidated, dates: SIGBDates{RegisteredOn: testDate(2023, 9, 1)},
			want: RenewalUnchanged, wantStatus: StatusValidated, wantUntil: testDate(2024, 9, 1), reason: "n'est pas postérieure"},
		{name: "Validé, older date: unchanged", status: StatusValidated, dates: SIGBDates{RegisteredOn: testDate(2023, 1, 1)},
			want: RenewalUnchanged, wantStatus: StatusValidated, wantUntil: testDate(2024, 9, 1), reason: "n'est pas postérieure"},
		{name: "Validé, date in the future: unchanged", status: StatusValidated, dates: SIGBDates{RegisteredOn: testDate(2024, 7, 1)},
			want: RenewalUnchanged, wantStatus: StatusValidated, wantUntil: testDate(2024, 9, 1), reason: "dans le futur"},
		{name: "Validé, end date only: library date is end − 12 months", status: StatusValidated, dates: SIGBDates{ValidUntil: testDate(2025, 5, 2)},
			want: RenewalRenewed, wantStatus: StatusValidated, wantUntil: testDate(2025, 5, 2), wantChange: ChangeRenewed},
		{name: "À revalider, later date: Validé", status: StatusToRevalidate, dates: SIGBDates{RegisteredOn: later},
			want: RenewalRevalidated, wantStatus: StatusValidated, wantUntil: testDate(2025, 6, 1), wantChange: ChangeRenewed, reason: "revalidé"},
		{name: "À revalider, subscription already ended: unchanged", status: StatusToRevalidate,
			dates: SIGBDates{RegisteredOn: testDate(2023, 5, 1)}, prep: func(p *Patron) { p.LibraryRegisteredOn = testDate(2022, 5, 1) },
			want: RenewalUnchanged, wantStatus: StatusToRevalidate, wantUntil: testDate(2024, 3, 1), reason: "a pris fin le 01/05/2024"},
		{name: "À revalider, same date: unchanged", status: StatusToRevalidate, dates: SIGBDates{RegisteredOn: testDate(2023, 3, 1)},
			want: RenewalUnchanged, wantStatus: StatusToRevalidate, wantUntil: testDate(2024, 3, 1)},
		{name: "À valider: flagged", status: StatusToValidate, dates: SIGBDates{RegisteredOn: later},
			want: RenewalFlagged, wantStatus: StatusToValidate, wantSIGB: later, reason: "laissé « À valider »"},
		{name: "À valider, already flagged with that date: unchanged", status: StatusToValidate, dates: SIGBDates{RegisteredOn: later},
			prep: func(p *Patron) { p.SIGBRegisteredOn = later }, want: RenewalUnchanged, wantStatus: StatusToValidate, wantSIGB: later, reason: "déjà signalé"},
		{name: "À valider, awaiting a parent's consent: flagged all the same", status: StatusToValidate, dates: SIGBDates{RegisteredOn: later},
			prep: func(p *Patron) {
				p.BirthDate, p.ConsentAskedAt = testDate(2014, 1, 1), time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
			},
			want: RenewalFlagged, wantStatus: StatusToValidate, wantSIGB: later},
		{name: "Expiré: unchanged, holder notified", status: StatusExpired, dates: SIGBDates{RegisteredOn: later},
			want: RenewalExpiredNotified, wantStatus: StatusExpired, wantUntil: testDate(2024, 3, 1), wantSIGB: later, reason: "seul l'usager"},
		{name: "Expiré, already notified for that date: unchanged", status: StatusExpired, dates: SIGBDates{RegisteredOn: later},
			prep: func(p *Patron) { p.SIGBRegisteredOn = later }, want: RenewalUnchanged, wantStatus: StatusExpired, wantUntil: testDate(2024, 3, 1),
			wantSIGB: later, reason: "déjà été invité"},
		{name: "Expiré, notified for an older date: notified again", status: StatusExpired, dates: SIGBDates{RegisteredOn: later},
			prep: func(p *Patron) { p.SIGBRegisteredOn = testDate(2024, 5, 1) }, want: RenewalExpiredNotified, wantStatus: StatusExpired,
			wantUntil: testDate(2024, 3, 1), wantSIGB: later},
		{name: "Expiré, same date as its last: unchanged", status: StatusExpired, dates: SIGBDates{RegisteredOn: testDate(2023, 3, 1)},
			want: RenewalUnchanged, wantStatus: StatusExpired, wantUntil: testDate(2024, 3, 1)},
		{name: "Refusé: unchanged", status: StatusRefused, dates: SIGBDates{RegisteredOn: later},
			want: RenewalUnchanged, wantStatus: StatusRefused, reason: "« Refusé »"},
		{name: "no date: unchanged", status: StatusValidated,
			want: RenewalUnchanged, wantStatus: StatusValidated, wantUntil: testDate(2024, 9, 1), reason: "Ni date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.status)
			if tt.prep != nil {
				tt.prep(p)
			}
			before := *p
			r := p.RenewFromSIGB(tt.dates, lifecycleToday, testValidity)
			if r.Outcome != tt.want {
				t.Fatalf("outcome: got %s (%s), want %s", r.Outcome, r.Reason, tt.want)
			}
			if p.Status != tt.wantStatus || p.ValidUntil != tt.wantUntil || p.SIGBRegisteredOn != tt.wantSIGB {
				t.Errorf("patron: got %s until %v, SIGB %v; want %s until %v, SIGB %v",
					p.Status, p.ValidUntil, p.SIGBRegisteredOn, tt.wantStatus, tt.wantUntil, tt.wantSIGB)
			}
			if !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("reason: got %q, want it to say %q", r.Reason, tt.reason)
			}
			if tt.wantChange == "" && len(r.Changes) > 0 || tt.wantChange != "" && !Has(r.Changes, tt.wantChange) {
				t.Errorf("changes: got %v, want %q", r.Changes, tt.wantChange)
			}
			if !r.Changed() && *p != before {
				t.Errorf("unchanged, yet the patron moved: got %+v, want %+v", *p, before)
			}
			// Applied again, the same line changes nothing: an import run twice changes 0.
			if again := p.RenewFromSIGB(tt.dates, lifecycleToday, testValidity); again.Changed() {
				t.Errorf("second run: got %s (%s), want unchanged", again.Outcome, again.Reason)
			}
			if r.Changed() && ActionOf(r.Changes, ActionImport) != map[bool]AuditAction{true: ActionRenewal, false: ActionImport}[len(r.Changes) > 0] {
				t.Errorf("audit action: got %s", ActionOf(r.Changes, ActionImport))
			}
		})
	}
}

// TestSIGBLibraryDate checks the library date a line stands for.
func TestSIGBLibraryDate(t *testing.T) {
	tests := []struct {
		name  string
		dates SIGBDates
		want  Date
	}{
		{"library date only", SIGBDates{RegisteredOn: testDate(2024, 1, 31)}, testDate(2024, 1, 31)},
		{"end only", SIGBDates{ValidUntil: testDate(2025, 2, 28)}, testDate(2024, 2, 28)},
		{"both, renewed at the desk: the end moved, the first enrolment stayed", SIGBDates{RegisteredOn: testDate(2019, 3, 2), ValidUntil: testDate(2027, 11, 20)}, testDate(2026, 11, 20)},
		{"both, the library date later than the end says", SIGBDates{RegisteredOn: testDate(2026, 6, 1), ValidUntil: testDate(2027, 1, 1)}, testDate(2026, 6, 1)},
		{"none", SIGBDates{}, Date{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.dates.LibraryDate(12); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSIGBNote: the note shows on the accounts that wait for someone, with
// a date later than their own.
func TestSIGBNote(t *testing.T) {
	date := testDate(2024, 6, 1)
	tests := []struct {
		status Status
		sigb   Date
		want   Date
	}{
		{StatusToValidate, date, date},
		{StatusExpired, date, date},
		{StatusToRevalidate, date, date},
		{StatusExpired, testDate(2023, 3, 1), Date{}}, // not later than its own
		{StatusValidated, date, Date{}},
		{StatusRefused, date, Date{}},
		{StatusToValidate, Date{}, Date{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.status)+" "+tt.sigb.String(), func(t *testing.T) {
			p := patronIn(t, tt.status)
			p.SIGBRegisteredOn = tt.sigb
			if got := p.SIGBNote(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
