package sesame

import (
	"slices"
	"strconv"
	"strings"
)

// Reminders before the end of validity: the network (or a library, for its
// patrons) chooses how many days before the end date a patron is told that
// their access ends, and whether they are told again the day after. The
// nightly job and `sesame reminders` ask ReminderSchedule.Due which
// reminder a patron is due on a day; the store sends each one once per
// validity period.

// ReminderSchedule is when patrons hear that their account ends.
type ReminderSchedule struct {
	// DaysBefore lists the days before the end date, latest reminder last:
	// 30 then 7. Zero is the end date itself.
	DaysBefore []int
	// DayAfter adds a reminder the day after the end date.
	DayAfter bool
}

// DefaultReminderSchedule is the network's until an admin changes it: 30
// days, then 7 days, before the end date.
func DefaultReminderSchedule() ReminderSchedule { return ReminderSchedule{DaysBefore: []int{30, 7}} }

// MaxReminderDays is the earliest reminder the form accepts, in days before
// the end date; an account may also ask for renewal that early
// (Patron.MayRequestRenewal).
const MaxReminderDays = 90

// maxRemindersBefore bounds how many reminders precede the end date.
const maxRemindersBefore = 5

// ReminderLateDays is how late a reminder may still leave: a reminder the
// nightly job could not send on its day (the server was stopped) goes the
// next nights, up to this many days after its day, and never once the next
// reminder is due or, for a reminder before the end, once access ended.
const ReminderLateDays = 7

// Field names of the reminder settings, on the network and library forms.
const (
	FieldReminderDays     = "rappels"
	FieldReminderDayAfter = "rappel_lendemain"
)

const reminderDaysComplaint = "Rappels avant la fin de validité : indiquez des nombres de jours séparés par des virgules, de 0 à 90, cinq au plus, par exemple 30,7."

// ParseReminderDays reads the days typed in « Rappels avant la fin de
// validité », such as "30,7" or "30, 7, 1". It returns them latest reminder
// last, or a French complaint. An empty field means no reminder before the
// end.
func ParseReminderDays(s string) ([]int, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []int{}, ""
	}
	var days []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || n > MaxReminderDays {
			return nil, reminderDaysComplaint
		}
		if slices.Contains(days, n) {
			return nil, "Rappels avant la fin de validité : le nombre " + part + " est indiqué deux fois."
		}
		days = append(days, n)
	}
	if len(days) > maxRemindersBefore {
		return nil, reminderDaysComplaint
	}
	slices.SortFunc(days, func(a, b int) int { return b - a })
	return days, ""
}

// Check returns a French complaint about a schedule not read by
// ParseReminderDays, or "".
func (s ReminderSchedule) Check() string {
	days := make([]string, len(s.DaysBefore))
	for i, d := range s.DaysBefore {
		days[i] = strconv.Itoa(d)
	}
	parsed, msg := ParseReminderDays(strings.Join(days, ","))
	if msg == "" && !slices.Equal(parsed, s.DaysBefore) {
		return reminderDaysComplaint
	}
	return msg
}

// DaysText is DaysBefore as the form shows it: "30,7".
func (s ReminderSchedule) DaysText() string {
	days := make([]string, len(s.DaysBefore))
	for i, d := range s.DaysBefore {
		days[i] = strconv.Itoa(d)
	}
	return strings.Join(days, ",")
}

// Describe says the schedule in French, for the audit trail and the forms'
// hints: « 30 et 7 jours avant la fin, et le lendemain de la fin ».
func (s ReminderSchedule) Describe() string {
	var parts []string
	for _, o := range s.offsets() {
		parts = append(parts, o.Label())
	}
	switch len(parts) {
	case 0:
		return "aucun rappel"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " et " + parts[len(parts)-1]
}

// ReminderOffset names one reminder of a schedule: how many days before
// the end date it is due, or ReminderDayAfter. It is the key, with the
// patron and the end date, under which a reminder is sent once.
type ReminderOffset int

// ReminderDayAfter is the reminder of the day after the end date.
const ReminderDayAfter ReminderOffset = -1

// Label names the reminder in French, as the history and the command show it.
func (o ReminderOffset) Label() string {
	switch {
	case o == ReminderDayAfter:
		return "le lendemain de la fin"
	case o == 0:
		return "le jour de la fin"
	case o == 1:
		return "1 jour avant la fin"
	}
	return strconv.Itoa(int(o)) + " jours avant la fin"
}

// Day is the day the reminder is due for an account ending on end.
func (o ReminderOffset) Day(end Date) Date { return end.AddDays(-int(o)) }

// offsets lists the schedule's reminders in the order they fall.
func (s ReminderSchedule) offsets() []ReminderOffset {
	var out []ReminderOffset
	for _, d := range s.DaysBefore {
		out = append(out, ReminderOffset(d))
	}
	if s.DayAfter {
		out = append(out, ReminderDayAfter)
	}
	return out
}

// Due returns the reminder p is due on day today, and false when none is:
// the latest reminder whose day has come, unless it is more than
// ReminderLateDays late, or its account no longer calls for it. A reminder
// before the end goes to a Validé account still open; the day after, to a
// Validé account past its end date or an Expiré one. An account whose
// holder asked for renewal, or whose library renewed it (a new end date,
// so other days), hears nothing more of the old period.
func (s ReminderSchedule) Due(p *Patron, today Date) (ReminderOffset, bool) {
	end := p.ValidUntil
	if end.IsZero() {
		return 0, false
	}
	offsets := s.offsets()
	for i := len(offsets) - 1; i >= 0; i-- {
		o := offsets[i]
		day := o.Day(end)
		if today.Before(day) {
			continue
		}
		until := day.AddDays(ReminderLateDays) // the first day it is too late
		if i+1 < len(offsets) {
			until = minDate(until, offsets[i+1].Day(end))
		}
		if o != ReminderDayAfter {
			until = minDate(until, end.AddDays(1))
		}
		if !today.Before(until) || !o.concerns(p, today) {
			return 0, false
		}
		return o, true
	}
	return 0, false
}

// concerns reports whether reminder o still speaks to p's account on day today.
func (o ReminderOffset) concerns(p *Patron, today Date) bool {
	if o == ReminderDayAfter {
		return p.PastEndDate(today) || p.Status == StatusExpired
	}
	return p.ValidOn(today)
}

func minDate(a, b Date) Date {
	if b.Before(a) {
		return b
	}
	return a
}

// Reminders is the schedule of the library's patrons: the library's own
// settings where it chose some, network's otherwise.
func (l *Library) Reminders(network ReminderSchedule) ReminderSchedule {
	s := network
	if l.ReminderDays != nil {
		s.DaysBefore = l.ReminderDays
	}
	if l.ReminderDayAfter != nil {
		s.DayAfter = *l.ReminderDayAfter
	}
	return s
}

// ParseReminderDayAfter reads the library form's « Rappel le lendemain de
// la fin »: "" follows the network (nil), "oui" or "non" choose.
func ParseReminderDayAfter(s string) (*bool, string) {
	switch s {
	case "":
		return nil, ""
	case "oui", "non":
		b := s == "oui"
		return &b, ""
	}
	return nil, "Rappel le lendemain de la fin : choisissez « comme le réseau », « oui » ou « non »."
}

// MayRequestRenewal reports whether the holder may ask for renewal on day
// today: an Expiré account, or a Validé one whose end date is at most
// MaxReminderDays away (the reminders' link leads there) or past.
func (p *Patron) MayRequestRenewal(today Date) bool {
	switch p.Status {
	case StatusExpired:
		return true
	case StatusValidated:
		return !p.ValidUntil.IsZero() && !today.Before(p.ValidUntil.AddDays(-MaxReminderDays))
	}
	return false
}

// RenewingBeforeEnd reports whether p is an À revalider account whose
// holder asked for renewal before its end date, which has not come: it
// stays open until then (CanOpen), as it was.
func (p *Patron) RenewingBeforeEnd(today Date) bool {
	return p.Status == StatusToRevalidate && !p.ValidUntil.IsZero() && !today.After(p.ValidUntil)
}

// DaysLeft is how many days p's account has left on day today: 0 on its end
// date, 1 the day before, negative once it ended.
func (p *Patron) DaysLeft(today Date) int {
	return int(p.ValidUntil.time().Sub(today.time()).Hours() / 24)
}
