package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// TestSeatCapHoldsUnderConcurrentActivations activates one resource with a
// cap of 3 for 12 patrons at once, from 6 stores on the same PostgreSQL
// database, as 6 instances would: exactly 3 hold a seat, the 9 others wait.
func TestSeatCapHoldsUnderConcurrentActivations(t *testing.T) {
	dsn := storetest.PostgresDSN(t) // skips without PostgreSQL
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	open := func() *store.Store {
		st, err := store.Open(ctx, dsn, store.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	first := open()
	if err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	actor := sesame.Actor{Label: "test"}
	lib, err := first.CreateLibrary(ctx, sesame.Library{Code: "BREST", Name: "Médiathèque de Brest", Town: "Brest", ContactEmail: "b@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	res, err := first.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", URL: "https://example.org/", SeatCap: 3}, actor)
	if err != nil {
		t.Fatal(err)
	}
	var patrons []int64
	for i := range 12 {
		p := sesame.Patron{LibraryID: lib, LastName: "ABGRALL", FirstName: fmt.Sprintf("Annaig%d", i), Email: fmt.Sprintf("a%d@example.org", i),
			BirthDate: sesame.MustDate(1980, 2, 29), PostalCode: "29200", Town: "Brest", RegisteredOn: sesame.MustDate(2026, 1, 2),
			Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 4, 7), ValidUntil: sesame.MustDate(2027, 4, 7)}
		id, err := first.CreatePatron(ctx, store.NewPatron{Patron: p}, actor)
		if err != nil {
			t.Fatal(err)
		}
		patrons = append(patrons, id)
	}
	stores := []*store.Store{first}
	for range 5 {
		stores = append(stores, open())
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(patrons))
	for i, id := range patrons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := stores[i%len(stores)].SetGrants(ctx, store.NetworkScope(), id, []int64{res}, sesame.GrantValidated, actor)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("activation: %v", err)
		}
	}
	count := map[sesame.GrantState]int{}
	for _, id := range patrons {
		g, err := first.PatronGrant(ctx, id, res)
		if err != nil || g == nil {
			t.Fatalf("grant of %d: %v %v", id, g, err)
		}
		count[g.State]++
	}
	if count[sesame.GrantValidated] != 3 || count[sesame.GrantWaiting] != 9 {
		t.Errorf("after 12 concurrent activations with a cap of 3: got %v, want 3 validated and 9 waiting", count)
	}
}
