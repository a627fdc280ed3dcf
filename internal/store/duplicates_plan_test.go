package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuplicatesQueryUsesIndex guards the cost of the possible-duplicates
// notice, which every view of a record asks for: SQLite must seek it on the
// library and both folded names, through patrons_by_name or
// patrons_by_first_name, which both hold them, then the id; never scan a
// library's patrons, nor sort.
func TestDuplicatesQueryUsesIndex(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.readPool.QueryContext(ctx, `EXPLAIN QUERY PLAN `+duplicatesQuery, 1, "le goff", "mael", "2012-06-01", 1, maxDuplicates)
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
	got := strings.Join(plan, " | ")
	seek := strings.HasPrefix(got, "SEARCH patrons USING INDEX patrons_by_name (library_id=? AND sort_last=? AND sort_first=?") ||
		strings.HasPrefix(got, "SEARCH patrons USING INDEX patrons_by_first_name (library_id=? AND sort_first=? AND sort_last=?")
	if !seek || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan: got %q, want one seek on the library and both folded names, and no sort", got)
	}
}
