package sesame

import (
	"slices"
	"testing"
)

func TestParseReminderDays(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"30,7", []int{30, 7}, false},
		{" 7, 30 ", []int{30, 7}, false},
		{"30;7 1", []int{30, 7, 1}, false},
		{"0", []int{0}, false},
		{"90", []int{90}, false},
		{"", []int{}, false},
		{"91", nil, true},
		{"-1", nil, true},
		{"30,30", nil, true},
		{"trente", nil, true},
		{"30,,7", []int{30, 7}, false},
		{"1,2,3,4,5,6", nil, true},
		{"7.5", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msg := ParseReminderDays(tt.in)
			if (msg != "") != tt.wantErr {
				t.Fatalf("ParseReminderDays(%q): complaint %q, want one: %v", tt.in, msg, tt.wantErr)
			}
			if !tt.wantErr && !slices.Equal(got, tt.want) {
				t.Errorf("ParseReminderDays(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestReminderScheduleCheckAndDescribe(t *testing.T) {
	tests := []struct {
		s        ReminderSchedule
		wantOK   bool
		describe string
	}{
		{DefaultReminderSchedule(), true, "30 jours avant la fin et 7 jours avant la fin"},
		{ReminderSchedule{DaysBefore: []int{1, 0}, DayAfter: true}, true, "1 jour avant la fin, le jour de la fin et le lendemain de la fin"},
		{ReminderSchedule{}, true, "aucun rappel"},
		{ReminderSchedule{DaysBefore: []int{7, 30}}, false, ""},
		{ReminderSchedule{DaysBefore: []int{120}}, false, ""},
	}
	for _, tt := range tests {
		if got := tt.s.Check() == ""; got != tt.wantOK {
			t.Errorf("%+v.Check() accepted: %v, want %v", tt.s, got, tt.wantOK)
		}
		if tt.wantOK && tt.s.Describe() != tt.describe {
			t.Errorf("%+v.Describe() = %q, want %q", tt.s, tt.s.Describe(), tt.describe)
		}
	}
}

// TestReminderDue moves the day along an account's end and says which
// reminder is due each day.
func TestReminderDue(t *testing.T) {
	end := testDate(2026, 12, 31)
	validated := func() *Patron {
		return &Patron{Status: StatusValidated, LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end}
	}
	withAfter := ReminderSchedule{DaysBefore: []int{30, 7}, DayAfter: true}
	tests := []struct {
		name     string
		schedule ReminderSchedule
		patron   func() *Patron
		today    Date
		want     ReminderOffset
		wantDue  bool
	}{
		{"31 days before: nothing yet", DefaultReminderSchedule(), validated, end.AddDays(-31), 0, false},
		{"30 days before", DefaultReminderSchedule(), validated, end.AddDays(-30), 30, true},
		{"a late 30-day reminder, 6 days late", DefaultReminderSchedule(), validated, end.AddDays(-24), 30, true},
		{"30-day reminder more than 7 days late: too late", DefaultReminderSchedule(), validated, end.AddDays(-23), 0, false},
		{"7 days before", DefaultReminderSchedule(), validated, end.AddDays(-7), 7, true},
		{"the day before the end, the 7-day reminder 6 days late still goes", DefaultReminderSchedule(), validated, end.AddDays(-1), 7, true},
		{"a late 1-day reminder stops when access ends", ReminderSchedule{DaysBefore: []int{1}}, validated, end.AddDays(1), 0, false},
		{"the day after, no day-after reminder chosen", DefaultReminderSchedule(), validated, end.AddDays(1), 0, false},
		{"the day after, Validé past its end", withAfter, validated, end.AddDays(1), ReminderDayAfter, true},
		{"the day after, Expiré", withAfter, func() *Patron { p := validated(); p.Status = StatusExpired; return p }, end.AddDays(1), ReminderDayAfter, true},
		{"the day-after reminder, 7 days late: too late", withAfter, validated, end.AddDays(8), 0, false},
		{"renewal asked: nothing more", withAfter, func() *Patron { p := validated(); p.Status = StatusToRevalidate; return p }, end.AddDays(-7), 0, false},
		{"renewal asked, day after: nothing", withAfter, func() *Patron { p := validated(); p.Status = StatusToRevalidate; return p }, end.AddDays(1), 0, false},
		{"renewed by the library: a new end, nothing now", DefaultReminderSchedule(), func() *Patron { p := validated(); p.ValidUntil = end.AddMonths(12); return p }, end.AddDays(-7), 0, false},
		{"refused", DefaultReminderSchedule(), func() *Patron { p := validated(); p.Status = StatusRefused; return p }, end.AddDays(-7), 0, false},
		{"no end date", DefaultReminderSchedule(), func() *Patron { return &Patron{Status: StatusToValidate} }, end.AddDays(-7), 0, false},
		{"on the end date itself", ReminderSchedule{DaysBefore: []int{0}}, validated, end, 0, true},
		{"no reminder at all", ReminderSchedule{}, validated, end.AddDays(-7), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, due := tt.schedule.Due(tt.patron(), tt.today)
			if due != tt.wantDue || got != tt.want {
				t.Errorf("Due on %v = (%v, %v), want (%v, %v)", tt.today, got, due, tt.want, tt.wantDue)
			}
		})
	}
}

// TestReminderEachOnce walks every day of an account's last weeks: each
// reminder of the schedule is due on some day, in order, and none other.
func TestReminderEachOnce(t *testing.T) {
	end := testDate(2026, 3, 1)
	p := &Patron{Status: StatusValidated, ValidUntil: end}
	s := ReminderSchedule{DaysBefore: []int{30, 7, 1}, DayAfter: true}
	var seen []ReminderOffset
	for day := end.AddDays(-60); !day.After(end.AddDays(20)); day = day.AddDays(1) {
		o, due := s.Due(p, day)
		if due && (len(seen) == 0 || seen[len(seen)-1] != o) {
			seen = append(seen, o)
		}
	}
	if want := []ReminderOffset{30, 7, 1, ReminderDayAfter}; !slices.Equal(seen, want) {
		t.Errorf("reminders in order: got %v, want %v", seen, want)
	}
}

func TestDaysLeft(t *testing.T) {
	p := &Patron{Status: StatusValidated, ValidUntil: testDate(2026, 3, 1)}
	for day, want := range map[Date]int{testDate(2026, 1, 30): 30, testDate(2026, 2, 28): 1, testDate(2026, 3, 1): 0, testDate(2026, 3, 2): -1} {
		if got := p.DaysLeft(day); got != want {
			t.Errorf("DaysLeft(%v) = %d, want %d", day, got, want)
		}
	}
}

func TestLibraryReminders(t *testing.T) {
	network := ReminderSchedule{DaysBefore: []int{30, 7}, DayAfter: true}
	no := false
	tests := []struct {
		name string
		lib  Library
		want ReminderSchedule
	}{
		{"follows the network", Library{}, network},
		{"its own days", Library{ReminderDays: []int{15}}, ReminderSchedule{DaysBefore: []int{15}, DayAfter: true}},
		{"no day after", Library{ReminderDayAfter: &no}, ReminderSchedule{DaysBefore: []int{30, 7}}},
	}
	for _, tt := range tests {
		got := tt.lib.Reminders(network)
		if !slices.Equal(got.DaysBefore, tt.want.DaysBefore) || got.DayAfter != tt.want.DayAfter {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	for in, want := range map[string]string{"": "", "oui": "", "non": "", "peut-être": "complaint"} {
		if _, msg := ParseReminderDayAfter(in); (msg != "") != (want != "") {
			t.Errorf("ParseReminderDayAfter(%q): complaint %q", in, msg)
		}
	}
}

// TestRenewalAskedBeforeEnd: a Validé account whose holder asks for renewal
// a week before its end stays open until its end date, then closes until
// the library renews it.
func TestRenewalAskedBeforeEnd(t *testing.T) {
	end := testDate(2026, 12, 31)
	p := &Patron{Status: StatusValidated, ValidUntil: end}
	grant := &Grant{State: GrantValidated}
	before := *p
	if err := p.RequestRenewal(end.AddDays(-7)); err != nil {
		t.Fatalf("RequestRenewal: %v", err)
	}
	if got := Transition(before, *p, end.AddDays(-7)); !Has(got, ChangeRenewalRequested) {
		t.Errorf("Transition: got %v, want a renewal request", got)
	}
	for _, tt := range []struct {
		day  Date
		want AccessReason
	}{
		{end.AddDays(-7), AccessGranted},
		{end, AccessGranted},
		{end.AddDays(1), AccessAwaitingLibrary},
	} {
		if got := CanOpen(p, nil, grant, tt.day); got != tt.want {
			t.Errorf("CanOpen on %v: got %q, want %q", tt.day, got, tt.want)
		}
	}
}
