// Package stats turns the store's usage figures into what the statistics
// pages and their exports show: the period asked for, the tables, the bar
// charts drawn as SVG, and the CSV and XLSX files.
package stats

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Form field names, shared by the pages and the export links.
const (
	FieldPeriod  = "periode"      // "annee" or "mois"
	FieldYear    = "annee"        // 2025
	FieldFrom    = "du"           // 01/2025
	FieldTo      = "au"           // 06/2025
	FieldLibrary = "bibliotheque" // a library's code, for the network admin

	PeriodYear   = "annee"
	PeriodMonths = "mois"
)

// MaxMonths bounds a run of months: three years fit on a chart.
const MaxMonths = 36

// Period is the months the statistics cover.
type Period struct {
	First, Last store.Month
	Year        int // the calendar year chosen, or 0 for a run of months
}

// Months lists the period's months.
func (p Period) Months() []store.Month { return store.Months(p.First, p.Last) }

// Label says the period in French: "année 2025", "de 01/2025 à 06/2025".
func (p Period) Label() string {
	if p.Year != 0 {
		return fmt.Sprintf("année %d", p.Year)
	}
	if p.First == p.Last {
		return "mois de " + p.First.String()
	}
	return "de " + p.First.String() + " à " + p.Last.String()
}

// Query is the period as the form sends it, for links to the exports.
func (p Period) Query() url.Values {
	if p.Year != 0 {
		return url.Values{FieldPeriod: {PeriodYear}, FieldYear: {strconv.Itoa(p.Year)}}
	}
	return url.Values{FieldPeriod: {PeriodMonths}, FieldFrom: {p.First.String()}, FieldTo: {p.Last.String()}}
}

// ParsePeriod reads the period of a statistics form. With nothing chosen,
// it is the current year. Years go from firstYear to now's; months stop at
// now's. Mistakes come back as French messages by field.
func ParsePeriod(q url.Values, now time.Time, loc *time.Location, firstYear int) (Period, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	current := store.MonthOf(now, loc)
	firstYear = min(firstYear, current.Year)
	if q.Get(FieldPeriod) == PeriodMonths {
		first, ferr := ParseMonth(q.Get(FieldFrom), loc)
		if ferr != "" {
			errs.Add(FieldFrom, "Du : "+ferr)
		}
		last, lerr := ParseMonth(q.Get(FieldTo), loc)
		if lerr != "" {
			errs.Add(FieldTo, "Au : "+lerr)
		}
		if ferr == "" && lerr == "" {
			switch {
			case last.Start.Before(first.Start):
				errs.Add(FieldTo, "Au : le dernier mois ne peut pas précéder le premier ("+first.String()+").")
			case last.Start.After(current.Start):
				errs.Add(FieldTo, "Au : le mois "+last.String()+" n'a pas encore commencé ; choisissez au plus "+current.String()+".")
			case len(store.Months(first, last)) > MaxMonths:
				errs.Add(FieldTo, fmt.Sprintf("Au : la période ne peut pas dépasser %d mois ; pour plusieurs années, choisissez-les une à une.", MaxMonths))
			}
		}
		if len(errs) > 0 {
			return Period{}, errs
		}
		return Period{First: first, Last: last}, nil
	}
	year := current.Year
	if raw := strings.TrimSpace(q.Get(FieldYear)); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil || y < firstYear || y > current.Year {
			errs.Add(FieldYear, fmt.Sprintf("Année : choisissez une année de %d à %d.", firstYear, current.Year))
			return Period{}, errs
		}
		year = y
	}
	return Period{First: store.NewMonth(year, time.January, loc), Last: store.NewMonth(year, time.December, loc), Year: year}, nil
}

// ParseMonth reads a month typed as mm/aaaa (03/2025, 3/2025, 03-2025) or
// sent by a month input (2025-03). Its error is French, "" when none.
func ParseMonth(s string, loc *time.Location) (store.Month, string) {
	s = strings.TrimSpace(s)
	const hint = "écrivez le mois et l'année sous la forme mm/aaaa, par exemple 03/2025."
	if s == "" {
		return store.Month{}, "indiquez un mois ; " + hint
	}
	var mm, yyyy string
	if y, m, ok := strings.Cut(s, "-"); ok && len(y) == 4 {
		yyyy, mm = y, m
	} else {
		parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
		if len(parts) != 2 {
			return store.Month{}, hint
		}
		mm, yyyy = parts[0], parts[1]
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yyyy)
	if err1 != nil || err2 != nil || len(yyyy) != 4 || len(mm) > 2 {
		return store.Month{}, hint
	}
	if m < 1 || m > 12 {
		return store.Month{}, "le mois doit aller de 01 à 12 ; " + hint
	}
	if y < 2000 {
		return store.Month{}, "l'année doit être 2000 ou après."
	}
	return store.NewMonth(y, time.Month(m), loc), ""
}
