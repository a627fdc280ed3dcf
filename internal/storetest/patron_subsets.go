package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testPatronSubsets checks the lists a librarian asks for (issue #11): the
// accounts ending within 30 days, those past their end date (the domain's
// PastEndDate), those with a resource request « En attente »; and that the
// export and the bulk actions read exactly the rows the list shows.
func testPatronSubsets(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	today := sesame.DateOf(f.now, f.now.Location()) // 26/11/2026
	sc := store.LibraryScope(f.libA)
	endOn := func(id int64, until sesame.Date) {
		t.Helper()
		_, err := f.st.UpdatePatron(ctx, sc, id, 0, sys, func(p *sesame.Patron) (store.Change, error) {
			p.ValidUntil = until
			return store.Change{Action: sesame.ActionStatus, Detail: "date de fin"}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	endsToday := f.patron(t, f.libA, "AUJOURDHUI", "Ana", "ana@example.org", sesame.StatusValidated)
	endOn(endsToday, today)
	endsIn30 := f.patron(t, f.libA, "TRENTE", "Bob", "bob@example.org", sesame.StatusValidated)
	endOn(endsIn30, today.AddDays(30))
	endsIn31 := f.patron(t, f.libA, "TRENTEETUN", "Cid", "cid@example.org", sesame.StatusValidated)
	endOn(endsIn31, today.AddDays(31))
	endedYesterday := f.patron(t, f.libA, "HIER", "Dan", "dan@example.org", sesame.StatusValidated)
	endOn(endedYesterday, today.AddDays(-1))
	granted := f.patron(t, f.libA, "ACTIVE", "Eve", "eve@example.org", sesame.StatusValidated) // ends in 2027
	if _, err := f.st.SetGrants(ctx, sc, granted, f.res[:1], sesame.GrantValidated, sys); err != nil {
		t.Fatal(err)
	}
	toValidate := f.patron(t, f.libA, "AVALIDER", "Fox", "fox@example.org", sesame.StatusToValidate)
	// Another library's account ending soon, past its date: never in A's lists.
	other := f.patron(t, f.libB, "AILLEURS", "Gus", "gus@example.org", sesame.StatusValidated)
	endOn2 := func(until sesame.Date) {
		if _, err := f.st.UpdatePatron(ctx, store.LibraryScope(f.libB), other, 0, sys, func(p *sesame.Patron) (store.Change, error) {
			p.ValidUntil = until
			return store.Change{Action: sesame.ActionStatus, Detail: "date de fin"}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	endOn2(today.AddDays(-3))

	tests := []struct {
		name   string
		filter store.PatronFilter
		want   []int64 // in the list's order, by name
	}{
		{"ending within 30 days", store.PatronFilter{Subset: store.SubsetEndingSoon}, []int64{endsToday, endsIn30}},
		{"past the end date", store.PatronFilter{Subset: store.SubsetPastEndDate}, []int64{endedYesterday}},
		// Every fixture patron asked for the first resource at registration.
		{"resource awaiting", store.PatronFilter{Subset: store.SubsetPendingResource},
			[]int64{endsToday, toValidate, endedYesterday, endsIn30, endsIn31}},
		{"subset and search", store.PatronFilter{Subset: store.SubsetPendingResource, Query: "trente"}, []int64{endsIn30, endsIn31}},
		{"subset and status", store.PatronFilter{Subset: store.SubsetPendingResource, Status: sesame.StatusToValidate}, []int64{toValidate}},
		{"no subset", store.PatronFilter{Query: "example"},
			[]int64{granted, endsToday, toValidate, endedYesterday, endsIn30, endsIn31}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filter := tt.filter
			filter.Today, filter.Limit = today, 100
			page, err := f.st.ListPatrons(ctx, sc, filter)
			if err != nil {
				t.Fatal(err)
			}
			var listed []int64
			for _, r := range page.Rows {
				listed = append(listed, r.ID)
			}
			if !slices.Equal(listed, tt.want) || page.Total != len(tt.want) {
				t.Errorf("ListPatrons: got %v (total %d), want %v", listed, page.Total, tt.want)
			}
			var exported []int64
			err = f.st.EachPatron(ctx, sc, filter, func(r store.PatronRow) error {
				exported = append(exported, r.ID)
				i := slices.Index(listed, r.ID)
				if i < 0 {
					return nil
				}
				if want := page.Rows[i]; !slices.Equal(r.Resources, want.Resources) || !slices.Equal(r.Pending, want.Pending) {
					t.Errorf("EachPatron %d: resources %v, pending %v; the list shows %v, %v", r.ID, r.Resources, r.Pending, want.Resources, want.Pending)
				}
				return nil
			})
			if err != nil || !slices.Equal(exported, tt.want) {
				t.Errorf("EachPatron: got %v (%v), want %v", exported, err, tt.want)
			}
			ids, err := f.st.MatchingPatronIDs(ctx, sc, filter, 2)
			if err != nil || !slices.Equal(ids, tt.want[:min(2, len(tt.want))]) {
				t.Errorf("MatchingPatronIDs(limit 2): got %v (%v), want %v", ids, err, tt.want[:min(2, len(tt.want))])
			}
		})
	}

	// Past the end date in SQL is the domain's PastEndDate, patron by patron.
	all, err := f.st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	past, err := f.st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Subset: store.SubsetPastEndDate, Today: today, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all.Rows {
		listed := slices.ContainsFunc(past.Rows, func(p store.PatronRow) bool { return p.ID == r.ID })
		if listed != r.PastEndDate(today) {
			t.Errorf("%s: in « Date de fin dépassée »: %v, PastEndDate: %v", r.LastName, listed, r.PastEndDate(today))
		}
	}
}
