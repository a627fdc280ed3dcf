package sesame

import (
	_ "time/tzdata" // Europe/Paris even where the system has no zone files

	"strings"
	"testing"
	"time"
)

// testDate is MustDate, for the tables below.
func testDate(year int, month time.Month, day int) Date { return MustDate(year, month, day) }

// assertCode fails t unless err carries the domain code want ("" for no error).
func assertCode(t testing.TB, err error, want string) {
	t.Helper()
	if got := ErrorCode(err); got != want {
		t.Fatalf("error code: got %q (%v), want %q", got, err, want)
	}
}

// assertMsgContains fails t unless the French message of err contains sub.
func assertMsgContains(t testing.TB, err error, sub string) {
	t.Helper()
	if got := ErrorMessage(err); !strings.Contains(got, sub) {
		t.Errorf("message: got %q, want it to contain %q", got, sub)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Date
	}{
		{"dd/mm/yyyy", "07/04/2022", testDate(2022, 4, 7)},
		{"yyyy-mm-dd from a date input", "2022-04-07", testDate(2022, 4, 7)},
		{"dd-mm-yyyy", "07-04-2022", testDate(2022, 4, 7)},
		{"dd.mm.yyyy", "07.04.2022", testDate(2022, 4, 7)},
		{"one-digit day and month", "7/4/2022", testDate(2022, 4, 7)},
		{"one-digit day only", "7/04/2022", testDate(2022, 4, 7)},
		{"one-digit month and day in ISO order", "2022-4-7", testDate(2022, 4, 7)},
		{"surrounding spaces", "  07/04/2022\t", testDate(2022, 4, 7)},
		{"29/02 of a leap year", "29/02/2024", testDate(2024, 2, 29)},
		{"29/02 of a leap century", "29/02/2000", testDate(2000, 2, 29)},
		{"31/12", "31/12/2023", testDate(2023, 12, 31)},
		{"first day of year 1", "01/01/0001", testDate(1, 1, 1)},
		{"last day of year 9999", "31/12/9999", testDate(9999, 12, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err != nil {
				t.Fatalf("ParseDate(%q): got error %v, want %v", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("ParseDate(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		message string // a piece of the French message
	}{
		{"empty", "", "Indiquez une date"},
		{"blank", "   ", "Indiquez une date"},
		{"31/02", "31/02/2024", "n'existe pas"},
		{"29/02 of a common year", "29/02/2023", "n'existe pas"},
		{"29/02 of a common century", "29/02/1900", "n'existe pas"},
		{"31/04", "31/04/2024", "n'existe pas"},
		{"day 0", "00/01/2024", "n'existe pas"},
		{"day 32", "32/01/2024", "n'existe pas"},
		{"month 0", "01/00/2024", "n'existe pas"},
		{"month 13", "01/13/2024", "n'existe pas"},
		{"ISO 30 February", "2024-02-30", "n'existe pas"},
		{"ISO month 13", "2024-13-01", "n'existe pas"},
		{"year 0", "01/01/0000", "n'existe pas"},
		{"two-digit year", "07/04/22", "n'est pas au format jj/mm/aaaa"},
		{"five-digit year", "07/04/20222", "n'est pas au format jj/mm/aaaa"},
		{"three-digit year", "07/04/202", "n'est pas au format jj/mm/aaaa"},
		{"two parts", "07/2022", "n'est pas au format jj/mm/aaaa"},
		{"four parts", "07/04/2022/1", "n'est pas au format jj/mm/aaaa"},
		{"no separator", "07042022", "n'est pas au format jj/mm/aaaa"},
		{"letters", "aa/bb/cccc", "n'est pas au format jj/mm/aaaa"},
		{"month name", "7 avril 2022", "n'est pas au format jj/mm/aaaa"},
		{"time of day", "2022-04-07T10:00", "n'est pas au format jj/mm/aaaa"},
		{"space separator", "07 04 2022", "n'est pas au format jj/mm/aaaa"},
		{"space inside a part", "07 /04/2022", "n'est pas au format jj/mm/aaaa"},
		{"five-digit day", "00007/04/2022", "n'est pas au format jj/mm/aaaa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err == nil {
				t.Fatalf("ParseDate(%q): got %v, want an error", tt.in, got)
			}
			assertCode(t, err, EInvalid)
			assertMsgContains(t, err, tt.message)
			if !got.IsZero() {
				t.Errorf("ParseDate(%q) date on error: got %#v, want the zero Date", tt.in, got)
			}
		})
	}
}

func TestParseDateTruncatesEcho(t *testing.T) {
	in := "x/" + strings.Repeat("é", 60) + "/2024"
	_, err := ParseDate(in)
	assertCode(t, err, EInvalid)
	msg := ErrorMessage(err)
	if strings.Contains(msg, in) {
		t.Errorf("message: got %q, want the input cut to 30 characters", msg)
	}
	assertMsgContains(t, err, "…")
}

func TestDateString(t *testing.T) {
	tests := []struct {
		name    string
		date    Date
		want    string
		wantISO string
	}{
		{"padded day and month", testDate(2022, 4, 7), "07/04/2022", "2022-04-07"},
		{"two-digit day and month", testDate(2023, 12, 31), "31/12/2023", "2023-12-31"},
		{"padded year", testDate(24, 2, 29), "29/02/0024", "0024-02-29"},
		{"zero date", Date{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.date.String(); got != tt.want {
				t.Errorf("String(): got %q, want %q", got, tt.want)
			}
			if got := tt.date.ISO(); got != tt.wantISO {
				t.Errorf("ISO(): got %q, want %q", got, tt.wantISO)
			}
		})
	}
}

func TestNewDate(t *testing.T) {
	tests := []struct {
		name  string
		year  int
		month time.Month
		day   int
		ok    bool
	}{
		{"ordinary", 2024, 4, 7, true},
		{"29/02 leap", 2024, 2, 29, true},
		{"29/02 common", 2023, 2, 29, false},
		{"31/02", 2024, 2, 31, false},
		{"31/06", 2024, 6, 31, false},
		{"day 0", 2024, 1, 0, false},
		{"negative day", 2024, 1, -1, false},
		{"month 0", 2024, 0, 1, false},
		{"month 13", 2024, 13, 1, false},
		{"year 0", 0, 1, 1, false},
		{"year 10000", 10000, 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NewDate(tt.year, tt.month, tt.day)
			if ok != tt.ok {
				t.Fatalf("NewDate(%d, %d, %d) ok: got %v, want %v", tt.year, tt.month, tt.day, ok, tt.ok)
			}
			if ok && (got.Year != tt.year || got.Month != tt.month || got.Day != tt.day) {
				t.Errorf("NewDate(%d, %d, %d): got %#v, want the same parts", tt.year, tt.month, tt.day, got)
			}
			if !ok && !got.IsZero() {
				t.Errorf("NewDate(%d, %d, %d) on failure: got %#v, want the zero Date", tt.year, tt.month, tt.day, got)
			}
		})
	}
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		name string
		from Date
		n    int
		want Date
	}{
		{"one year from 29/02 ends on 28/02", testDate(2024, 2, 29), 12, testDate(2025, 2, 28)},
		{"four years from 29/02 keeps 29/02", testDate(2024, 2, 29), 48, testDate(2028, 2, 29)},
		{"31/01 plus one month in a common year", testDate(2023, 1, 31), 1, testDate(2023, 2, 28)},
		{"31/01 plus one month in a leap year", testDate(2024, 1, 31), 1, testDate(2024, 2, 29)},
		{"31/03 plus one month", testDate(2024, 3, 31), 1, testDate(2024, 4, 30)},
		{"ordinary one year", testDate(2022, 4, 7), 12, testDate(2023, 4, 7)},
		{"ordinary one month", testDate(2022, 4, 7), 1, testDate(2022, 5, 7)},
		{"zero months", testDate(2022, 4, 7), 0, testDate(2022, 4, 7)},
		{"December to January crosses the year", testDate(2023, 12, 15), 1, testDate(2024, 1, 15)},
		{"November plus three months", testDate(2023, 11, 30), 3, testDate(2024, 2, 29)},
		{"several years", testDate(2020, 6, 1), 30, testDate(2022, 12, 1)},
		{"back one month across the year", testDate(2024, 1, 15), -1, testDate(2023, 12, 15)},
		{"back one year from 29/02", testDate(2024, 2, 29), -12, testDate(2023, 2, 28)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.from.AddMonths(tt.n); got != tt.want {
				t.Errorf("%v.AddMonths(%d): got %v, want %v", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestAddDaysBeforeAfter(t *testing.T) {
	tests := []struct {
		name string
		from Date
		n    int
		want Date
	}{
		{"next day", testDate(2024, 4, 7), 1, testDate(2024, 4, 8)},
		{"into 29/02", testDate(2024, 2, 28), 1, testDate(2024, 2, 29)},
		{"past 28/02 of a common year", testDate(2023, 2, 28), 1, testDate(2023, 3, 1)},
		{"across the year", testDate(2023, 12, 31), 1, testDate(2024, 1, 1)},
		{"backwards", testDate(2024, 1, 1), -1, testDate(2023, 12, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.from.AddDays(tt.n)
			if got != tt.want {
				t.Fatalf("%v.AddDays(%d): got %v, want %v", tt.from, tt.n, got, tt.want)
			}
			if tt.n > 0 && (!got.After(tt.from) || !tt.from.Before(got)) {
				t.Errorf("%v after %v: got false, want true", got, tt.from)
			}
			if got.After(got) || got.Before(got) {
				t.Errorf("%v strictly before or after itself: got true, want false", got)
			}
		})
	}
}

func TestDateOfParis(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("no time zone data: %v", err)
	}
	tests := []struct {
		name string
		at   time.Time
		want Date
	}{
		{"23:30 UTC on 31 Dec is 1 Jan in Paris", time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), testDate(2025, 1, 1)},
		{"22:59 UTC on 31 Dec is still 31 Dec in Paris", time.Date(2024, 12, 31, 22, 59, 0, 0, time.UTC), testDate(2024, 12, 31)},
		{"22:30 UTC in summer is the next day in Paris", time.Date(2024, 7, 14, 22, 30, 0, 0, time.UTC), testDate(2024, 7, 15)},
		{"21:59 UTC in summer is the same day in Paris", time.Date(2024, 7, 14, 21, 59, 0, 0, time.UTC), testDate(2024, 7, 14)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DateOf(tt.at, paris); got != tt.want {
				t.Errorf("DateOf(%v, Paris): got %v, want %v", tt.at, got, tt.want)
			}
		})
	}
	if got, want := DateOf(time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), time.UTC), testDate(2024, 12, 31); got != want {
		t.Errorf("DateOf(23:30 UTC, UTC): got %v, want %v", got, want)
	}
}

func TestParseISODate(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Date
		wantErr bool
	}{
		{"stored date", "2024-02-29", testDate(2024, 2, 29), false},
		{"empty is no date", "", Date{}, false},
		{"French form is not stored form", "29/02/2024", Date{}, true},
		{"impossible date", "2023-02-29", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseISODate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseISODate(%q) error: got %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseISODate(%q): got %v, want %v", tt.in, got, tt.want)
			}
			if !tt.wantErr && !got.IsZero() {
				if back, _ := ParseISODate(got.ISO()); back != got {
					t.Errorf("ParseISODate(ISO()): got %v, want %v", back, got)
				}
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"07/04/2022", "2022-04-07", "7/4/2022", "29/02/2024", "29/02/2023", "31/02/2024",
		"", " ", "01.01.0001", "31-12-9999", "2024-13-01", "aa/bb/cccc", "1//2//2024", "+1/+2/2024",
		"99999/1/1", "é/é/éééé", "\x00/\xff/2024",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDate(s) // must not panic
		if err != nil {
			if code := ErrorCode(err); code != EInvalid {
				t.Fatalf("ParseDate(%q) error code: got %q, want %q", s, code, EInvalid)
			}
			if !got.IsZero() {
				t.Fatalf("ParseDate(%q) on error: got %#v, want the zero Date", s, got)
			}
			return
		}
		if _, ok := NewDate(got.Year, got.Month, got.Day); !ok {
			t.Fatalf("ParseDate(%q): got %#v, want a date that exists", s, got)
		}
		back, err := ParseDate(got.String())
		if err != nil {
			t.Fatalf("ParseDate(%q).String() = %q: got error %v, want it to parse back", s, got.String(), err)
		}
		if back != got {
			t.Fatalf("round trip of %q through %q: got %#v, want %#v", s, got.String(), back, got)
		}
		if iso, err := ParseDate(got.ISO()); err != nil || iso != got {
			t.Fatalf("round trip of %q through %q: got %#v, %v, want %#v", s, got.ISO(), iso, err, got)
		}
	})
}

// TestParseDateLoose lists inputs that are not dd/mm/yyyy nor yyyy-mm-dd but
// that ParseDate accepts today: strings.FieldsFunc drops empty parts and
// strconv.Atoi takes a leading '+'. Reported; skipped until the domain decides.
func TestParseDateLoose(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"doubled separator", "01//02/2024"},
		{"leading and trailing separators", "/01/02/2024/"},
		{"plus signs", "+1/+2/2024"},
		{"plus sign counted as a year digit", "01/02/+024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err == nil {
				t.Fatalf("ParseDate(%q): got %v, want a format error", tt.in, got)
			}
			assertCode(t, err, EInvalid)
		})
	}
}

func TestReadDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date // zero when unreadable
	}{
		{"03/12/2026", testDate(2026, 12, 3)},
		{"2026-12-03", testDate(2026, 12, 3)},
		{"03-12-2026", testDate(2026, 12, 3)},
		{"3.12.2026", testDate(2026, 12, 3)},
		{" 03/12/2026 ", testDate(2026, 12, 3)},
		{"2026-12-03 00:00:00", testDate(2026, 12, 3)},
		{"2026-12-03T10:15:00Z", testDate(2026, 12, 3)},
		{"03/12/2026 14:30", testDate(2026, 12, 3)},
		{"1/1/2026 00:00", testDate(2026, 1, 1)},
		{"31/02/2026", Date{}},
		{"31/02/2026 00:00", Date{}},
		{"12/03/26", Date{}},
		{"2026-12", Date{}},
		{"2026-12-03-01", Date{}},
		{"03//2026", Date{}},
		{"03/12/20261", Date{}},
		{"T03/12/2026", Date{}},
		{"", Date{}},
		{"46000", Date{}},
	}
	for _, tt := range tests {
		got, ok := ReadDate(tt.in)
		if ok != !tt.want.IsZero() || got != tt.want {
			t.Errorf("ReadDate(%q): got %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ReadDate("2026-12-03 00:00:00") }); n != 0 {
		t.Errorf("ReadDate allocates %v times, want 0", n)
	}
}

// FuzzReadDate: on what has no time part, ReadDate and ParseDate agree.
func FuzzReadDate(f *testing.F) {
	for _, s := range []string{"07/04/2022", "2022-04-07", "7/4/2022", "31/02/2024", "1//2//2024", "+1/+2/2024", "2022-04-07 00:00:00", "07.04-2022"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ReadDate(s)
		if strings.ContainsAny(strings.TrimSpace(s), " T") {
			if ok && got.IsZero() {
				t.Fatalf("ReadDate(%q): ok with the zero Date", s)
			}
			return
		}
		want, err := ParseDate(s)
		if ok != (err == nil) || got != want {
			t.Fatalf("ReadDate(%q) = %v, %v; ParseDate = %v, %v", s, got, ok, want, err)
		}
	})
}
