package demo_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/storetest"
)

// The demo's past launches make the statistics pages show something: they
// fall on validated resources of Validé patrons, within the months asked,
// never today or later.
func TestSeedDrawsPastLaunches(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	st := storetest.OpenSQLite(t, func() time.Time { return now })
	today := sesame.DateOf(now, time.UTC)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}
	if _, err := demo.Seed(ctx, st, hasher, demo.Options{Patrons: 300, Today: today, UsageMonths: 8}); err != nil {
		t.Fatal(err)
	}
	grants, err := st.ValidatedGrants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[[2]int64]bool{}
	for _, g := range grants {
		allowed[[2]int64{g.PatronID, g.ResourceID}] = true
	}
	patrons, total := 0, 0
	first := time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC)
	for _, g := range grants {
		launches, err := st.PatronLaunches(ctx, g.PatronID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range launches {
			if !allowed[[2]int64{g.PatronID, l.ResourceID}] || l.LibraryID != g.LibraryID {
				t.Fatalf("launch %+v: not a validated resource of its patron", l)
			}
			if l.At.Before(first) || !l.At.Before(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("launch at %s: want within the 8 months before today", l.At)
			}
		}
		total += len(launches)
		if len(launches) > 0 {
			patrons++
		}
	}
	if patrons == 0 || total < patrons {
		t.Errorf("%d launches by %d patrons: want some", total, patrons)
	}
	// Without UsageMonths, as in the benchmark, no launch is drawn.
	st2 := storetest.OpenSQLite(t, func() time.Time { return now })
	if _, err := demo.Seed(ctx, st2, hasher, demo.Options{Patrons: 50, Today: today}); err != nil {
		t.Fatal(err)
	}
	g2, _ := st2.ValidatedGrants(ctx)
	for _, g := range g2 {
		if l, _ := st2.PatronLaunches(ctx, g.PatronID); len(l) > 0 {
			t.Fatalf("launches drawn without UsageMonths")
		}
	}
}
