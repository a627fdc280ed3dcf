package sesame

import (
	"fmt"
	"strings"
	"time"
)

// Date is a calendar date, with no time of day and no zone. The network's
// calendar is Europe/Paris: use DateOf to learn which date an instant falls on.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date, or false when it does not exist (31/02, 29/02 of a common year).
func NewDate(year int, month time.Month, day int) (Date, bool) {
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 {
		return Date{}, false
	}
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || t.Month() != month {
		return Date{}, false
	}
	return Date{year, month, day}, true
}

// MustDate is NewDate for literals in code and tests.
func MustDate(year int, month time.Month, day int) Date {
	d, ok := NewDate(year, month, day)
	if !ok {
		panic(fmt.Sprintf("sesame: no such date %04d-%02d-%02d", year, month, day))
	}
	return d
}

// DateOf returns the calendar date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the zero Date, meaning "no date".
func (d Date) IsZero() bool { return d == Date{} }

// String formats d the French way, dd/mm/yyyy; the zero date is "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

// ISO formats d as yyyy-mm-dd, the form stored and sorted in the database.
func (d Date) ISO() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

func (d Date) time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.time().Before(e.time()) }

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return d.time().After(e.time()) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date {
	y, m, dd := d.time().AddDate(0, 0, n).Date()
	return Date{y, m, dd}
}

// AddMonths returns d moved by n months, keeping the day of the month where it
// exists and taking the last day of the month where it does not: 29/02/2024
// plus 12 months is 28/02/2025, not 01/03/2025.
func (d Date) AddMonths(n int) Date {
	total := d.Year*12 + int(d.Month) - 1 + n
	y, m := total/12, time.Month(total%12+1)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day := d.Day
	if day > last {
		day = last
	}
	return Date{y, m, day}
}

// ParseDate reads a date typed in a form: dd/mm/yyyy (also with - or . as
// separator, or one-digit day and month) or yyyy-mm-dd, as date inputs send it.
// Its error is a French sentence fit to show next to the field.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, Errorf(EInvalid, "Indiquez une date.")
	}
	year, month, day, ok := scanDate(s)
	if !ok {
		return Date{}, Errorf(EInvalid, "La date « %s » n'est pas au format jj/mm/aaaa.", truncate(s, 30))
	}
	d, ok := NewDate(year, time.Month(month), day)
	if !ok {
		return Date{}, Errorf(EInvalid, "La date « %s » n'existe pas.", truncate(s, 30))
	}
	return d, nil
}

// ReadDate reads a date that another system wrote in a file: what ParseDate
// reads, optionally followed by a time of day after a space or a T (Koha
// writes 2026-12-03 00:00:00), which is dropped. It reports only whether it
// could, the caller naming the column in its message, and allocates nothing:
// a library system's export has 100,000 lines of dates. FuzzReadDate keeps it
// in step with ParseDate.
func ReadDate(s string) (Date, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i >= 8 { // the shortest date, 1/1/2026, has 8 bytes
		s = s[:i]
	}
	year, month, day, ok := scanDate(s)
	if !ok {
		return Date{}, false
	}
	return NewDate(year, time.Month(month), day)
}

// scanDate splits the forms dates are written in: jj/mm/aaaa, with / - or .
// between the parts, or aaaa-mm-jj. It does not check that the day exists.
func scanDate(s string) (year, month, day int, ok bool) {
	var nums, lens [3]int
	part := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if lens[part] == 4 {
				return 0, 0, 0, false
			}
			nums[part] = nums[part]*10 + int(c-'0')
			lens[part]++
		case c == '/' || c == '-' || c == '.':
			if lens[part] == 0 || part == 2 {
				return 0, 0, 0, false
			}
			part++
		default:
			return 0, 0, 0, false
		}
	}
	if part != 2 || lens[2] == 0 {
		return 0, 0, 0, false
	}
	if lens[0] == 4 { // aaaa-mm-jj
		return nums[0], nums[1], nums[2], true
	}
	if lens[2] != 4 {
		return 0, 0, 0, false
	}
	return nums[2], nums[1], nums[0], true
}

// ParseISODate reads the yyyy-mm-dd form kept in the database.
func ParseISODate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse stored date %q: %w", s, err)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// truncate shortens s to n characters for a message, in valid UTF-8: the
// message goes into a page, and bytes a robot sent need not be UTF-8.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
