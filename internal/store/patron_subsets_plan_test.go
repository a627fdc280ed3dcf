package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
)

// TestSubsetsUseIndexes guards the lists a librarian asks for: each is read
// from an index of migration 0025, never by reading every patron of the
// library or every grant.
func TestSubsetsUseIndexes(t *testing.T) {
	st := openPlanStore(t)
	today := sesame.MustDate(2026, 11, 26)
	tests := []struct {
		subset Subset
		index  string
	}{
		{SubsetEndingSoon, "patrons_by_end_in_library"},
		{SubsetPastEndDate, "patrons_by_end_in_library"},
		{SubsetPendingResource, "grants_by_state"},
	}
	for _, tt := range tests {
		t.Run(string(tt.subset), func(t *testing.T) {
			from, where, args, _ := st.patronQuery(LibraryScope(7), PatronFilter{Subset: tt.subset, Today: today})
			got := sqlitePlan(t, st, fmt.Sprintf("SELECT COUNT(*) FROM %s %s", from, where), args...)
			if !strings.Contains(got, tt.index) {
				t.Errorf("plan %q, want %s used", got, tt.index)
			}
		})
	}
}

// TestAwaitingCountUsesPartialIndex guards the menu's « À traiter » count
// (Tally), on every staff page: the Validé accounts with a request are
// read from the partial index of migration 0039, never by probing each
// Validé patron's grants.
func TestAwaitingCountUsesPartialIndex(t *testing.T) {
	st := openPlanStore(t)
	for _, sc := range []Scope{LibraryScope(7), NetworkScope()} {
		var args []any
		query := st.tallyQuery(sc, &args)
		if got := sqlitePlan(t, st, query, args...); !strings.Contains(got, "patrons_validated_with_requests") {
			t.Errorf("scope %+v: plan %q, want patrons_validated_with_requests used", sc, got)
		}
	}
}
