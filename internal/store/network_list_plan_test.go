package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// openPlanStore opens an empty SQLite store whose query plans a test reads.
func openPlanStore(t testing.TB) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// sqlitePlan is SQLite's plan for query, its steps joined by " | ".
func sqlitePlan(t testing.TB, st *Store, query string, args ...any) string {
	t.Helper()
	rows, err := st.readPool.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, " | ")
}

// TestNetworkListUsesIndex guards « Abonnés du réseau »: sorted across every
// library, each of its sorts must read an index in order (the
// patrons_network_by_* indexes), never sort the whole network's patrons.
func TestNetworkListUsesIndex(t *testing.T) {
	st := openPlanStore(t)
	tests := []struct {
		sort  string
		index string
	}{
		{SortLastName, "patrons_network_by_name"},
		{SortFirstName, "patrons_network_by_first_name"},
		{SortStatus, "patrons_network_by_status"},
		{SortRegistered, "patrons_network_by_registration"},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			got := sqlitePlan(t, st, `SELECT p.id FROM patrons p WHERE 1 = 1 ORDER BY `+orderBy(tt.sort, desc)+` LIMIT 10 OFFSET 0`)
			if !strings.Contains(got, tt.index) || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("sort %s (desc %v): plan %q, want %s read in order, no sort", tt.sort, desc, got, tt.index)
			}
		}
	}
}
