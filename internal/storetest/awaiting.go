package storetest

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testAwaitingQueue checks the « À traiter » queue against
// sesame.Patron.AwaitsStaff: a Validé account with a resource request « En
// attente » waits for the library as much as an account to decide (issue
// #10: validating an account left its requests out of the queue).
func testAwaitingQueue(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	grant := func(lib, id int64, state sesame.GrantState) {
		t.Helper()
		if _, err := f.st.SetGrants(ctx, store.LibraryScope(lib), id, f.res[:1], state, sys); err != nil {
			t.Fatal(err)
		}
	}
	toValidate := f.patron(t, f.libA, "UN", "Un", "un@example.org", sesame.StatusToValidate)
	validated := f.patron(t, f.libA, "DEUX", "Deux", "deux@example.org", sesame.StatusValidated)
	asking := f.patron(t, f.libA, "TROIS", "Trois", "trois@example.org", sesame.StatusValidated)
	f.patron(t, f.libA, "QUATRE", "Quatre", "quatre@example.org", sesame.StatusRefused)
	other := f.patron(t, f.libB, "CINQ", "Cinq", "cinq@example.org", sesame.StatusValidated)
	// Every patron of the fixture asked for the first resource.
	grant(f.libA, validated, sesame.GrantValidated)

	check := func(sc store.Scope, want []int64) {
		t.Helper()
		tally, err := f.st.Tally(ctx, sc)
		if err != nil || tally.Awaiting != len(want) {
			t.Errorf("Tally(%+v): got %d awaiting (%v), want %d", sc, tally.Awaiting, err, len(want))
		}
		counts, err := f.st.StatusCounts(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(counts, tally.ByStatus) {
			t.Errorf("Tally(%+v): counts %v, StatusCounts %v", sc, tally.ByStatus, counts)
		}
		for _, filter := range []store.PatronFilter{{Awaiting: true, Limit: 50}, {Awaiting: true, Limit: 50, Counts: counts}} {
			page, err := f.st.ListPatrons(ctx, sc, filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range page.Rows {
				got = append(got, r.ID)
			}
			slices.Sort(got)
			if page.Total != len(want) || !slices.Equal(got, want) {
				t.Errorf("queue of %+v (counts given: %v): got %v, total %d, want %v", sc, filter.Counts != nil, got, page.Total, want)
			}
		}
	}
	check(store.LibraryScope(f.libA), []int64{toValidate, asking})
	check(store.NetworkScope(), []int64{toValidate, asking, other})

	// Deciding the request takes the account out of the queue.
	grant(f.libA, asking, sesame.GrantValidated)
	check(store.LibraryScope(f.libA), []int64{toValidate})

	// A resource withdrawn back to « En attente » puts it back, once.
	grant(f.libA, asking, sesame.GrantPending)
	grant(f.libA, asking, sesame.GrantPending)
	check(store.LibraryScope(f.libA), []int64{toValidate, asking})

	// An account deleted leaves the queue, its grants with it.
	if err := f.st.DeleteOwnAccount(ctx, asking); err != nil {
		t.Fatal(err)
	}
	check(store.LibraryScope(f.libA), []int64{toValidate})
	check(store.NetworkScope(), []int64{toValidate, other})
}
