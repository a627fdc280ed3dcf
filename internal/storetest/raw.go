package storetest

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// RawDB reads a database directly, not through the store, as a backup or an
// intruder would: for the tests that check what is stored, such as a
// secret kept out of the outbox's bodies, or jobs held by a dead instance.
type RawDB struct{ db *sql.DB }

// OpenRaw opens the database dsn names, read-only on SQLite, closed at the
// end of the test.
func OpenRaw(t testing.TB, dsn string) RawDB {
	t.Helper()
	return RawDB{openSQL(t, dsn, true)}
}

// openSQL opens the database dsn names with database/sql, read-only on
// SQLite when readOnly is set, closed at the end of the test.
func openSQL(t testing.TB, dsn string, readOnly bool) *sql.DB {
	t.Helper()
	driver, source := "sqlite", "file:"+dsn+"?_time_format=sqlite"
	if readOnly {
		source += "&mode=ro"
	}
	if store.IsPostgres(dsn) {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ReadRows reads every row of query, given args, from the database dsn
// names (RawDB.Rows), opened for this query only.
func ReadRows(t testing.TB, dsn, query string, args ...any) [][]string {
	t.Helper()
	return OpenRaw(t, dsn).Rows(t, query, args...)
}

// Rows reads every row of query, given args, as strings: times in UTC,
// booleans as 0 or 1, NULL as "<nil>".
func (r RawDB) Rows(t testing.TB, query string, args ...any) [][]string {
	t.Helper()
	rows, err := r.db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var all [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case time.Time:
				v = x.UTC().Format(time.RFC3339Nano)
			case bool: // PostgreSQL's BOOLEAN, which SQLite gives as 0 or 1
				v = map[bool]int64{false: 0, true: 1}[x]
			}
			row[i] = fmt.Sprint(v)
		}
		all = append(all, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

// Count is the one number query, a SELECT COUNT(*), gives.
func (r RawDB) Count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
