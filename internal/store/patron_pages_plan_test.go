package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestSearchInOrderUsesNameIndex guards a search that matches many patrons
// (« le », « an »): it reads the library's name index in order, checking
// the search text carried by the index (migration 0038), and stops at the
// page's last match: no row read to check a word, no sort of every match.
func TestSearchInOrderUsesNameIndex(t *testing.T) {
	st := openPlanStore(t)
	for _, q := range []string{"le", "an", "nolwenn", "le bihan"} {
		t.Run(q, func(t *testing.T) {
			from, where, args, _ := st.patronQueryLike(LibraryScope(7), PatronFilter{Query: q}, true)
			args = append(args, 10, 0)
			got := sqlitePlan(t, st, fmt.Sprintf(`SELECT p.id FROM %s %s ORDER BY %s LIMIT $%d OFFSET $%d`,
				from, where, orderBy(SortLastName, false), len(args)-1, len(args)), args...)
			if !strings.Contains(got, "COVERING INDEX patrons_by_name") || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan %q, want patrons_by_name covering, read in order", got)
			}
			// The bounded count reads the same index alone.
			got = sqlitePlan(t, st, fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM %s %s LIMIT 1001) counted`, from, where), args[:len(args)-2]...)
			if !strings.Contains(got, "COVERING INDEX") {
				t.Errorf("count plan %q, want a covering index", got)
			}
		})
	}
}

// TestKeysetSeeksIndex guards deep pages: a page after (or before) a patron
// seeks the list's index to that patron's key, whatever the sort, instead
// of skipping every entry before it.
func TestKeysetSeeksIndex(t *testing.T) {
	st := openPlanStore(t)
	tests := []struct {
		sort  string
		index string
	}{
		{SortLastName, "patrons_by_name"},
		{SortFirstName, "patrons_by_first_name"},
		{SortStatus, "patrons_by_status"},
		{SortRegistered, "patrons_by_registration"},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			args := []any{}
			where := "WHERE 1 = 1" + LibraryScope(7).clause("p.library_id", &args) + keysetClause(tt.sort, desc, 42, &args)
			got := sqlitePlan(t, st, `SELECT p.id FROM patrons p `+where+` ORDER BY `+orderBy(tt.sort, desc)+` LIMIT 10`, args...)
			if !strings.Contains(got, tt.index+" (library_id=? AND") || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("sort %s (desc %v): plan %q, want a seek into %s, no sort", tt.sort, desc, got, tt.index)
			}
		}
	}
}
