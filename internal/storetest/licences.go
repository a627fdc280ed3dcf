package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testResourceOffers: a resource offered to one library only is listed for
// that library's patrons and refused to the others, whether the patron asks
// or staff activate it; its offer and caps round-trip.
func testResourceOffers(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	press, err := f.st.Resource(ctx, f.res[0])
	if err != nil {
		t.Fatal(err)
	}
	press.Offer = sesame.ResourceOffer{Restricted: true, Libraries: []int64{f.libA}}
	press.SeatCap, press.LibraryCaps, press.YearlyPrice = 5, map[int64]int{f.libA: 2}, 120050
	if err := f.st.UpdateResource(ctx, *press, sys); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Resource(ctx, f.res[0])
	if err != nil {
		t.Fatal(err)
	}
	if !got.Offer.Restricted || !slices.Equal(got.Offer.Libraries, []int64{f.libA}) || got.SeatCap != 5 || got.LibraryCaps[f.libA] != 2 || got.YearlyPrice != 120050 {
		t.Errorf("resource terms: got %+v", got)
	}
	a := f.patron(t, f.libA, "LE BIHAN", "Anne", "anne@example.org", sesame.StatusValidated)
	b := f.patron(t, f.libB, "CARIOU", "Bleuenn", "bleuenn@example.org", sesame.StatusValidated)
	names := func(id int64) []string {
		t.Helper()
		views, err := f.st.PatronGrants(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range views {
			out = append(out, v.Resource.Slug)
		}
		return out
	}
	if got := names(a); !slices.Contains(got, "pressreader") {
		t.Errorf("patron of the subscribed library: got %v, want pressreader among them", got)
	}
	if got := names(b); slices.Contains(got, "pressreader") {
		t.Errorf("patron of another library: got %v, want no pressreader", got)
	}
	offered, err := f.st.ResourcesOfferedTo(ctx, f.libB)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(offered, func(r sesame.Resource) bool { return r.ID == f.res[0] }) {
		t.Errorf("ResourcesOfferedTo(libB) lists pressreader")
	}
	_, err = f.st.SetGrants(ctx, store.NetworkScope(), b, f.res[:1], sesame.GrantValidated, sys)
	if sesame.ErrorCode(err) != sesame.EForbidden {
		t.Errorf("activation for a library without the offer: got %v, want EForbidden", err)
	}
	_, err = f.st.RequestGrants(ctx, store.LibraryScope(f.libB), b, f.res[:1], sys, func(*sesame.Patron) error { return nil }, nil)
	if sesame.ErrorCode(err) != sesame.EInvalid {
		t.Errorf("request for a library without the offer: got %v, want EInvalid", err)
	}
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), a, f.res[:1], sesame.GrantValidated, sys); err != nil {
		t.Errorf("activation for the subscribed library: %v", err)
	}
}

// testSeatCapWaitingList: a cap of 2 with 3 activations: the third waits,
// at position 1, then takes the seat the first frees when their account
// expires (the clock moved past the end date), in the same transaction as
// the expiry, audited; and the daily sweep frees the seat of an account
// past its end date that nobody used.
func testSeatCapWaitingList(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	press, err := f.st.Resource(ctx, f.res[1])
	if err != nil {
		t.Fatal(err)
	}
	press.SeatCap = 2
	if err := f.st.UpdateResource(ctx, *press, sys); err != nil {
		t.Fatal(err)
	}
	var told []int64
	f.st.OnSeatGranted(func(_ context.Context, _ *store.Tx, p *sesame.Patron, changes []sesame.Change) error {
		if !sesame.Has(changes, sesame.ChangeResourceGranted) {
			t.Errorf("seat granted: got %v, want a ChangeResourceGranted", changes)
		}
		told = append(told, p.ID)
		return nil
	})
	ids := []int64{
		f.patron(t, f.libA, "ABGRALL", "Annaig", "annaig@example.org", sesame.StatusValidated),
		f.patron(t, f.libB, "BIHAN", "Brieuc", "brieuc@example.org", sesame.StatusValidated),
		f.patron(t, f.libA, "CARIOU", "Corentin", "corentin@example.org", sesame.StatusValidated),
		f.patron(t, f.libB, "DERRIEN", "Dewi", "dewi@example.org", sesame.StatusValidated),
	}
	// The first ends earlier than the others.
	if _, err := f.st.UpdatePatron(ctx, store.NetworkScope(), ids[0], 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.ValidUntil = sesame.MustDate(2026, 12, 31)
		return store.Change{Action: sesame.ActionStatus, Detail: "fin"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	state := func(id int64) sesame.GrantState {
		t.Helper()
		g, err := f.st.PatronGrant(ctx, id, f.res[1])
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			return ""
		}
		return g.State
	}
	for i, id := range ids {
		if _, err := f.st.SetGrants(ctx, store.NetworkScope(), id, f.res[1:2], sesame.GrantValidated, sys); err != nil {
			t.Fatalf("activate %d: %v", i, err)
		}
		f.now = f.now.Add(time.Minute)
	}
	want := []sesame.GrantState{sesame.GrantValidated, sesame.GrantValidated, sesame.GrantWaiting, sesame.GrantWaiting}
	for i, id := range ids {
		if got := state(id); got != want[i] {
			t.Errorf("patron %d after activation: got %q, want %q", i, got, want[i])
		}
	}
	for i, wantPos := range []int{0, 0, 1, 2} {
		if got, err := f.st.WaitingPosition(ctx, ids[i], f.res[1]); err != nil || got != wantPos {
			t.Errorf("patron %d position: got %d (%v), want %d", i, got, err, wantPos)
		}
	}
	views, err := f.st.PatronGrants(ctx, store.NetworkScope(), ids[3])
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(views, func(v store.GrantView) bool { return v.Resource.ID == f.res[1] }); i < 0 || views[i].Position != 2 {
		t.Errorf("PatronGrants of the second in line: got %+v, want position 2", views)
	}
	// Activating a waiting patron again keeps them in line.
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), ids[2], f.res[1:2], sesame.GrantValidated, sys); err != nil || state(ids[2]) != sesame.GrantWaiting {
		t.Errorf("activated again: got %q (%v), want still waiting", state(ids[2]), err)
	}

	// The first's end date passes; at their next login the account expires
	// and the third, first in line, takes the seat in the same transaction.
	f.now = time.Date(2027, 1, 3, 9, 0, 0, 0, time.UTC)
	if _, err := f.st.UpdatePatron(ctx, store.NetworkScope(), ids[0], 0, sys, func(p *sesame.Patron) (store.Change, error) {
		if !p.AttemptAccess(sesame.MustDate(2027, 1, 3)) {
			t.Fatal("AttemptAccess: want the account expired")
		}
		return store.Change{Action: sesame.ActionExpiry, Detail: "expiré"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := state(ids[2]); got != sesame.GrantValidated {
		t.Errorf("first in line after the expiry: got %q, want %q", got, sesame.GrantValidated)
	}
	if got := state(ids[3]); got != sesame.GrantWaiting {
		t.Errorf("second in line after the expiry: got %q, want still waiting", got)
	}
	if !slices.Equal(told, ids[2:3]) {
		t.Errorf("patrons told: got %v, want %v", told, ids[2:3])
	}
	if got, _ := f.st.WaitingPosition(ctx, ids[3], f.res[1]); got != 1 {
		t.Errorf("second in line now: got position %d, want 1", got)
	}

	// Withdrawing a seat gives it to the next in line at once.
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), ids[1], f.res[1:2], store.GrantWithdrawn, sys); err != nil {
		t.Fatal(err)
	}
	if got := state(ids[3]); got != sesame.GrantValidated {
		t.Errorf("after a withdrawal: got %q, want %q", got, sesame.GrantValidated)
	}

	// A fifth waits; the third's end date passes without a login: the daily
	// sweep gives the seat away.
	fifth := f.patron(t, f.libA, "ELIES", "Erwan", "erwan@example.org", sesame.StatusValidated)
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), fifth, f.res[1:2], sesame.GrantValidated, sys); err != nil || state(fifth) != sesame.GrantWaiting {
		t.Fatalf("fifth: got %q (%v), want waiting", state(fifth), err)
	}
	if n, err := f.st.SweepSeats(ctx); err != nil || n != 0 {
		t.Errorf("sweep with no seat free: got %d (%v), want 0", n, err)
	}
	f.now = time.Date(2027, 4, 9, 9, 0, 0, 0, time.UTC) // every account but the fifth's… all end 2027-04-07
	if n, err := f.st.SweepSeats(ctx); err != nil {
		t.Fatal(err)
	} else if n != 0 {
		t.Errorf("sweep when the one waiting is past their own end date: got %d, want 0", n)
	}
	// Renewed, the fifth takes a free seat at once.
	if _, err := f.st.UpdatePatron(ctx, store.NetworkScope(), fifth, 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.ValidUntil = sesame.MustDate(2028, 4, 7)
		return store.Change{Action: sesame.ActionRenewal, Detail: "renouvelé"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := state(fifth); got != sesame.GrantValidated {
		t.Errorf("waiting patron renewed while seats are free: got %q, want %q", got, sesame.GrantValidated)
	}
}

// testSeatCapSweep: the daily sweep frees the seat of an account past its
// end date that its holder never used again.
func testSeatCapSweep(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	res, err := f.st.Resource(ctx, f.res[1])
	if err != nil {
		t.Fatal(err)
	}
	res.LibraryCaps = map[int64]int{f.libA: 1}
	if err := f.st.UpdateResource(ctx, *res, sys); err != nil {
		t.Fatal(err)
	}
	first := f.patron(t, f.libA, "ABGRALL", "Annaig", "annaig@example.org", sesame.StatusValidated)
	if _, err := f.st.UpdatePatron(ctx, store.NetworkScope(), first, 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.ValidUntil = sesame.MustDate(2026, 12, 31)
		return store.Change{Action: sesame.ActionStatus, Detail: "fin"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	second := f.patron(t, f.libA, "BIHAN", "Brieuc", "brieuc@example.org", sesame.StatusValidated)
	other := f.patron(t, f.libB, "CARIOU", "Corentin", "corentin@example.org", sesame.StatusValidated)
	for _, id := range []int64{first, second, other} {
		if _, err := f.st.SetGrants(ctx, store.NetworkScope(), id, f.res[1:2], sesame.GrantValidated, sys); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
	}
	g, _ := f.st.PatronGrant(ctx, other, f.res[1])
	if g == nil || g.State != sesame.GrantValidated {
		t.Errorf("a library without a cap of its own, network uncapped: got %+v, want validated", g)
	}
	if g, _ := f.st.PatronGrant(ctx, second, f.res[1]); g == nil || g.State != sesame.GrantWaiting {
		t.Fatalf("second of a library with 1 seat: got %+v, want waiting", g)
	}
	f.now = time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC)
	if n, err := f.st.SweepSeats(ctx); err != nil || n != 1 {
		t.Errorf("sweep: got %d (%v), want 1 activated", n, err)
	}
	if g, _ := f.st.PatronGrant(ctx, second, f.res[1]); g == nil || g.State != sesame.GrantValidated {
		t.Errorf("after the sweep: got %+v, want validated", g)
	}
	// Deleting the patron who holds the seat gives it to the next in line.
	third := f.patron(t, f.libA, "DERRIEN", "Dewi", "dewi@example.org", sesame.StatusValidated)
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), third, f.res[1:2], sesame.GrantValidated, sys); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeletePatron(ctx, store.NetworkScope(), second, sys); err != nil {
		t.Fatal(err)
	}
	if g, _ := f.st.PatronGrant(ctx, third, f.res[1]); g == nil || g.State != sesame.GrantValidated {
		t.Errorf("after a deletion: got %+v, want validated", g)
	}
}
