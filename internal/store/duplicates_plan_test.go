package store

import (
	"strings"
	"testing"
)

// TestDuplicatesQueryUsesIndex guards the cost of the possible-duplicates
// notice, which every view of a record asks for: SQLite must seek it on the
// library and both folded names, through patrons_by_name or
// patrons_by_first_name, which both hold them, then the id; never scan a
// library's patrons, nor sort.
func TestDuplicatesQueryUsesIndex(t *testing.T) {
	st := openPlanStore(t)
	got := sqlitePlan(t, st, duplicatesQuery, 1, "le goff", "mael", "2012-06-01", 1, maxDuplicates)
	seek := strings.HasPrefix(got, "SEARCH patrons USING INDEX patrons_by_name (library_id=? AND sort_last=? AND sort_first=?") ||
		strings.HasPrefix(got, "SEARCH patrons USING INDEX patrons_by_first_name (library_id=? AND sort_first=? AND sort_last=?")
	if !seek || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan: got %q, want one seek on the library and both folded names, and no sort", got)
	}
}
