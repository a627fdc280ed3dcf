package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// An instance trusts its copy of the network's settings for a while, then
// reads them again: the while is counted on the store's clock, so that
// moving the clock in a test moves it too.
func testNetworkCacheFollowsTheStoreClock(t *testing.T, open Opener) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	// Two instances on one database: one saves, the other reads.
	dsn := freshDSN(t, open)
	instance := func() *store.Store {
		st, err := store.Open(ctx, dsn, store.Options{Now: clock})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	writer, reader := instance(), instance()
	if err := writer.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	name := func() string {
		n, err := reader.Network(ctx)
		if err != nil {
			t.Fatalf("network: %v", err)
		}
		return n.Name
	}
	if got := name(); got != "Sésame" {
		t.Fatalf("before any save: %q", got)
	}
	n := sesame.Network{Name: "Bibliothèque du Finistère", ContactEmail: "bdf@example.org", ValidityMonths: 12}
	if err := writer.SaveNetwork(ctx, n, sys); err != nil {
		t.Fatalf("save: %v", err)
	}
	if got := name(); got != "Sésame" {
		t.Errorf("right after another instance saved: %q, want the cached name", got)
	}
	advance(11 * time.Second)
	if got := name(); got != n.Name {
		t.Errorf("11 s later on the store's clock: %q, want %q", got, n.Name)
	}
}
