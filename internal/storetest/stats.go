package storetest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// statsWorld is a network of two libraries and three resources, with a
// clock the test moves, on one engine.
type statsWorld struct {
	t        *testing.T
	st       *store.Store
	raw      RawDB // the store's database, whose rows count reads
	dsn      string
	now      time.Time
	paris    *time.Location
	libs     []int64
	res      []int64
	patrons  map[int64][]int64 // by library
	recorded []launch          // every launch recorded, deleted or not
}

// launch is what the test recorded: the reference the figures are checked against.
type launch struct {
	at                    time.Time
	lib, resource, patron int64
}

func newStatsWorld(t *testing.T, open Opener) *statsWorld {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	w := &statsWorld{t: t, paris: paris, now: time.Date(2025, 11, 20, 9, 0, 0, 0, paris), patrons: map[int64][]int64{}}
	dsn := freshDSN(t, open)
	w.st = openWith(t, dsn, func() time.Time { return w.now }, nil)
	w.raw = OpenRaw(t, dsn)
	w.dsn = dsn
	ctx := context.Background()
	for i, code := range []string{"FOUESNANT", "QUIMPER"} {
		id, err := w.st.CreateLibrary(ctx, sesame.Library{Code: code, Name: "Médiathèque " + code, Town: "T", ContactEmail: "b@example.org"}, sys)
		if err != nil {
			t.Fatal(err)
		}
		w.libs = append(w.libs, id)
		for j := range 5 - 2*i {
			w.patrons[id] = append(w.patrons[id], w.patron(id, fmt.Sprintf("%s%d", code, j)))
		}
	}
	for _, slug := range []string{"pressreader", "tout-apprendre", "cafeyn"} {
		id, err := w.st.CreateResource(ctx, sesame.Resource{Slug: slug, Name: slug, Description: "d", URL: "https://example.org/"}, sys)
		if err != nil {
			t.Fatal(err)
		}
		w.res = append(w.res, id)
	}
	return w
}

func (w *statsWorld) patron(lib int64, name string) int64 {
	w.t.Helper()
	id, err := w.st.CreatePatron(context.Background(), store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: name, FirstName: "Anne",
		Email: name + "@example.org", BirthDate: sesame.MustDate(1980, 1, 2), RegisteredOn: sesame.DateOf(w.now, w.paris),
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2025, 1, 1), ValidUntil: sesame.MustDate(2030, 1, 1)}}, sys)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *statsWorld) record(at time.Time, lib, resource, patron int64) {
	w.t.Helper()
	if err := w.st.RecordLaunch(context.Background(), store.Launch{At: at, PatronID: patron, LibraryID: lib, ResourceID: resource}); err != nil {
		w.t.Fatal(err)
	}
	w.recorded = append(w.recorded, launch{at: at, lib: lib, resource: resource, patron: patron})
}

// fold folds the launches before cutoff, as the daily job does.
func (w *statsWorld) fold(cutoff time.Time) store.FoldReport {
	w.t.Helper()
	var report store.FoldReport
	err := w.st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		report, err = tx.FoldLaunches(context.Background(), cutoff, w.paris)
		return err
	})
	if err != nil {
		w.t.Fatalf("fold at %s: %v", cutoff, err)
	}
	return report
}

// cutoff is the job's: the start of the same day four months ago.
func (w *statsWorld) cutoff() time.Time {
	d := sesame.DateOf(w.now, w.paris).AddMonths(-4)
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, w.paris)
}

// count runs query, a SELECT COUNT(*), on the rows as they are stored.
func (w *statsWorld) count(query string, args ...any) int {
	w.t.Helper()
	return w.raw.Count(w.t, query, args...)
}

func inScope(sc store.Scope, lib int64) bool { return sc.Network || sc.LibraryID == lib }

// wantMonths computes LaunchesByMonth from the launches recorded.
func (w *statsWorld) wantMonths(sc store.Scope, months []store.Month) map[string]store.LaunchMonth {
	out := map[string]store.LaunchMonth{}
	type user struct{ lib, resource, patron int64 }
	for _, m := range months {
		seen := map[user]bool{}
		for _, l := range w.recorded {
			if !inScope(sc, l.lib) || l.at.Before(m.Start) || !l.at.Before(m.End) {
				continue
			}
			k := fmt.Sprintf("%s/%d", m.Key(), l.resource)
			v := out[k]
			v.Month, v.ResourceID = m.Key(), l.resource
			v.Launches++
			if u := (user{l.lib, l.resource, l.patron}); !seen[u] {
				seen[u] = true
				v.Users++
			}
			out[k] = v
		}
	}
	return out
}

// wantUsage computes UsageOver from the launches recorded.
func (w *statsWorld) wantUsage(sc store.Scope, first, last store.Month, usersKnown bool) (byResource, byLibrary map[int64]store.Usage) {
	byResource, byLibrary = map[int64]store.Usage{}, map[int64]store.Usage{}
	type user struct{ lib, resource, patron int64 }
	seen := map[user]bool{}
	for _, l := range w.recorded {
		if !inScope(sc, l.lib) || l.at.Before(first.Start) || !l.at.Before(last.End) {
			continue
		}
		r, b := byResource[l.resource], byLibrary[l.lib]
		r.Launches++
		b.Launches++
		if u := (user{l.lib, l.resource, l.patron}); usersKnown && !seen[u] {
			seen[u] = true
			r.Users++
		}
		if u := (user{l.lib, 0, l.patron}); usersKnown && !seen[u] {
			seen[u] = true
			b.Users++
		}
		byResource[l.resource], byLibrary[l.lib] = r, b
	}
	return byResource, byLibrary
}

// nonZero drops the groups with nothing in them, which SQL may or may not return.
func nonZero(m map[int64]store.Usage) map[int64]store.Usage {
	out := map[int64]store.Usage{}
	for k, v := range m {
		if v != (store.Usage{}) {
			out[k] = v
		}
	}
	return out
}

// figures reads every figure the pages show, for each scope.
func (w *statsWorld) figures() string {
	w.t.Helper()
	ctx := context.Background()
	var out []any
	first := store.NewMonth(2025, time.January, w.paris)
	months := store.Months(first, store.MonthOf(w.now, w.paris))
	for _, sc := range w.scopes() {
		lm, err := w.st.LaunchesByMonth(ctx, sc, months)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, lm)
		for _, p := range w.periods() {
			u, err := w.st.UsageOver(ctx, sc, p[0], p[1])
			if err != nil {
				w.t.Fatal(err)
			}
			// A run of months that starts before today's cutoff loses its
			// users at today's fold, by design: only launches are compared.
			if p[0].Month != time.January || p[1].Month != time.December {
				if p[0].Start.Before(w.cutoff()) {
					u.UsersKnown, u.Total.Users = false, 0
					for _, m := range []map[int64]store.Usage{u.ByResource, u.ByLibrary} {
						for k, v := range m {
							m[k] = store.Usage{Launches: v.Launches}
						}
					}
				}
			}
			out = append(out, u.UsersKnown, u.Total, nonZero(u.ByResource), nonZero(u.ByLibrary))
		}
		ev, err := w.st.AccountEventsByMonth(ctx, sc, months)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return fmt.Sprint(out...)
}

func (w *statsWorld) scopes() []store.Scope {
	return []store.Scope{store.NetworkScope(), store.LibraryScope(w.libs[0]), store.LibraryScope(w.libs[1])}
}

// periods are the three calendar years, and two runs of months: the
// last four, and from November 2025 to now.
func (w *statsWorld) periods() [][2]store.Month {
	now := store.MonthOf(w.now, w.paris)
	var out [][2]store.Month
	for y := 2025; y <= 2027; y++ {
		out = append(out, [2]store.Month{store.NewMonth(y, time.January, w.paris), store.NewMonth(y, time.December, w.paris)})
	}
	back := now
	for range 3 {
		back = store.MonthOf(back.Start.Add(-time.Hour), w.paris)
	}
	return append(out, [2]store.Month{back, now}, [2]store.Month{store.NewMonth(2025, time.November, w.paris), now})
}

// check compares every figure with the launches recorded.
func (w *statsWorld) check(when string) {
	w.t.Helper()
	ctx := context.Background()
	first := store.NewMonth(2025, time.January, w.paris)
	months := store.Months(first, store.MonthOf(w.now, w.paris))
	for _, sc := range w.scopes() {
		got, err := w.st.LaunchesByMonth(ctx, sc, months)
		if err != nil {
			w.t.Fatal(err)
		}
		want := w.wantMonths(sc, months)
		gotMap := map[string]store.LaunchMonth{}
		for _, g := range got {
			gotMap[fmt.Sprintf("%s/%d", g.Month, g.ResourceID)] = g
		}
		if !maps.Equal(gotMap, want) {
			w.t.Errorf("%s, %+v, launches by month:\n got %v\nwant %v", when, sc, gotMap, want)
		}
		for _, p := range w.periods() {
			u, err := w.st.UsageOver(ctx, sc, p[0], p[1])
			if err != nil {
				w.t.Fatal(err)
			}
			wholeYear := p[0].Month == time.January && p[1].Month == time.December
			kept := u.KeptSince.IsZero() || !p[0].Start.Before(u.KeptSince)
			if u.UsersKnown != (wholeYear || kept) {
				w.t.Errorf("%s, %+v, %s–%s: users known %v, want %v", when, sc, p[0], p[1], u.UsersKnown, wholeYear || kept)
			}
			byResource, byLibrary := w.wantUsage(sc, p[0], p[1], u.UsersKnown)
			if got, want := nonZero(u.ByResource), nonZero(byResource); !maps.Equal(got, want) {
				w.t.Errorf("%s, %+v, %s–%s by resource:\n got %v\nwant %v", when, sc, p[0], p[1], got, want)
			}
			if got, want := nonZero(u.ByLibrary), nonZero(byLibrary); !maps.Equal(got, want) {
				w.t.Errorf("%s, %+v, %s–%s by library:\n got %v\nwant %v", when, sc, p[0], p[1], got, want)
			}
			var total store.Usage
			for _, v := range byLibrary {
				total.Launches += v.Launches
				total.Users += v.Users
			}
			if u.Total != total {
				w.t.Errorf("%s, %+v, %s–%s total: got %+v, want %+v", when, sc, p[0], p[1], u.Total, total)
			}
		}
	}
}

// testFoldKeepsFigures moves the clock day by day for fifteen months,
// recording launches and folding them as the daily job does, and checks
// that every figure stays that of the launches recorded, before and after
// each fold, and that no launch older than four months is kept.
func testFoldKeepsFigures(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	rng := rand.New(rand.NewPCG(29, 5)) // #nosec G404 -- seeded, so that a failing run replays; test data, not a secret
	var everyone [][2]int64             // library, patron
	for _, lib := range w.libs {
		for _, p := range w.patrons[lib] {
			everyone = append(everyone, [2]int64{lib, p})
		}
	}
	end := time.Date(2027, 2, 10, 9, 0, 0, 0, w.paris)
	for day := 0; w.now.Before(end); day++ {
		// Launches of the day, some just after midnight and just
		// before, where UTC and Paris months differ.
		for range rng.IntN(4) {
			who := everyone[rng.IntN(len(everyone))]
			res := w.res[rng.IntN(len(w.res))]
			y, m, d := w.now.Date()
			at := []time.Time{
				time.Date(y, m, d, 0, 20, 0, 0, w.paris),
				time.Date(y, m, d, 8, 59, 0, 0, w.paris),
				time.Date(y, m, d, 23, 40, 0, 0, w.paris).AddDate(0, 0, -1),
			}[rng.IntN(3)]
			w.record(at, who[0], res, who[1])
		}
		// A patron folded in March comes back in October: counted once in 2026.
		if sesame.DateOf(w.now, w.paris) == sesame.MustDate(2026, 3, 2) || sesame.DateOf(w.now, w.paris) == sesame.MustDate(2026, 10, 20) {
			w.record(w.now.Add(-time.Hour), w.libs[1], w.res[2], w.patrons[w.libs[1]][0])
		}
		checkDay := day%14 == 0 || w.now.Day() == 1
		before := ""
		if checkDay {
			before = w.figures()
		}
		cutoff := w.cutoff()
		w.fold(cutoff)
		if checkDay {
			if after := w.figures(); after != before {
				t.Fatalf("%s: the fold changed the figures:\nbefore %s\n after %s", sesame.DateOf(w.now, w.paris), before, after)
			}
			w.check(sesame.DateOf(w.now, w.paris).String())
			if n := w.count(`SELECT COUNT(*) FROM launches WHERE at < $1`, cutoff.UTC()); n != 0 {
				t.Fatalf("%s: %d launches older than the cutoff %s kept", sesame.DateOf(w.now, w.paris), n, cutoff)
			}
			kept := 0
			for _, l := range w.recorded {
				if !l.at.Before(cutoff) {
					kept++
				}
			}
			if n := w.count(`SELECT COUNT(*) FROM launches`); n != kept {
				t.Fatalf("%s: %d launches kept, want %d", sesame.DateOf(w.now, w.paris), n, kept)
			}
		}
		if t.Failed() {
			return
		}
		w.now = w.now.AddDate(0, 0, 1)
	}
	// 2026 is over and counted: who was counted in it is forgotten;
	// January 2027 is counted, the rest of 2027 is not.
	if n := w.count(`SELECT COUNT(*) FROM stats_year_patrons WHERE year <= 2026`); n != 0 {
		t.Errorf("2025 and 2026's patrons: %d rows kept, want none once the years are counted", n)
	}
	if n := w.count(`SELECT COUNT(*) FROM stats_year_patrons WHERE year = 2027`); n == 0 {
		t.Error("2027's patrons: none kept, while the year is under way")
	}
}

// testFoldOncePerCutoff folds the same cutoff twice, then an earlier one:
// only the first does anything.
func testFoldOncePerCutoff(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	p := w.patrons[w.libs[0]]
	w.record(time.Date(2025, 6, 3, 10, 0, 0, 0, w.paris), w.libs[0], w.res[0], p[0])
	w.record(time.Date(2025, 6, 4, 10, 0, 0, 0, w.paris), w.libs[0], w.res[0], p[1])
	w.record(time.Date(2025, 8, 4, 10, 0, 0, 0, w.paris), w.libs[0], w.res[0], p[1])
	before := w.figures()
	cutoff := time.Date(2025, 7, 20, 0, 0, 0, 0, w.paris)
	if r := w.fold(cutoff); r.Months != 5 || r.Launches != 2 {
		t.Errorf("first fold: got %+v, want June to October counted, 2 launches deleted", r)
	}
	for _, c := range []time.Time{cutoff, cutoff.Add(-24 * time.Hour)} {
		if r := w.fold(c); r.Done() {
			t.Errorf("fold again at %s: got %+v, want nothing done", c, r)
		}
	}
	if after := w.figures(); after != before {
		t.Errorf("figures changed:\nbefore %s\n after %s", before, after)
	}
	w.check("after three folds")
}

// testDeletedPatronStaysCounted deletes a patron whose launches of June
// were counted: the figures keep them; their launch of November, not
// counted yet, stays a launch without a user; nothing names them any more.
func testDeletedPatronStaysCounted(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	ctx := context.Background()
	gone := w.patrons[w.libs[0]][0]
	w.now = time.Date(2025, 6, 3, 10, 0, 0, 0, w.paris)
	w.record(w.now, w.libs[0], w.res[0], gone)
	w.now = time.Date(2025, 11, 1, 9, 0, 0, 0, w.paris)
	w.fold(w.cutoff()) // June to October counted, June's launch deleted
	w.now = time.Date(2025, 11, 3, 10, 0, 0, 0, w.paris)
	w.record(w.now, w.libs[0], w.res[1], gone)
	if n := w.count(`SELECT COUNT(*) FROM stats_year_patrons WHERE patron_id = $1`, gone); n != 1 {
		t.Errorf("before the deletion: the patron is in stats_year_patrons %d times, want once", n)
	}
	if err := w.st.DeletePatron(ctx, store.NetworkScope(), gone, sys); err != nil {
		t.Fatal(err)
	}
	if n := w.count(`SELECT COUNT(*) FROM stats_year_patrons WHERE patron_id = $1`, gone); n != 0 {
		t.Errorf("the deleted patron is still in stats_year_patrons (%d rows)", n)
	}
	year := [2]store.Month{store.NewMonth(2025, time.January, w.paris), store.NewMonth(2025, time.December, w.paris)}
	u, err := w.st.UsageOver(ctx, store.LibraryScope(w.libs[0]), year[0], year[1])
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]store.Usage{w.res[0]: {Launches: 1, Users: 1}, w.res[1]: {Launches: 1}}
	if got := nonZero(u.ByResource); !maps.Equal(got, want) {
		t.Errorf("2025 by resource: got %v, want %v", got, want)
	}
	if u.Total != (store.Usage{Launches: 2, Users: 1}) {
		t.Errorf("2025 total: got %+v, want 2 launches by 1 user", u.Total)
	}
	w.now = time.Date(2026, 3, 5, 9, 0, 0, 0, w.paris)
	before := w.figures()
	if r := w.fold(w.cutoff()); r.Launches != 1 || r.Months != 4 {
		t.Errorf("second fold: got %+v, want November to February counted and November's launch deleted", r)
	}
	if after := w.figures(); after != before {
		t.Errorf("counting a launch without its patron changed the figures:\nbefore %s\n after %s", before, after)
	}
}

// testAccountEventsByMonth counts the account events of each month in the
// network's calendar, by library.
func testAccountEventsByMonth(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	ctx := context.Background()
	a, b := w.libs[0], w.libs[1]
	decide := func(at time.Time, lib int64, action sesame.AuditAction) {
		t.Helper()
		w.now = at
		id := w.patrons[lib][0]
		_, err := w.st.UpdatePatron(ctx, store.NetworkScope(), id, 0, sys, func(p *sesame.Patron) (store.Change, error) {
			p.Town += "x" // a change, so that the event is written
			return store.Change{Action: action, Detail: string(action)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// 31 January 23:30 in Paris is 22:30 UTC: January. 1 February
	// 00:30 in Paris is still 31 January in UTC: February.
	decide(time.Date(2026, 1, 31, 23, 30, 0, 0, w.paris), a, sesame.ActionValidation)
	decide(time.Date(2026, 2, 1, 0, 30, 0, 0, w.paris), a, sesame.ActionValidation)
	decide(time.Date(2026, 2, 10, 12, 0, 0, 0, w.paris), a, sesame.ActionRefusal)
	decide(time.Date(2026, 2, 11, 12, 0, 0, 0, w.paris), b, sesame.ActionRenewal)
	decide(time.Date(2026, 2, 12, 12, 0, 0, 0, w.paris), b, sesame.ActionExpiry)
	decide(time.Date(2026, 2, 13, 12, 0, 0, 0, w.paris), b, "informations") // not counted
	w.now = time.Date(2026, 2, 14, 12, 0, 0, 0, w.paris)
	w.patron(b, "NOUVEAU")
	months := store.Months(store.NewMonth(2026, time.January, w.paris), store.NewMonth(2026, time.March, w.paris))
	tests := []struct {
		name string
		sc   store.Scope
		want []store.AccountMonth
	}{
		{"network", store.NetworkScope(), []store.AccountMonth{
			{Month: "2026-01", Validations: 1},
			{Month: "2026-02", Registrations: 1, Validations: 1, Refusals: 1, Renewals: 1, Expiries: 1},
			{Month: "2026-03"}}},
		{"library A", store.LibraryScope(a), []store.AccountMonth{
			{Month: "2026-01", Validations: 1}, {Month: "2026-02", Validations: 1, Refusals: 1}, {Month: "2026-03"}}},
		{"library B", store.LibraryScope(b), []store.AccountMonth{
			{Month: "2026-01"}, {Month: "2026-02", Registrations: 1, Renewals: 1, Expiries: 1}, {Month: "2026-03"}}},
	}
	for _, tt := range tests {
		got, err := w.st.AccountEventsByMonth(ctx, tt.sc, months)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// Counted, the months say the same.
	w.now = time.Date(2026, 4, 2, 3, 0, 0, 0, w.paris)
	if r := w.fold(w.cutoff()); r.Months != 5 {
		t.Errorf("fold: got %+v, want November to March counted", r)
	}
	for _, tt := range tests {
		got, err := w.st.AccountEventsByMonth(ctx, tt.sc, months)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s, counted: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// The patrons of the fixture were created in November 2025.
	first, err := w.st.StatsFirstYear(ctx, w.paris)
	if err != nil || first != 2025 {
		t.Errorf("first year: got %d (%v), want 2025", first, err)
	}
}

// testFoldConcurrent runs the daily job's work on two instances at once:
// each month is counted once, whichever wins.
func testFoldConcurrent(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	p := w.patrons[w.libs[0]]
	for d := range 40 {
		w.record(time.Date(2025, 8, 1, 10, 0, 0, 0, w.paris).AddDate(0, 0, d*2), w.libs[0], w.res[d%3], p[d%len(p)])
	}
	before := w.figures()
	reports := make(chan store.FoldReport, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			err := w.st.Update(context.Background(), func(tx *store.Tx) error {
				r, err := tx.FoldLaunches(context.Background(), w.cutoff(), w.paris)
				reports <- r
				return err
			})
			errs <- err
		}()
	}
	months, launches := 0, 0
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		r := <-reports
		months += r.Months
		launches += r.Launches
	}
	// August, September and October 2025 counted; nothing before 20 July to delete.
	if months != 3 || launches != 0 {
		t.Errorf("two runs at once: %d months counted, %d launches deleted; want 3 once", months, launches)
	}
	if after := w.figures(); after != before {
		t.Errorf("figures changed:\nbefore %s\n after %s", before, after)
	}
	w.check("after two runs at once")
}

// testAccountEventsCountOnTheirDate: an account event counts in the month
// of the date it means, not of the day it is recorded. A registration of
// January typed in March is one of January's, although January was counted
// by the daily job already; an expiry seen in March, of an account that
// ended in January, is one of February's, its first day past the end. The
// figures stay when the events are counted, and when the patron is deleted.
func testAccountEventsCountOnTheirDate(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	ctx := context.Background()
	a, b := w.libs[0], w.libs[1]
	w.now = time.Date(2026, 3, 10, 9, 0, 0, 0, w.paris)
	w.fold(w.cutoff()) // November to February counted
	late := func(lib int64, name string, registered sesame.Date) int64 {
		t.Helper()
		id, err := w.st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: name, FirstName: "Anne",
			Email: name + "@example.org", BirthDate: sesame.MustDate(1980, 1, 2), RegisteredOn: registered,
			Status: sesame.StatusToValidate}}, sys)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	january := late(a, "JANVIER", sesame.MustDate(2026, 1, 17))
	late(b, "MARS", sesame.MustDate(2026, 3, 1))
	_, err := w.st.UpdatePatron(ctx, store.NetworkScope(), w.patrons[b][0], 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.Status, p.ValidUntil = sesame.StatusExpired, sesame.MustDate(2026, 1, 31)
		return store.Change{Action: sesame.ActionExpiry, Detail: "Abonnement terminé."}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	months := store.Months(store.NewMonth(2026, time.January, w.paris), store.NewMonth(2026, time.March, w.paris))
	tests := []struct {
		name string
		sc   store.Scope
		want []store.AccountMonth
	}{
		{"network", store.NetworkScope(), []store.AccountMonth{
			{Month: "2026-01", Registrations: 1}, {Month: "2026-02", Expiries: 1}, {Month: "2026-03", Registrations: 1}}},
		{"library A", store.LibraryScope(a), []store.AccountMonth{
			{Month: "2026-01", Registrations: 1}, {Month: "2026-02"}, {Month: "2026-03"}}},
		{"library B", store.LibraryScope(b), []store.AccountMonth{
			{Month: "2026-01"}, {Month: "2026-02", Expiries: 1}, {Month: "2026-03", Registrations: 1}}},
	}
	check := func(when string) {
		t.Helper()
		for _, tt := range tests {
			got, err := w.st.AccountEventsByMonth(ctx, tt.sc, months)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s, %s: got %v, want %v", when, tt.name, got, tt.want)
			}
		}
	}
	check("recorded")
	w.now = time.Date(2026, 4, 2, 3, 0, 0, 0, w.paris)
	w.fold(w.cutoff())
	check("counted")
	if err := w.st.DeletePatron(ctx, store.NetworkScope(), january, sys); err != nil {
		t.Fatal(err)
	}
	check("deleted")
	// The fixture's patrons registered in November 2025: the first year
	// is theirs, not 2026 when the events were counted.
	if first, err := w.st.StatsFirstYear(ctx, w.paris); err != nil || first != 2025 {
		t.Errorf("first year: got %d (%v), want 2025", first, err)
	}
}

// testFoldNamesKeptLaunches: the first run after migration 0040 finds the
// months counted by the monthly job of before, and nothing in the tables
// that tell runs of months apart; until it has run, the figures come from
// the launches, and it fills those tables from every launch kept, without
// changing a figure.
func testFoldNamesKeptLaunches(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	rng := rand.New(rand.NewPCG(14, 4)) // #nosec G404 -- seeded test data
	for day := time.Date(2025, 6, 1, 10, 0, 0, 0, w.paris); day.Before(time.Date(2025, 11, 20, 0, 0, 0, 0, w.paris)); day = day.AddDate(0, 0, 1) {
		for range rng.IntN(3) {
			lib := w.libs[rng.IntN(len(w.libs))]
			w.record(day, lib, w.res[rng.IntN(len(w.res))], w.patrons[lib][rng.IntN(len(w.patrons[lib]))])
		}
	}
	// The monthly job of before ran on 1 November: June to October counted.
	w.now = time.Date(2025, 11, 1, 3, 0, 0, 0, w.paris)
	w.fold(w.cutoff())
	execRaw(t, w.dsn,
		`DELETE FROM stats_patron_months`, `DELETE FROM stats_user_firsts`,
		`DELETE FROM stats_library_user_firsts`, `DELETE FROM stats_network_user_firsts`,
		`UPDATE stats_fold SET named_until = NULL`)
	w.now = time.Date(2025, 11, 20, 9, 0, 0, 0, w.paris)
	w.check("before the first run since 0040")
	before := w.figures()
	w.fold(w.cutoff())
	if n := w.count(`SELECT COUNT(*) FROM stats_user_firsts WHERE month = '2025-08'`); n == 0 {
		t.Error("August, counted before 0040 and kept: no first launches named")
	}
	if after := w.figures(); after != before {
		t.Errorf("the first run since 0040 changed the figures:\nbefore %s\n after %s", before, after)
	}
	w.check("after the first run since 0040")
}

// testDeletedPatronCountedByDay deletes a patron one of whose days of the
// current month is counted already: that day keeps them as a user, their
// launch of a day not counted yet is a launch without a user, and nothing
// names them in the tables.
func testDeletedPatronCountedByDay(t *testing.T, open Opener) {
	w := newStatsWorld(t, open)
	ctx := context.Background()
	gone := w.patrons[w.libs[0]][0]
	w.now = time.Date(2025, 11, 3, 10, 0, 0, 0, w.paris)
	w.record(w.now, w.libs[0], w.res[0], gone)
	w.now = time.Date(2025, 11, 4, 3, 0, 0, 0, w.paris)
	w.fold(w.cutoff())
	w.now = time.Date(2025, 11, 10, 10, 0, 0, 0, w.paris)
	w.record(w.now, w.libs[0], w.res[1], gone)
	if err := w.st.DeletePatron(ctx, store.NetworkScope(), gone, sys); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"stats_patron_months", "stats_year_patrons"} {
		if n := w.count(`SELECT COUNT(*) FROM `+table+` WHERE patron_id = $1`, gone); n != 0 {
			t.Errorf("the deleted patron is still in %s (%d rows)", table, n)
		}
	}
	nov := store.NewMonth(2025, time.November, w.paris)
	read := func() (string, store.PeriodUsage) {
		lm, err := w.st.LaunchesByMonth(ctx, store.NetworkScope(), []store.Month{nov})
		if err != nil {
			t.Fatal(err)
		}
		u, err := w.st.UsageOver(ctx, store.LibraryScope(w.libs[0]), nov, nov)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(lm), u
	}
	months, u := read()
	if want := fmt.Sprint([]store.LaunchMonth{{Month: "2025-11", ResourceID: w.res[0], Launches: 1, Users: 1}, {Month: "2025-11", ResourceID: w.res[1], Launches: 1}}); months != want {
		t.Errorf("November: got %s, want %s", months, want)
	}
	if u.Total != (store.Usage{Launches: 2, Users: 1}) {
		t.Errorf("November total: got %+v, want 2 launches by 1 user", u.Total)
	}
	w.now = time.Date(2025, 11, 12, 3, 0, 0, 0, w.paris)
	w.fold(w.cutoff())
	if again, u2 := read(); again != months || u2.Total != u.Total {
		t.Errorf("counting the day without its patron changed November: %s %+v, then %s %+v", months, u.Total, again, u2.Total)
	}
}
