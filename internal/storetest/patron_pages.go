package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// pageIDs is the ids of a page's rows, in order.
func pageIDs(p store.PatronPage) []int64 {
	ids := make([]int64, len(p.Rows))
	for i, r := range p.Rows {
		ids[i] = r.ID
	}
	return ids
}

// testKeysetPages checks that the pages reached through a cursor (the
// patron after or before which a page starts), and the pages past the
// middle that are counted from the end, are exactly the pages an OFFSET
// gives, for every sort, both ways, with and without a search.
func testKeysetPages(t *testing.T, open Opener) {
	f := newFixture(t, open)
	names := []string{"Le Gall", "LE GALL", "le gall", "Abgrall", "Élies", "Cariou", "Quéré", "Tanguy", "Bihan", "Œuvrard", "Zéro", "Ézou", "Guéguen"}
	statuses := []sesame.Status{sesame.StatusToValidate, sesame.StatusValidated, sesame.StatusRefused}
	for i := 0; i < 23; i++ {
		f.patron(t, f.libA, names[i%len(names)], fmt.Sprintf("Prénom%02d", (i*7)%23), fmt.Sprintf("k%d@example.org", i), statuses[i%len(statuses)])
	}
	f.patron(t, f.libB, "Abgrall", "Autre", "autre@example.org", sesame.StatusValidated)
	sc := store.LibraryScope(f.libA)
	// Every patron's e-mail holds « example »: the search's pages must be
	// the list's, whichever way each engine reads a search's matches.
	for _, query := range []string{"", "example"} {
		for _, sort := range []string{store.SortLastName, store.SortFirstName, store.SortStatus, store.SortRegistered, store.SortWaiting} {
			for _, desc := range []bool{false, true} {
				testKeysetPagesOf(t, f, sc, query, sort, desc)
			}
		}
	}
}

// testKeysetPagesOf is testKeysetPages for one search, sort and direction.
func testKeysetPagesOf(t *testing.T, f *fixture, sc store.Scope, query, sort string, desc bool) {
	ctx := context.Background()
	const size = 5
	t.Run(fmt.Sprintf("q=%q %s desc=%v", query, sort, desc), func(t *testing.T) {
		all, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: query, Sort: sort, Desc: desc, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := pageIDs(all)
		if len(want) != 23 || all.Total != 23 || all.More {
			t.Fatalf("whole list: got %d rows, total %d (more %v), want 23", len(want), all.Total, all.More)
		}
		var pages [][]int64
		for start := 0; start < len(want); start += size {
			pages = append(pages, want[start:min(start+size, len(want))])
		}
		for i, wantPage := range pages {
			// A bare ?page=N: an OFFSET, from the end past the middle.
			got, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: query, Sort: sort, Desc: desc, Limit: size, Offset: i * size})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pageIDs(got), wantPage) || got.Total != 23 {
				t.Errorf("page %d by offset: got %v (total %d), want %v", i+1, pageIDs(got), got.Total, wantPage)
			}
			if i+1 < len(pages) { // « Page suivante »: after this page's last patron
				got, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: query, Sort: sort, Desc: desc, Limit: size, After: wantPage[len(wantPage)-1]})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pageIDs(got), pages[i+1]) {
					t.Errorf("page after page %d: got %v, want %v", i+1, pageIDs(got), pages[i+1])
				}
			}
			if i > 0 { // « Page précédente »: before this page's first patron
				got, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: query, Sort: sort, Desc: desc, Limit: size, Before: wantPage[0]})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pageIDs(got), pages[i-1]) {
					t.Errorf("page before page %d: got %v, want %v", i+1, pageIDs(got), pages[i-1])
				}
			}
		}
		got, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: query, Sort: sort, Desc: desc, Limit: size, Offset: 25})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != 0 || got.Total != 23 {
			t.Errorf("page past the end: got %v (total %d), want none of 23", pageIDs(got), got.Total)
		}
	})
}

// testSearchCountBounded checks the search's bounded count: past CountUpTo
// the total stops and says so, and the rows are the same whichever way the
// store reads them (the trigram index, or the list's order for many
// matches); without a bound the count is exact.
func testSearchCountBounded(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	for i := 0; i < 12; i++ {
		f.patron(t, f.libA, fmt.Sprintf("Le Bihan%c", 'A'+i), fmt.Sprintf("Gwénaëlle%02d", i), fmt.Sprintf("lb%d@example.org", i), sesame.StatusValidated)
	}
	f.patron(t, f.libA, "Tanguy", "Yann", "ty@example.org", sesame.StatusValidated)
	f.patron(t, f.libB, "Le Bihan", "Autre", "autre@example.org", sesame.StatusValidated)
	sc := store.LibraryScope(f.libA)
	tests := []struct {
		name      string
		query     string
		upTo      int
		offset    int
		desc      bool
		status    sesame.Status
		wantTotal int
		wantMore  bool
	}{
		{"exact, long word", "GWENAELLE", 0, 4, false, "", 12, false},
		{"exact, short word (every e-mail holds « example »)", "le", 0, 4, false, "", 13, false},
		{"under the bound", "bihan", 20, 4, false, "", 12, false},
		{"under the bound, first page", "bihan", 20, 0, false, "", 12, false},
		{"under the bound, first page, Z to A", "bihan", 20, 0, true, "", 12, false},
		{"under the bound, past the last page", "bihan", 20, 12, false, "", 12, false},
		{"at the bound", "bihan", 12, 4, false, "", 12, false},
		{"under the bound, with the status", "bihan", 20, 4, false, sesame.StatusValidated, 12, false},
		{"under the bound, another status", "bihan", 20, 0, false, sesame.StatusToValidate, 0, false},
		{"past the bound, with the status", "gwénaëlle", 5, 4, false, sesame.StatusValidated, 5, true},
		{"past the bound, short word, with the status", "le", 5, 4, false, sesame.StatusValidated, 5, true},
		{"past the bound, long word", "gwénaëlle", 5, 4, false, "", 5, true},
		{"past the bound, long word, first page", "gwénaëlle", 5, 0, false, "", 5, true},
		{"past the bound, short word", "an", 5, 4, false, "", 5, true},
		{"past the bound, two words", "le bihan", 5, 4, false, "", 5, true},
		{"none", "kerjean", 5, 4, false, "", 0, false},
		{"none, first page", "kerjean", 5, 0, false, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exact, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: tt.query, Status: tt.status, Limit: 4, Offset: tt.offset, Desc: tt.desc})
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: tt.query, Status: tt.status, Limit: 4, Offset: tt.offset, Desc: tt.desc, CountUpTo: tt.upTo})
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != tt.wantTotal || got.More != tt.wantMore {
				t.Errorf("total: got %d (more %v), want %d (more %v)", got.Total, got.More, tt.wantTotal, tt.wantMore)
			}
			if !slices.Equal(pageIDs(got), pageIDs(exact)) {
				t.Errorf("rows: got %v, want %v as without a bound", pageIDs(got), pageIDs(exact))
			}
		})
	}
}
