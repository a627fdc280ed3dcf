package stats

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Report is every figure of one statistics page, for a library or the
// whole network over a period: the page, its CSV and its XLSX all show it.
type Report struct {
	Network  string
	Library  *sesame.Library // nil for the whole network
	Period   Period
	Made     time.Time // when the figures were read, in the network's zone
	Location *time.Location

	// Resources are the columns of the monthly tables: every resource on
	// offer, and any other one launched in the period, by name.
	Resources []Column
	Months    []MonthRow
	Totals    []int // launches of the period, by resource
	Total     int   // launches of the period

	// UsersKnown is false when the period starts before the launches still
	// kept and is not a calendar year: see store.PeriodUsage.
	UsersKnown bool
	KeptSince  time.Time // the first instant whose launches are all kept; zero if all are
	ByResource []Row     // launches and active users of the period, by resource
	ByLibrary  []Row     // the same by library, for the whole network only; most users first
	Users      int       // active users of the period: the sum of the libraries'

	Accounts      []AccountRow
	AccountTotals [len(AccountLabels)]int
}

// Column is a resource as a column of the tables.
type Column struct {
	ID   int64
	Name string
}

// MonthRow is one month: launches and users by resource, in the order of
// Report.Resources.
type MonthRow struct {
	Month    store.Month
	Launches []int
	Users    []int
	Total    int
}

// Row is a resource or a library over the period.
type Row struct {
	Code     string // a library's code; "" for a resource
	Name     string
	Launches int
	Users    int
}

// AccountLabels name the account events, in the order of AccountRow.Counts.
var AccountLabels = [...]string{"Inscriptions", "Validations", "Refus", "Renouvellements", "Expirations"}

// AccountRow is one month's account events.
type AccountRow struct {
	Month  store.Month
	Counts [len(AccountLabels)]int
}

// Scope is whose figures a report holds: a library, or nil for the network.
func (r *Report) Scope() store.Scope {
	if r.Library == nil {
		return store.NetworkScope()
	}
	return store.LibraryScope(r.Library.ID)
}

// Subject names whose figures they are.
func (r *Report) Subject() string {
	if r.Library == nil {
		return "Toutes les bibliothèques du réseau"
	}
	return r.Library.Name + " (" + r.Library.Code + ")"
}

// Build reads the figures of lib (nil for the whole network) over p.
func Build(ctx context.Context, st *store.Store, lib *sesame.Library, p Period, now time.Time, loc *time.Location) (*Report, error) {
	r := &Report{Library: lib, Period: p, Made: now.In(loc), Location: loc}
	if n, err := st.Network(ctx); err == nil {
		r.Network = n.Name
	}
	sc := r.Scope()
	months := p.Months()
	launches, err := st.LaunchesByMonth(ctx, sc, months)
	if err != nil {
		return nil, err
	}
	usage, err := st.UsageOver(ctx, sc, p.First, p.Last)
	if err != nil {
		return nil, err
	}
	accounts, err := st.AccountEventsByMonth(ctx, sc, months)
	if err != nil {
		return nil, err
	}
	resources, err := st.Resources(ctx)
	if err != nil {
		return nil, err
	}

	// Columns: the resources on offer, and those no longer on offer that
	// were launched in the period.
	for _, res := range resources {
		if !res.Disabled || usage.ByResource[res.ID].Launches > 0 {
			r.Resources = append(r.Resources, Column{ID: res.ID, Name: res.Name})
		}
	}
	slices.SortFunc(r.Resources, func(a, b Column) int { return cmp.Compare(store.Fold(a.Name), store.Fold(b.Name)) })
	col := map[int64]int{}
	for i, c := range r.Resources {
		col[c.ID] = i
	}

	byMonth := map[string]*MonthRow{}
	for _, m := range months {
		row := MonthRow{Month: m, Launches: make([]int, len(r.Resources)), Users: make([]int, len(r.Resources))}
		r.Months = append(r.Months, row)
	}
	for i := range r.Months {
		byMonth[r.Months[i].Month.Key()] = &r.Months[i]
	}
	r.Totals = make([]int, len(r.Resources))
	for _, l := range launches {
		row, ok := byMonth[l.Month]
		i, known := col[l.ResourceID]
		if !ok || !known {
			continue
		}
		row.Launches[i] += l.Launches
		row.Users[i] += l.Users
		row.Total += l.Launches
		r.Totals[i] += l.Launches
		r.Total += l.Launches
	}

	r.UsersKnown, r.KeptSince = usage.UsersKnown, usage.KeptSince
	for _, c := range r.Resources {
		u := usage.ByResource[c.ID]
		r.ByResource = append(r.ByResource, Row{Name: c.Name, Launches: u.Launches, Users: u.Users})
	}
	r.Users = usage.Total.Users
	if lib == nil {
		libs, err := st.Libraries(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			u, ok := usage.ByLibrary[l.ID]
			if !ok && l.Disabled {
				continue
			}
			r.ByLibrary = append(r.ByLibrary, Row{Code: l.Code, Name: l.Name, Launches: u.Launches, Users: u.Users})
		}
		slices.SortStableFunc(r.ByLibrary, func(a, b Row) int {
			return cmp.Or(cmp.Compare(b.Users, a.Users), cmp.Compare(b.Launches, a.Launches))
		})
	}

	for _, a := range accounts {
		row := AccountRow{Counts: [len(AccountLabels)]int{a.Registrations, a.Validations, a.Refusals, a.Renewals, a.Expiries}}
		for _, m := range months {
			if m.Key() == a.Month {
				row.Month = m
			}
		}
		for i, n := range row.Counts {
			r.AccountTotals[i] += n
		}
		r.Accounts = append(r.Accounts, row)
	}
	return r, nil
}

// KeptSinceDate is the first day whose launches are all kept, for the pages.
func (r *Report) KeptSinceDate() sesame.Date {
	if r.KeptSince.IsZero() {
		return sesame.Date{}
	}
	return sesame.DateOf(r.KeptSince, r.Location)
}
