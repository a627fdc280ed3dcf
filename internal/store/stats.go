package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// Usage statistics. A launch names its patron, so launches are kept for a
// few months only. Every night, FoldLaunches counts the launches and
// account events of the days before into anonymous tables (migrations
// 0013_stats.sql), once and for all, the current month's days so far
// included; the launches are deleted later, when their retention ends.
// The figures are read from those tables up to the last run, from the
// launches and the audit trail since (a day's at most): counting or
// deleting changes no figure. At 16,000 libraries, reading the months
// not counted yet from the launches took seconds (docs/benchmarks.md).
//
// A patron counts once in a month, a year or a run of months, which are
// not sums of days: the year's patrons are remembered in stats_year_patrons
// until the year is over, each one's last month in stats_patron_months,
// and stats_user_firsts tells runs of months apart (0040_stats_daily.sql).
//
// A patron is counted in each library where they launched something: a
// network figure is the sum of its libraries' figures. A deleted patron's
// launches stay, without the patron: they count as launches, no longer as
// a user, unless their day was counted before.

// statsActions is the list the partial indexes of 0013_stats.sql are built
// on: SQLite uses them only for a query that repeats it word for word, so
// it must read ('creation', 'validation', 'refus', 'revalidation',
// 'expiration'), the values of the sesame.Action* constants it is built of.
const statsActions = `('` + string(sesame.ActionRegistration) + `', '` + string(sesame.ActionValidation) + `', '` +
	string(sesame.ActionRefusal) + `', '` + string(sesame.ActionRenewal) + `', '` + string(sesame.ActionExpiry) + `')`

// Month is a month of the network's calendar, with the instants it spans.
type Month struct {
	Year  int
	Month time.Month
	Start time.Time // its first instant, in the network's zone
	End   time.Time // the next month's first instant
}

// MonthOf is the month of the network's calendar (loc) that t falls in.
func MonthOf(t time.Time, loc *time.Location) Month {
	t = t.In(loc)
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return Month{Year: start.Year(), Month: start.Month(), Start: start, End: start.AddDate(0, 1, 0)}
}

// NewMonth is month m of year y in loc.
func NewMonth(y int, m time.Month, loc *time.Location) Month {
	return MonthOf(time.Date(y, m, 1, 12, 0, 0, 0, loc), loc)
}

// Next is the month after m.
func (m Month) Next() Month { return MonthOf(m.End, m.End.Location()) }

// Key is how the tables name the month: "2025-03".
func (m Month) Key() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// String is the month as French pages and exports write it: "03/2025".
func (m Month) String() string { return fmt.Sprintf("%02d/%04d", int(m.Month), m.Year) }

// Months lists the months from first to last, both included.
func Months(first, last Month) []Month {
	var out []Month
	for m := first; !m.Start.After(last.Start); m = m.Next() {
		out = append(out, m)
	}
	return out
}

// statsScope is the library condition of a statistics query: "" for the
// network, else " AND <column> = $n" with the library appended to args.
func statsScope(sc Scope, column string, args *[]any) string {
	if sc.Network {
		return ""
	}
	*args = append(*args, sc.LibraryID)
	return fmt.Sprintf(" AND %s = $%d", column, len(*args))
}

// statsState is where the daily job stands.
type statsState struct {
	// countedUntil: the months that end at or before it are in the stats
	// tables, and only there. Not valid before the first run.
	countedUntil sql.NullTime
	// keptSince: the launches before it are deleted.
	keptSince sql.NullTime
	// namedUntil: stats_patron_months and the stats_*user_firsts tables
	// hold every launch kept before it. NULL until the first run after
	// migration 0040, then always countedUntil.
	namedUntil sql.NullTime
}

func (s *Store) statsState(ctx context.Context) (statsState, error) {
	var st statsState
	err := s.scanStmts.QueryRowContext(ctx, `SELECT counted_until, kept_since, named_until FROM stats_fold WHERE id = 1`).Scan(&st.countedUntil, &st.keptSince, &st.namedUntil)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("statistics state: %w", err)
	}
	return st, nil
}

// counted reports whether month m is read from the stats tables only.
func (st statsState) counted(m Month) bool {
	return st.countedUntil.Valid && !m.End.After(st.countedUntil.Time)
}

// live is the first instant from t on whose launches and events are not
// counted yet, and so are read as they are.
func (st statsState) live(t time.Time) time.Time {
	if st.countedUntil.Valid && st.countedUntil.Time.After(t) {
		return st.countedUntil.Time
	}
	return t
}

// LaunchMonth is one resource's launches in one month.
type LaunchMonth struct {
	Month      string // Month.Key
	ResourceID int64
	Launches   int
	// Users is the number of patrons who launched the resource that month,
	// counted in each library and summed over the libraries in scope.
	Users int
}

// LaunchesByMonth returns, for each month of months (in order) and each
// resource launched in it within scope, the launches and the month's users.
func (s *Store) LaunchesByMonth(ctx context.Context, sc Scope, months []Month) ([]LaunchMonth, error) {
	if len(months) == 0 {
		return nil, nil
	}
	state, err := s.statsState(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		month    string
		resource int64
	}
	byKey := map[key]*LaunchMonth{}
	add := func(l LaunchMonth) {
		k := key{l.Month, l.ResourceID}
		if v, ok := byKey[k]; ok {
			v.Launches += l.Launches
			v.Users += l.Users
			return
		}
		byKey[k] = &l
	}
	// What is counted, the current month's days so far included.
	args := []any{months[0].Key(), months[len(months)-1].Key()}
	lib := statsScope(sc, "library_id", &args)
	table := "stats_months"
	if sc.Network {
		table = "stats_network_months"
	}
	rows, err := s.scanStmts.QueryContext(ctx, `
		SELECT month, resource_id, SUM(launches), SUM(users)
		FROM `+table+`
		WHERE month >= $1 AND month <= $2`+lib+`
		GROUP BY month, resource_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("counted launches: %w", err)
	}
	err = scanEach(rows, func(r *sql.Rows) error {
		var l LaunchMonth
		if err := r.Scan(&l.Month, &l.ResourceID, &l.Launches, &l.Users); err != nil {
			return err
		}
		add(l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counted launches: %w", err)
	}
	// The rest, from the launches: since the last run, its patrons not
	// counted in the month already.
	for _, m := range months {
		if state.counted(m) {
			continue
		}
		from := state.live(m.Start).UTC()
		byResource := map[int64]Usage{}
		if err := s.liveLaunches(ctx, sc, "resource_id", from, m.End.UTC(), byResource); err != nil {
			return nil, fmt.Errorf("launches of %s: %w", m.Key(), err)
		}
		if err := s.liveNewUsers(ctx, sc, m.Key(), from, m.End.UTC(), false, byResource); err != nil {
			return nil, fmt.Errorf("users of %s: %w", m.Key(), err)
		}
		for id, u := range byResource {
			add(LaunchMonth{Month: m.Key(), ResourceID: id, Launches: u.Launches, Users: u.Users})
		}
	}
	out := make([]LaunchMonth, 0, len(byKey))
	for _, l := range byKey {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Month != out[j].Month {
			return out[i].Month < out[j].Month
		}
		return out[i].ResourceID < out[j].ResourceID
	})
	return out, nil
}

// Usage is what was launched over a period, and by how many patrons.
type Usage struct {
	Launches int
	Users    int
}

// PeriodUsage is a period's usage by resource and by library, within scope.
type PeriodUsage struct {
	// UsersKnown is false when the period starts before the launches kept
	// and is not a calendar year: counted launches tell their patrons
	// apart within a month or a year only. Users are 0 then.
	UsersKnown bool
	// KeptSince is the first instant whose launches are all kept; zero
	// when none was ever deleted.
	KeptSince  time.Time
	ByResource map[int64]Usage
	ByLibrary  map[int64]Usage
	Total      Usage // users: the sum of the libraries'
}

// UsageOver returns the launches and active users, a patron who launched
// at least once from the start of first to the end of last, by resource
// and by library within scope.
func (s *Store) UsageOver(ctx context.Context, sc Scope, first, last Month) (PeriodUsage, error) {
	u := PeriodUsage{ByResource: map[int64]Usage{}, ByLibrary: map[int64]Usage{}}
	state, err := s.statsState(ctx)
	if err != nil {
		return u, err
	}
	if state.keptSince.Valid {
		u.KeptSince = state.keptSince.Time
	}
	from, to := first.Start.UTC(), last.End.UTC()
	live := state.live(from).UTC()

	wholeYear := first.Year == last.Year && first.Month == time.January && last.Month == time.December
	launches := func(table, group string, into map[int64]Usage) error {
		if sc.Network && table == "stats_months" {
			table = "stats_network_months"
		}
		args := []any{live, to, first.Key(), last.Key()}
		counted := `month >= $3 AND month <= $4`
		if table == "stats_library_years" {
			args = []any{live, to, first.Year}
			counted = `year = $3`
		}
		lib := statsScope(sc, "library_id", &args)
		return s.statsGroups(ctx, into, true, `
			SELECT `+group+`, SUM(launches)
			FROM (
				SELECT `+group+`, launches FROM `+table+`
				WHERE `+counted+lib+`
				UNION ALL
				SELECT `+group+`, COUNT(*) FROM launches
				WHERE at >= $1 AND at < $2`+lib+`
				GROUP BY `+group+`
			) AS both_parts
			GROUP BY `+group, args...)
	}
	if err := launches("stats_months", "resource_id", u.ByResource); err != nil {
		return u, fmt.Errorf("launches by resource: %w", err)
	}
	// A year's, by library, are kept by year: a year of 16,000 libraries'
	// months is 192,000 rows.
	byLibrary := "stats_library_months"
	if wholeYear {
		byLibrary = "stats_library_years"
	}
	if err := launches(byLibrary, "library_id", u.ByLibrary); err != nil {
		return u, fmt.Errorf("launches by library: %w", err)
	}

	switch {
	case wholeYear:
		u.UsersKnown = true
		if err := s.yearUsers(ctx, sc, first.Year, live, to, u.ByResource, u.ByLibrary); err != nil {
			return u, err
		}
	case !state.keptSince.Valid || !from.Before(state.keptSince.Time):
		u.UsersKnown = true
		if state.namedUntil.Valid {
			if err := s.runUsers(ctx, sc, first, last, live, to, u.ByResource, u.ByLibrary); err != nil {
				return u, err
			}
			break
		}
		// Not yet run since migration 0040: from the launches.
		if err := s.liveUsers(ctx, sc, from, to, u.ByResource, u.ByLibrary); err != nil {
			return u, err
		}
	}
	for _, v := range u.ByLibrary {
		u.Total.Launches += v.Launches
		u.Total.Users += v.Users
	}
	return u, nil
}

// liveLaunches counts the launches of [from, to) by group, a column of
// launches, into the map.
func (s *Store) liveLaunches(ctx context.Context, sc Scope, group string, from, to time.Time, into map[int64]Usage) error {
	args := []any{from, to}
	lib := statsScope(sc, "library_id", &args)
	return s.statsGroups(ctx, into, true, `
		SELECT `+group+`, COUNT(*)
		FROM launches
		WHERE at >= $1 AND at < $2`+lib+`
		GROUP BY `+group, args...)
}

// liveUsers counts the users of [from, to) from the launches, by resource
// and, unless byLibrary is nil, by library.
//
// COUNT(DISTINCT) sorts. Telling the patrons apart with SELECT DISTINCT,
// then counting, lets PostgreSQL hash, twice as fast on 2 million
// launches; but on (library, patron), where the library follows from the
// patron, its parallel hash aggregate took minutes instead of one second.
func (s *Store) liveUsers(ctx context.Context, sc Scope, from, to time.Time, byResource, byLibrary map[int64]Usage) error {
	args := []any{from, to}
	lib := statsScope(sc, "library_id", &args)
	err := s.statsGroups(ctx, byResource, false, `
		SELECT resource_id, SUM(users)
		FROM (
			SELECT library_id, resource_id, COUNT(DISTINCT patron_id) AS users
			FROM launches
			WHERE at >= $1 AND at < $2`+lib+`
			GROUP BY library_id, resource_id
		) AS per_library
		GROUP BY resource_id`, args...)
	if err != nil || byLibrary == nil {
		return err
	}
	return s.statsGroups(ctx, byLibrary, false, `
		SELECT library_id, COUNT(DISTINCT patron_id)
		FROM launches
		WHERE at >= $1 AND at < $2`+lib+`
		GROUP BY library_id`, args...)
}

// runUsers counts the users of the months from first to last, by resource
// and by library: those counted in stats_user_firsts in one of the months
// whose month with a launch before was before first, each patron in the
// first month of the run they launched in; plus those of the launches not
// counted yet, [live, to), who are not already among them.
func (s *Store) runUsers(ctx context.Context, sc Scope, first, last Month, live, to time.Time, byResource, byLibrary map[int64]Usage) error {
	args := []any{first.Key(), last.Key()}
	lib := statsScope(sc, "library_id", &args)
	table := "stats_user_firsts"
	if sc.Network {
		table = "stats_network_user_firsts"
	}
	err := s.statsGroups(ctx, byResource, false, `
		SELECT resource_id, SUM(users) FROM `+table+`
		WHERE month >= $1 AND month <= $2 AND since < $1`+lib+`
		GROUP BY resource_id`, args...)
	if err != nil {
		return fmt.Errorf("users of %s to %s by resource: %w", first.Key(), last.Key(), err)
	}
	err = s.statsGroups(ctx, byLibrary, false, `
		SELECT library_id, SUM(users) FROM stats_library_user_firsts
		WHERE month >= $1 AND month <= $2 AND since < $1`+lib+`
		GROUP BY library_id`, args...)
	if err != nil {
		return fmt.Errorf("users of %s to %s by library: %w", first.Key(), last.Key(), err)
	}
	if err := s.liveNewUsers(ctx, sc, first.Key(), live, to, false, byResource); err != nil {
		return fmt.Errorf("users of %s to %s not counted yet: %w", first.Key(), last.Key(), err)
	}
	if err := s.liveNewUsers(ctx, sc, first.Key(), live, to, true, byLibrary); err != nil {
		return fmt.Errorf("users of %s to %s not counted yet: %w", first.Key(), last.Key(), err)
	}
	return nil
}

// liveNewUsers counts the patrons of the launches of [from, to), those
// since the last run, who are not counted from month key on already: their
// last month in stats_patron_months is before it, or they have none. By
// resource, each library's patrons summed, or with byLibrary by library,
// all resources together.
func (s *Store) liveNewUsers(ctx context.Context, sc Scope, key string, from, to time.Time, byLibrary bool, into map[int64]Usage) error {
	if !from.Before(to) {
		return nil
	}
	args := []any{key, from, to}
	lib := statsScope(sc, "library_id", &args)
	group, columns, resource := "resource_id", "library_id, resource_id, patron_id", "l.resource_id"
	if byLibrary {
		group, columns, resource = "library_id", "library_id, patron_id", "0"
	}
	return s.statsGroups(ctx, into, false, `
		SELECT l.`+group+`, COUNT(*)
		FROM (SELECT DISTINCT `+columns+` FROM launches
			WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL`+lib+`) AS l
		WHERE NOT EXISTS (
			SELECT 1 FROM stats_patron_months p
			WHERE p.library_id = l.library_id AND p.patron_id = l.patron_id AND p.resource_id = `+resource+`
				AND p.last_month >= $1)
		GROUP BY l.`+group, args...)
}

// yearUsers counts the users of year: those of its months counted, plus
// those of its launches not counted yet, [live, to), who are not already
// among them.
func (s *Store) yearUsers(ctx context.Context, sc Scope, year int, live, to time.Time, byResource, byLibrary map[int64]Usage) error {
	args := []any{year, live, to}
	lib := statsScope(sc, "library_id", &args)
	libL := ""
	if lib != "" {
		libL = fmt.Sprintf(" AND l.library_id = $%d", len(args))
	}
	// The network's sums are kept apart: 16,000 libraries' rows are
	// not read.
	counted := `SELECT library_id, resource_id, users FROM stats_years WHERE year = $1` + lib
	if sc.Network {
		counted = `SELECT 0, resource_id, users FROM stats_network_years WHERE year = $1`
	}
	err := s.statsGroups(ctx, byResource, false, `
		SELECT resource_id, SUM(users)
		FROM (
			`+counted+`
			UNION ALL
			SELECT l.library_id, l.resource_id, COUNT(DISTINCT l.patron_id)
			FROM launches l
			WHERE l.at >= $2 AND l.at < $3`+libL+`
				AND NOT EXISTS (
					SELECT 1 FROM stats_year_patrons f
					WHERE f.year = $1 AND f.library_id = l.library_id AND f.patron_id = l.patron_id AND f.resource_id = l.resource_id)
			GROUP BY l.library_id, l.resource_id
		) AS both_parts
		GROUP BY resource_id`, args...)
	if err != nil {
		return fmt.Errorf("users of %d by resource: %w", year, err)
	}
	err = s.statsGroups(ctx, byLibrary, false, `
		SELECT library_id, SUM(users)
		FROM (
			SELECT library_id, users FROM stats_library_years
			WHERE year = $1`+lib+`
			UNION ALL
			SELECT l.library_id, COUNT(DISTINCT l.patron_id)
			FROM launches l
			WHERE l.at >= $2 AND l.at < $3`+libL+`
				AND NOT EXISTS (
					SELECT 1 FROM stats_year_patrons f
					WHERE f.year = $1 AND f.library_id = l.library_id AND f.patron_id = l.patron_id)
			GROUP BY l.library_id
		) AS both_parts
		GROUP BY library_id`, args...)
	if err != nil {
		return fmt.Errorf("users of %d by library: %w", year, err)
	}
	return nil
}

// statsGroups reads (id, n) rows into Launches (launches) or Users.
func (s *Store) statsGroups(ctx context.Context, into map[int64]Usage, launches bool, query string, args ...any) error {
	rows, err := s.scanStmts.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return scanEach(rows, func(r *sql.Rows) error {
		var id int64
		var n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		v := into[id]
		if launches {
			v.Launches += n
		} else {
			v.Users += n
		}
		into[id] = v
		return nil
	})
}

// AccountMonth is one month's account events within scope.
type AccountMonth struct {
	Month         string // Month.Key
	Registrations int
	Validations   int
	Refusals      int
	Renewals      int
	Expiries      int
}

// accountCounts is the SELECT list that counts the account events of
// audit_events by kind, in the order of stats_account_months.
const accountCounts = `
	SUM(CASE WHEN action = '` + string(sesame.ActionRegistration) + `' THEN 1 ELSE 0 END),
	SUM(CASE WHEN action = '` + string(sesame.ActionValidation) + `' THEN 1 ELSE 0 END),
	SUM(CASE WHEN action = '` + string(sesame.ActionRefusal) + `' THEN 1 ELSE 0 END),
	SUM(CASE WHEN action = '` + string(sesame.ActionRenewal) + `' THEN 1 ELSE 0 END),
	SUM(CASE WHEN action = '` + string(sesame.ActionExpiry) + `' THEN 1 ELSE 0 END)`

// AccountEventsByMonth counts, for each month of months, the account
// events of the audit trail, by the library the account belonged to then,
// in the month of the date each means (audit_events.counts_at,
// sesame.AuditAction.CountsAt). The events recorded before the daily job's
// last run are in stats_account_months, in those months; the others are
// read as they are. An event recorded today may so add to a month counted
// long ago, such as a registration of last year typed in today.
func (s *Store) AccountEventsByMonth(ctx context.Context, sc Scope, months []Month) ([]AccountMonth, error) {
	if len(months) == 0 {
		return nil, nil
	}
	state, err := s.statsState(ctx)
	if err != nil {
		return nil, err
	}
	counted := map[string]AccountMonth{}
	args := []any{months[0].Key(), months[len(months)-1].Key()}
	lib := statsScope(sc, "library_id", &args)
	table := "stats_account_months"
	if sc.Network {
		table = "stats_network_account_months"
	}
	rows, err := s.scanStmts.QueryContext(ctx, `
		SELECT month, SUM(registrations), SUM(validations), SUM(refusals), SUM(renewals), SUM(expiries)
		FROM `+table+`
		WHERE month >= $1 AND month <= $2`+lib+`
		GROUP BY month`, args...)
	if err != nil {
		return nil, fmt.Errorf("counted account events: %w", err)
	}
	err = scanEach(rows, func(r *sql.Rows) error {
		var a AccountMonth
		if err := r.Scan(&a.Month, &a.Registrations, &a.Validations, &a.Refusals, &a.Renewals, &a.Expiries); err != nil {
			return err
		}
		counted[a.Month] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counted account events: %w", err)
	}
	bucket, args := monthBuckets(months, state.countedUntil)
	lib = statsScope(sc, "library_id", &args)
	rows, err = s.scanStmts.QueryContext(ctx, `
		SELECT month, `+accountCounts+`
		FROM (SELECT `+bucket+` AS month, action FROM audit_events
			WHERE action IN `+statsActions+` AND at >= $1 AND `+countsAtColumn+` >= $2 AND `+countsAtColumn+` < $3`+lib+`) AS live
		WHERE month IS NOT NULL
		GROUP BY month`, args...)
	if err != nil {
		return nil, fmt.Errorf("account events not counted yet: %w", err)
	}
	err = scanEach(rows, func(r *sql.Rows) error {
		var key string
		var n [5]int
		if err := r.Scan(&key, &n[0], &n[1], &n[2], &n[3], &n[4]); err != nil {
			return err
		}
		a := counted[key]
		a.Registrations += n[0]
		a.Validations += n[1]
		a.Refusals += n[2]
		a.Renewals += n[3]
		a.Expiries += n[4]
		counted[key] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("account events not counted yet: %w", err)
	}
	out := make([]AccountMonth, 0, len(months))
	for _, m := range months {
		a := counted[m.Key()]
		a.Month = m.Key()
		out = append(out, a)
	}
	return out, nil
}

// countsAtColumn is when an account event counts: audit_events.counts_at,
// or when it was recorded for an event written without it (before migration
// 0022, or by hand). Neither is indexed for this: the events are found by
// the time they were recorded, then placed by this one.
const countsAtColumn = `COALESCE(counts_at, at)`

// monthBuckets is the SQL expression that names the month of months (their
// Key) an account event's counts_at falls in, NULL outside them, and its
// arguments: $1, the first instant of the events not counted yet (recorded
// at or after since), and $2 and $3, the span of months. The network's
// months are not UTC's: Go tells their bounds, the query only compares.
func monthBuckets(months []Month, since sql.NullTime) (string, []any) {
	live := time.Time{}
	if since.Valid {
		live = since.Time
	}
	first, last := months[0].Start, months[0].End
	for _, m := range months {
		if m.Start.Before(first) {
			first = m.Start
		}
		if m.End.After(last) {
			last = m.End
		}
	}
	args := []any{live.UTC(), first.UTC(), last.UTC()}
	var b strings.Builder
	b.WriteString("CASE")
	for _, m := range months {
		args = append(args, m.Start.UTC(), m.End.UTC(), m.Key())
		n := len(args)
		fmt.Fprintf(&b, " WHEN %s >= $%d AND %s < $%d THEN CAST($%d AS TEXT)", countsAtColumn, n-2, countsAtColumn, n-1, n)
	}
	b.WriteString(" END")
	return b.String(), args
}

// StatsFirstYear is the year of the oldest figure the statistics hold, or
// that of now when there is none.
func (s *Store) StatsFirstYear(ctx context.Context, loc *time.Location) (int, error) {
	first := s.Now()
	state, err := s.statsState(ctx)
	if err != nil {
		return 0, err
	}
	// ORDER BY … LIMIT 1 rather than MIN(at): SQLite gives back an
	// aggregate's time as text, a column's as a time. The account events
	// count on the dates they mean: those counted already are in
	// stats_account_months; of the others, recorded since, the oldest date
	// is looked for among them only, through the index on the time recorded.
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT at, NULL FROM launches ORDER BY at LIMIT 1`, nil},
		{`SELECT at, counts_at FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 ORDER BY ` + countsAtColumn + ` LIMIT 1`,
			[]any{state.live(time.Time{}).UTC()}},
	} {
		var at time.Time
		var counts sql.NullTime
		err := s.scanStmts.QueryRowContext(ctx, q.sql, q.args...).Scan(&at, &counts)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("first statistics year: %w", err)
		}
		if counts.Valid {
			at = counts.Time
		}
		if err == nil && at.Before(first) {
			first = at
		}
	}
	year := first.In(loc).Year()
	for _, table := range []string{"stats_months", "stats_account_months"} {
		var month sql.NullString
		if err := s.scanStmts.QueryRowContext(ctx, `SELECT MIN(month) FROM `+table).Scan(&month); err != nil {
			return 0, fmt.Errorf("first statistics year: %w", err)
		}
		var y int
		if month.Valid {
			if _, err := fmt.Sscanf(month.String, "%d-", &y); err == nil && y < year {
				year = y
			}
		}
	}
	return year, nil
}

// FoldReport says what a run of the daily job did.
type FoldReport struct {
	Months   int // months whose last day was counted into the stats tables
	Launches int // launches deleted, their retention over
}

// Done reports whether the run changed anything.
func (r FoldReport) Done() bool { return r.Months > 0 || r.Launches > 0 }

// FoldLaunches is the daily job's work, in tx: it counts every day over
// (before the store's now) not counted yet, into its month's figures, then
// deletes the launches before cutoff, their retention over. It is
// idempotent and, across instances, done once: its first statement locks
// the row that says how far it went until tx ends. Days and months are
// those of loc.
func (t *Tx) FoldLaunches(ctx context.Context, cutoff time.Time, loc *time.Location) (FoldReport, error) {
	var report FoldReport
	if _, err := t.sql.ExecContext(ctx, `INSERT INTO stats_fold (id) VALUES (1) ON CONFLICT (id) DO NOTHING`); err != nil {
		return report, fmt.Errorf("fold: %w", err)
	}
	var state statsState
	err := t.sql.QueryRowContext(ctx, `UPDATE stats_fold SET last_run_at = $1 WHERE id = 1 RETURNING counted_until, kept_since, named_until`, t.store.Now()).
		Scan(&state.countedUntil, &state.keptSince, &state.namedUntil)
	if err != nil {
		return report, fmt.Errorf("fold: lock: %w", err)
	}

	now := t.store.Now().In(loc)
	until := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc) // today: counted tomorrow
	counted := until
	switch {
	case state.countedUntil.Valid:
		counted = state.countedUntil.Time
	default:
		// The first run counts every month there is something to count in.
		oldest, err := oldestFigure(ctx, t.sql)
		if err != nil {
			return report, err
		}
		if !oldest.IsZero() && oldest.Before(until) {
			counted = MonthOf(oldest, loc).Start
		}
	}
	named := counted
	if !state.namedUntil.Valid {
		// The first run since migration 0040 names every launch kept,
		// counted or not, so that runs of months can tell patrons apart.
		var at time.Time
		err := t.sql.QueryRowContext(ctx, `SELECT at FROM launches ORDER BY at LIMIT 1`).Scan(&at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return report, fmt.Errorf("fold: oldest launch: %w", err)
		}
		if err == nil && at.Before(named) {
			named = MonthOf(at, loc).Start
		}
	}
	for m := MonthOf(named, loc); m.Start.Before(until); m = m.Next() {
		end := m.End
		if until.Before(end) {
			end = until
		}
		// Counted already, not named: the first run since migration 0040.
		if a, b := later(m.Start, named), earlier(end, counted); a.Before(b) {
			if err := nameLaunches(ctx, t.sql, m, a, b); err != nil {
				return report, err
			}
		}
		a := later(m.Start, counted)
		if !a.Before(end) {
			continue
		}
		// Counted first: who is new to the month is told by the names
		// of the days before.
		if err := countLaunches(ctx, t.sql, m, a, end); err != nil {
			return report, err
		}
		if err := nameLaunches(ctx, t.sql, m, a, end); err != nil {
			return report, err
		}
		if end.Equal(m.End) {
			report.Months++
			// December counted, the year's figures are final: who was in
			// them need not be known any more.
			if m.Month == time.December {
				if _, err := t.sql.ExecContext(ctx, `DELETE FROM stats_year_patrons WHERE year <= $1`, m.Year); err != nil {
					return report, fmt.Errorf("count %s, forget the year's patrons: %w", m.Key(), err)
				}
			}
		}
	}
	if err := countAccountEvents(ctx, t.sql, state.countedUntil, until, loc); err != nil {
		return report, err
	}
	if counted.Before(until) {
		counted = until
	}
	if _, err := t.sql.ExecContext(ctx, `UPDATE stats_fold SET counted_until = $1, named_until = $1 WHERE id = 1`, counted.UTC()); err != nil {
		return report, fmt.Errorf("fold: %w", err)
	}

	// Only counted launches may go.
	cutoff = dbTime(cutoff)
	if cutoff.After(counted) {
		cutoff = counted.UTC()
	}
	if state.keptSince.Valid && !state.keptSince.Time.Before(cutoff) {
		return report, nil
	}
	res, err := t.sql.ExecContext(ctx, `DELETE FROM launches WHERE at < $1`, cutoff)
	if err != nil {
		return report, fmt.Errorf("fold: delete the launches past their retention: %w", err)
	}
	n, _ := res.RowsAffected()
	report.Launches = int(n)
	if _, err := t.sql.ExecContext(ctx, `UPDATE stats_fold SET kept_since = $1 WHERE id = 1`, cutoff); err != nil {
		return report, fmt.Errorf("fold: %w", err)
	}
	// A run of months whose users are told starts after the launches kept
	// (UsageOver): the names and firsts of the months before cutoff's are
	// read no more. A patron forgotten who comes back is counted anew from
	// '', which is before any such run too.
	gone := MonthOf(cutoff, loc).Key()
	if state.keptSince.Valid && MonthOf(state.keptSince.Time, loc).Key() == gone {
		return report, nil
	}
	for _, q := range []string{
		`DELETE FROM stats_patron_months WHERE last_month < $1`,
		`DELETE FROM stats_user_firsts WHERE month < $1`,
		`DELETE FROM stats_library_user_firsts WHERE month < $1`,
		`DELETE FROM stats_network_user_firsts WHERE month < $1`,
	} {
		if _, err := t.sql.ExecContext(ctx, q, gone); err != nil {
			return report, fmt.Errorf("fold: forget the months before %s: %w", gone, err)
		}
	}
	return report, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// oldestFigure is the time of the oldest launch or account event, zero
// when there is none.
func oldestFigure(ctx context.Context, tx *sql.Tx) (time.Time, error) {
	var oldest time.Time
	for _, q := range []string{
		`SELECT at FROM launches ORDER BY at LIMIT 1`,
		`SELECT at FROM audit_events WHERE action IN ` + statsActions + ` ORDER BY at LIMIT 1`,
	} {
		var at time.Time
		err := tx.QueryRowContext(ctx, q).Scan(&at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return oldest, fmt.Errorf("fold: oldest figure: %w", err)
		}
		if err == nil && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
	}
	return oldest, nil
}

// newPatrons is the SELECT of the patrons of the launches of [$2, $3) who
// are new to month $1, by library and resource (resource_id 0: any
// resource): their last month in stats_patron_months is before $1, or
// they have none. since is that month, or the empty string.
const newPatrons = `
	SELECT d.library_id, d.resource_id, COALESCE(p.last_month, '') AS since
	FROM (
		SELECT DISTINCT library_id, resource_id, patron_id FROM launches
		WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL
		UNION ALL
		SELECT DISTINCT library_id, 0, patron_id FROM launches
		WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL
	) AS d
	LEFT JOIN stats_patron_months p
		ON p.library_id = d.library_id AND p.patron_id = d.patron_id AND p.resource_id = d.resource_id
	WHERE p.last_month IS NULL OR p.last_month < $1`

// countLaunches adds the launches of [from, to), days of month m, to m's
// figures: launches and new users by library and resource, by library, and
// by resource for the whole network; the users of its year not counted
// yet, who are then remembered until the year is over. It must run before
// nameLaunches of the same days, which tells who is new to the month.
func countLaunches(ctx context.Context, tx *sql.Tx, m Month, from, to time.Time) error {
	from, to = from.UTC(), to.UTC()
	for _, q := range []struct{ what, sql string }{
		{"launches", `
			INSERT INTO stats_months (month, library_id, resource_id, launches, users)
			SELECT $1, library_id, resource_id, SUM(launches), SUM(users)
			FROM (
				SELECT library_id, resource_id, COUNT(*) AS launches, 0 AS users
				FROM launches
				WHERE at >= $2 AND at < $3
				GROUP BY library_id, resource_id
				UNION ALL
				SELECT library_id, resource_id, 0, COUNT(*)
				FROM (` + newPatrons + `) AS n
				WHERE resource_id <> 0
				GROUP BY library_id, resource_id
			) AS parts
			GROUP BY library_id, resource_id
			ON CONFLICT (month, library_id, resource_id) DO UPDATE SET
				launches = stats_months.launches + excluded.launches, users = stats_months.users + excluded.users`},
		{"launches by library", `
			INSERT INTO stats_library_months (month, library_id, launches, users)
			SELECT $1, library_id, SUM(launches), SUM(users)
			FROM (
				SELECT library_id, COUNT(*) AS launches, 0 AS users
				FROM launches
				WHERE at >= $2 AND at < $3
				GROUP BY library_id
				UNION ALL
				SELECT library_id, 0, COUNT(*)
				FROM (` + newPatrons + `) AS n
				WHERE resource_id = 0
				GROUP BY library_id
			) AS parts
			GROUP BY library_id
			ON CONFLICT (month, library_id) DO UPDATE SET
				launches = stats_library_months.launches + excluded.launches, users = stats_library_months.users + excluded.users`},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, m.Key(), from, to); err != nil {
			return fmt.Errorf("count %s, %s: %w", m.Key(), q.what, err)
		}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO stats_network_months (month, resource_id, launches, users)
		SELECT month, resource_id, SUM(launches), SUM(users)
		FROM stats_months
		WHERE month = $1
		GROUP BY month, resource_id
		ON CONFLICT (month, resource_id) DO UPDATE SET launches = excluded.launches, users = excluded.users`, m.Key())
	if err != nil {
		return fmt.Errorf("count %s, launches of the network: %w", m.Key(), err)
	}
	for _, q := range []struct{ what, sql string }{
		{"users of the year by resource", `
			INSERT INTO stats_years (year, library_id, resource_id, users)
			SELECT CAST($1 AS INTEGER), l.library_id, l.resource_id, COUNT(DISTINCT l.patron_id)
			FROM launches l
			WHERE l.at >= $2 AND l.at < $3 AND l.patron_id IS NOT NULL
				AND NOT EXISTS (
					SELECT 1 FROM stats_year_patrons f
					WHERE f.year = $1 AND f.library_id = l.library_id AND f.patron_id = l.patron_id AND f.resource_id = l.resource_id)
			GROUP BY l.library_id, l.resource_id
			ON CONFLICT (year, library_id, resource_id) DO UPDATE SET users = stats_years.users + excluded.users`},
		{"users of the year by library", `
			INSERT INTO stats_library_years (year, library_id, users)
			SELECT CAST($1 AS INTEGER), l.library_id, COUNT(DISTINCT l.patron_id)
			FROM launches l
			WHERE l.at >= $2 AND l.at < $3 AND l.patron_id IS NOT NULL
				AND NOT EXISTS (
					SELECT 1 FROM stats_year_patrons f
					WHERE f.year = $1 AND f.library_id = l.library_id AND f.patron_id = l.patron_id)
			GROUP BY l.library_id
			ON CONFLICT (year, library_id) DO UPDATE SET users = stats_library_years.users + excluded.users`},
		{"patrons of the year", `
			INSERT INTO stats_year_patrons (year, library_id, patron_id, resource_id)
			SELECT DISTINCT CAST($1 AS INTEGER), library_id, patron_id, resource_id
			FROM launches
			WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL
			ON CONFLICT (year, library_id, patron_id, resource_id) DO NOTHING`},
		{"launches of the year by library", `
			INSERT INTO stats_library_years (year, library_id, users, launches)
			SELECT CAST($1 AS INTEGER), library_id, 0, COUNT(*)
			FROM launches
			WHERE at >= $2 AND at < $3
			GROUP BY library_id
			ON CONFLICT (year, library_id) DO UPDATE SET launches = stats_library_years.launches + excluded.launches`},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, m.Year, from, to); err != nil {
			return fmt.Errorf("count %s, %s: %w", m.Key(), q.what, err)
		}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO stats_network_years (year, resource_id, users)
		SELECT year, resource_id, SUM(users)
		FROM stats_years
		WHERE year = $1
		GROUP BY year, resource_id
		ON CONFLICT (year, resource_id) DO UPDATE SET users = excluded.users`, m.Year)
	if err != nil {
		return fmt.Errorf("count %s, users of the year in the network: %w", m.Key(), err)
	}
	return nil
}

// nameLaunches counts the patrons of the launches of [from, to), days of
// month m, who are new to m into stats_user_firsts and the others, under
// the month they last launched in before, then makes m their last month.
func nameLaunches(ctx context.Context, tx *sql.Tx, m Month, from, to time.Time) error {
	from, to = from.UTC(), to.UTC()
	for _, q := range []struct{ what, sql string }{
		{"by library and resource", `
			INSERT INTO stats_user_firsts (library_id, month, since, resource_id, users)
			SELECT library_id, $1, since, resource_id, COUNT(*)
			FROM (` + newPatrons + `) AS n
			WHERE resource_id <> 0
			GROUP BY library_id, since, resource_id
			ON CONFLICT (library_id, month, since, resource_id) DO UPDATE SET users = stats_user_firsts.users + excluded.users`},
		{"by library", `
			INSERT INTO stats_library_user_firsts (library_id, month, since, users)
			SELECT library_id, $1, since, COUNT(*)
			FROM (` + newPatrons + `) AS n
			WHERE resource_id = 0
			GROUP BY library_id, since
			ON CONFLICT (library_id, month, since) DO UPDATE SET users = stats_library_user_firsts.users + excluded.users`},
		{"by resource", `
			INSERT INTO stats_network_user_firsts (month, since, resource_id, users)
			SELECT $1, since, resource_id, COUNT(*)
			FROM (` + newPatrons + `) AS n
			WHERE resource_id <> 0
			GROUP BY since, resource_id
			ON CONFLICT (month, since, resource_id) DO UPDATE SET users = stats_network_user_firsts.users + excluded.users`},
		{"last months", `
			INSERT INTO stats_patron_months (library_id, patron_id, resource_id, last_month)
			SELECT library_id, patron_id, resource_id, $1
			FROM (
				SELECT DISTINCT library_id, patron_id, resource_id FROM launches
				WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL
				UNION ALL
				SELECT DISTINCT library_id, patron_id, 0 FROM launches
				WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL
			) AS d
			WHERE true
			ON CONFLICT (library_id, patron_id, resource_id) DO UPDATE SET last_month = excluded.last_month`},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, m.Key(), from, to); err != nil {
			return fmt.Errorf("name %s, %s: %w", m.Key(), q.what, err)
		}
	}
	return nil
}

// countAccountEvents counts into stats_account_months the account events
// recorded since the last run (since; all of them at the first) and before
// until, each in the month of the date it means: mostly the current month
// or the one just over, but a registration typed in late goes to its own
// month, counted long ago maybe. An event counts no later than it was
// recorded (sesame.AuditAction.CountsAt), so none goes past until.
func countAccountEvents(ctx context.Context, tx *sql.Tx, since sql.NullTime, until time.Time, loc *time.Location) error {
	from := time.Time{}
	if since.Valid {
		from = since.Time
	}
	// ORDER BY … LIMIT 1 rather than MIN(): see StatsFirstYear.
	var oldest time.Time
	var counts sql.NullTime
	err := tx.QueryRowContext(ctx, `
		SELECT at, counts_at FROM audit_events
		WHERE action IN `+statsActions+` AND at >= $1 AND at < $2
		ORDER BY `+countsAtColumn+` LIMIT 1`, from.UTC(), until.UTC()).Scan(&oldest, &counts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("count account events: %w", err)
	}
	if counts.Valid {
		oldest = counts.Time
	}
	if !oldest.Before(until) {
		return nil
	}
	months := Months(MonthOf(oldest, loc), MonthOf(until.Add(-time.Nanosecond), loc))
	bucket, args := monthBuckets(months, sql.NullTime{Time: from, Valid: true})
	args = append(args, until.UTC())
	// #nosec G202 -- constants and placeholders ($n) only: the values are arguments.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO stats_account_months (month, library_id, registrations, validations, refusals, renewals, expiries)
		SELECT month, library_id,`+accountCounts+`
		FROM (SELECT `+bucket+` AS month, COALESCE(library_id, 0) AS library_id, action FROM audit_events
			WHERE action IN `+statsActions+` AND at >= $1 AND at < $`+fmt.Sprint(len(args))+` AND `+countsAtColumn+` >= $2 AND `+countsAtColumn+` < $3) AS recorded
		WHERE month IS NOT NULL
		GROUP BY month, library_id
		ON CONFLICT (month, library_id) DO UPDATE SET
			registrations = stats_account_months.registrations + excluded.registrations,
			validations = stats_account_months.validations + excluded.validations,
			refusals = stats_account_months.refusals + excluded.refusals,
			renewals = stats_account_months.renewals + excluded.renewals,
			expiries = stats_account_months.expiries + excluded.expiries`, args...)
	if err != nil {
		return fmt.Errorf("count account events: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO stats_network_account_months (month, registrations, validations, refusals, renewals, expiries)
		SELECT month, SUM(registrations), SUM(validations), SUM(refusals), SUM(renewals), SUM(expiries)
		FROM stats_account_months
		WHERE month >= $1 AND month <= $2
		GROUP BY month
		ON CONFLICT (month) DO UPDATE SET
			registrations = excluded.registrations, validations = excluded.validations, refusals = excluded.refusals,
			renewals = excluded.renewals, expiries = excluded.expiries`, months[0].Key(), months[len(months)-1].Key())
	if err != nil {
		return fmt.Errorf("count account events of the network: %w", err)
	}
	return nil
}

// scanEach calls fn on each row, then closes rows.
func scanEach(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
