package store

import (
	"strings"
	"testing"
	"time"
)

// TestStatsIndexesUsed: SQLite uses a partial index only for a query that
// repeats its WHERE word for word, so the account events' list must be the
// migration's; and the library's queries go through the library's indexes.
func TestStatsIndexesUsed(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		body, err := migrationFiles.ReadFile("migrations/" + dialect + "/0013_stats.sql")
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(body), "WHERE action IN "+statsActions); n != 2 {
			t.Errorf("%s: the list of account events appears %d times in 0013_stats.sql, want 2 (both partial indexes)", dialect, n)
		}
	}
	s := openPlanStore(t)
	now := time.Now().UTC()
	tests := []struct {
		query string
		args  []any
		index string
	}{
		{`SELECT COUNT(*) FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 AND at < $2 AND library_id = $3`,
			[]any{now, now, 1}, "audit_stats_by_library"},
		{`SELECT COUNT(*) FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 AND at < $2`,
			[]any{now, now}, "audit_stats_by_time"},
		// The account events not counted yet, placed in the months of the
		// dates they mean (AccountEventsByMonth, countAccountEvents,
		// StatsFirstYear): found by the time they were recorded.
		{`SELECT COUNT(*) FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 AND ` + countsAtColumn + ` >= $2 AND ` + countsAtColumn + ` < $3 AND library_id = $4`,
			[]any{now, now, now, 1}, "audit_stats_by_library"},
		{`SELECT COUNT(*) FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 AND ` + countsAtColumn + ` >= $2 AND ` + countsAtColumn + ` < $3`,
			[]any{now, now, now}, "audit_stats_by_time"},
		{`SELECT COUNT(*) FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 AND at < $4 AND ` + countsAtColumn + ` >= $2 AND ` + countsAtColumn + ` < $3`,
			[]any{now, now, now, now}, "audit_stats_by_time"},
		{`SELECT at, counts_at FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 AND at < $2 ORDER BY ` + countsAtColumn + ` LIMIT 1`,
			[]any{now, now}, "audit_stats_by_time"},
		{`SELECT at, counts_at FROM audit_events WHERE action IN ` + statsActions + ` AND at >= $1 ORDER BY ` + countsAtColumn + ` LIMIT 1`,
			[]any{now}, "audit_stats_by_time"},
		{`SELECT COUNT(*) FROM launches WHERE at >= $1 AND at < $2 AND library_id = $3`, []any{now, now, 1}, "launches_by_library"},
		{`SELECT SUM(launches) FROM stats_months WHERE month >= $1 AND month <= $2 AND library_id = $3`, []any{"2026-01", "2026-12", 1}, "stats_months_by_library"},
		// Runs of months (runUsers): a library's firsts by its key; the
		// patrons not counted yet looked up one by one in their last months.
		{`SELECT resource_id, SUM(users) FROM stats_user_firsts WHERE month >= $1 AND month <= $2 AND since < $1 AND library_id = $3 GROUP BY resource_id`,
			[]any{"2026-08", "2026-11", 1}, "sqlite_autoindex_stats_user_firsts_1 (library_id=? AND month>? AND month<?)"},
		{`SELECT library_id, SUM(users) FROM stats_library_user_firsts WHERE month >= $1 AND month <= $2 AND since < $1 AND library_id = $3 GROUP BY library_id`,
			[]any{"2026-08", "2026-11", 1}, "sqlite_autoindex_stats_library_user_firsts_1 (library_id=? AND month>? AND month<?)"},
		{`SELECT resource_id, SUM(users) FROM stats_network_user_firsts WHERE month >= $1 AND month <= $2 AND since < $1 GROUP BY resource_id`,
			[]any{"2026-08", "2026-11"}, "sqlite_autoindex_stats_network_user_firsts_1 (month>? AND month<?)"},
		{`SELECT l.resource_id, COUNT(*) FROM (SELECT DISTINCT library_id, resource_id, patron_id FROM launches
			WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL AND library_id = $4) AS l
			WHERE NOT EXISTS (SELECT 1 FROM stats_patron_months p
				WHERE p.library_id = l.library_id AND p.patron_id = l.patron_id AND p.resource_id = l.resource_id AND p.last_month >= $1)
			GROUP BY l.resource_id`, []any{"2026-11", now, now, 1}, "SEARCH p USING PRIMARY KEY (library_id=? AND patron_id=? AND resource_id=?)"},
		{`SELECT l.resource_id, COUNT(*) FROM (SELECT DISTINCT library_id, resource_id, patron_id FROM launches
			WHERE at >= $2 AND at < $3 AND patron_id IS NOT NULL AND library_id = $4) AS l
			WHERE NOT EXISTS (SELECT 1 FROM stats_patron_months p
				WHERE p.library_id = l.library_id AND p.patron_id = l.patron_id AND p.resource_id = l.resource_id AND p.last_month >= $1)
			GROUP BY l.resource_id`, []any{"2026-11", now, now, 1}, "launches_by_library"},
	}
	for _, tt := range tests {
		if got := sqlitePlan(t, s, tt.query, tt.args...); !strings.Contains(got, tt.index) {
			t.Errorf("%s\nplan: %s\nwant it to use %s", tt.query, got, tt.index)
		}
	}
}
