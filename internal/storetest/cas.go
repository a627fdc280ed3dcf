package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// twoInstances opens the same database twice, as two instances of Sésame
// behind one load balancer do.
func twoInstances(t *testing.T, open Opener) (a, b *store.Store) {
	t.Helper()
	ctx := context.Background()
	dsn := freshDSN(t, open)
	reopen := func() *store.Store {
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a = reopen()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return a, reopen()
}

// casFixture makes a library, a resource with a CAS connector, and a patron.
func casFixture(t *testing.T, st *store.Store) (patron, resource, connector int64) {
	t.Helper()
	ctx := context.Background()
	actor := sesame.Actor{Label: "test"}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Quimper", Town: "Quimper", ContactEmail: "q@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	resource, err = st.CreateResource(ctx, sesame.Resource{Slug: "presse", Name: "Presse", Description: "d", URL: "https://example.org/"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	patron, err = st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "KERJEAN", FirstName: "Yann",
		Email: "yann@example.org", BirthDate: sesame.MustDate(1980, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1),
		Status: sesame.StatusToValidate}, ResourceIDs: []int64{resource}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	connector, err = st.CreateConnector(ctx, sesame.Connector{ResourceID: resource, Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: "https://presse.example/"}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	return patron, resource, connector
}

// testCASTicketsRedeemOnce races two instances, four requests each, on
// every ticket: each ticket is redeemed exactly once.
func testCASTicketsRedeemOnce(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := twoInstances(t, open)
	patron, res, conn := casFixture(t, a)
	const tickets = 50
	now := time.Now()
	for i := range tickets {
		user, err := a.IssueCASTicket(ctx, store.CASTicket{Hash: fmt.Sprint("hash-", i), Service: "https://presse.example/",
			PatronID: patron, ConnectorID: conn, AuthAt: now, ExpiresAt: now.Add(time.Minute),
			Attributes: store.CASAttributes{LastName: "KERJEAN"}}, res, fmt.Sprint("new-user-", i))
		if err != nil {
			t.Fatal(err)
		}
		if user != "new-user-0" {
			t.Fatalf("ticket %d: user %q, want the first pseudonym, new-user-0, kept", i, user)
		}
	}
	var redeemed [tickets]atomic.Int32
	var wg sync.WaitGroup
	for _, st := range []*store.Store{a, b, a, b, a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tickets {
				got, err := st.RedeemCASTicket(ctx, fmt.Sprint("hash-", i))
				switch {
				case sesame.ErrorCode(err) == sesame.ENotFound:
				case err != nil:
					t.Error(err)
				default:
					redeemed[i].Add(1)
					if got.User != "new-user-0" || got.Service != "https://presse.example/" || got.Attributes.LastName != "KERJEAN" || !got.ExpiresAt.After(now) {
						t.Errorf("ticket %d came back as %+v", i, got)
					}
				}
			}
		}()
	}
	wg.Wait()
	for i := range redeemed {
		if n := redeemed[i].Load(); n != 1 {
			t.Errorf("ticket %d redeemed %d times, want once", i, n)
		}
	}
}

// testPurgeTakesExpiredCASTickets: tickets and login tickets past their
// time go; the others stay.
func testPurgeTakesExpiredCASTickets(t *testing.T, open Opener) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := open(t, clock)
	patron, res, conn := casFixture(t, st)
	for _, tk := range []struct {
		hash string
		ttl  time.Duration
	}{{"short", 10 * time.Second}, {"long", time.Hour}} {
		_, err := st.IssueCASTicket(ctx, store.CASTicket{Hash: tk.hash, Service: "https://presse.example/", PatronID: patron,
			ConnectorID: conn, AuthAt: now, ExpiresAt: now.Add(tk.ttl)}, res, "u")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveCASLogin(ctx, "login-"+tk.hash, store.CASLogin{CreatedAt: now, ExpiresAt: now.Add(tk.ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if err := st.Update(ctx, func(tx *store.Tx) error {
		return tx.PurgeExpired(ctx, clock().Add(-12*time.Hour), clock().Add(-24*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hash string
		kept bool
	}{{"short", false}, {"long", true}} {
		_, err := st.RedeemCASTicket(ctx, tt.hash)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("ticket %s after the purge: got kept %v (%v), want %v", tt.hash, kept, err, tt.kept)
		}
		_, err = st.RedeemCASLogin(ctx, "login-"+tt.hash)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("login ticket %s after the purge: got kept %v (%v), want %v", tt.hash, kept, err, tt.kept)
		}
	}
}
