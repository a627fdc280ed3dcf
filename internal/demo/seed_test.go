package demo_test

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/store"
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

// TestSeedHistoryMatchesRecords: the demo's history is on the dates its
// records show, and the « Comptes des usagers par mois » chart counts it
// there: Eric, registered on 17/12/2021, is one of December 2021's
// registrations; every month counts as many registrations as patrons have
// their registration date in it (none where none has), as many validations
// as library dates, as many expiries as end dates passed.
func TestSeedHistoryMatchesRecords(t *testing.T) { onBothEngines(t, testSeedHistory) }

// onBothEngines runs test on SQLite, then on PostgreSQL when it is
// configured.
func onBothEngines(t *testing.T, test func(*testing.T, storetest.Opener)) {
	for _, e := range []struct {
		name string
		open storetest.Opener
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}} {
		t.Run(e.name, func(t *testing.T) {
			if e.name == "postgres" && os.Getenv(storetest.PostgresEnv) == "" {
				t.Skipf("PostgreSQL not configured: set %s", storetest.PostgresEnv)
			}
			test(t, e.open)
		})
	}
}

func testSeedHistory(t *testing.T, open storetest.Opener) {
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, paris)
	st := open(t, func() time.Time { return now })
	today := sesame.DateOf(now, paris)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}
	if _, err := demo.Seed(ctx, st, hasher, demo.Options{Patrons: 300, Today: today}); err != nil {
		t.Fatal(err)
	}
	var rows []store.PatronRow
	for offset := 0; ; offset += 100 {
		page, err := st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Limit: 100, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, page.Rows...)
		if len(page.Rows) < 100 {
			break
		}
	}
	if len(rows) != 300 {
		t.Fatalf("%d patrons listed, want 300", len(rows))
	}
	// The indexes the seed put off are all built, and search finds a
	// seeded patron through the trigram index.
	if n, err := st.RestoreIndexes(ctx); n != 0 || err != nil {
		t.Errorf("indexes left to build after the seed: %d (%v)", n, err)
	}
	found, err := st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Query: rows[150].Email, Limit: 10})
	if err != nil || len(found.Rows) != 1 || found.Rows[0].ID != rows[150].ID {
		t.Errorf("search %s after the seed: got %+v (%v), want patron %d", rows[150].Email, found.Rows, err, rows[150].ID)
	}
	key := func(d sesame.Date) string { return store.NewMonth(d.Year, d.Month, paris).Key() }
	want := map[string]store.AccountMonth{}
	add := func(d sesame.Date, f func(a *store.AccountMonth)) {
		a := want[key(d)]
		f(&a)
		want[key(d)] = a
	}
	first := today
	var eric sesame.Patron
	for _, row := range rows {
		p := row.Patron
		if p.Email == "eric.mediateur@example.org" {
			eric = p
		}
		if p.RegisteredOn.Before(first) {
			first = p.RegisteredOn
		}
		add(p.RegisteredOn, func(a *store.AccountMonth) { a.Registrations++ })
		switch p.Status {
		case sesame.StatusValidated, sesame.StatusToRevalidate, sesame.StatusExpired:
			add(p.LibraryRegisteredOn, func(a *store.AccountMonth) { a.Validations++ })
		case sesame.StatusRefused:
			refused := p.RegisteredOn.AddDays(3)
			if refused.After(today) {
				refused = today
			}
			add(refused, func(a *store.AccountMonth) { a.Refusals++ })
		}
		if p.Status == sesame.StatusToRevalidate || p.Status == sesame.StatusExpired {
			add(p.ValidUntil.AddDays(1), func(a *store.AccountMonth) { a.Expiries++ })
		}
	}
	months := store.Months(store.NewMonth(first.Year, first.Month, paris), store.MonthOf(now, paris))
	got, err := st.AccountEventsByMonth(ctx, store.NetworkScope(), months)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		w := want[g.Month]
		w.Month = g.Month
		if g != w {
			t.Errorf("%s: counted %+v, want %+v from the records", g.Month, g, w)
		}
	}
	if dec := want["2021-12"]; dec.Registrations == 0 {
		t.Errorf("December 2021: no registration, want Eric's at least")
	}

	// Eric's own history says the same.
	events, err := st.PatronHistory(ctx, store.NetworkScope(), eric.ID)
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]sesame.Date{}
	for _, e := range events {
		if e.At.After(now) {
			t.Errorf("Eric's %q event at %s, after now", e.Action, e.At)
		}
		on[string(e.Action)] = sesame.DateOf(e.At, paris)
	}
	if d := on[string(sesame.ActionRegistration)]; d != sesame.MustDate(2021, 12, 17) {
		t.Errorf("Eric's registration event on %s, want 17/12/2021, his registration date", d)
	}
	if d := on[string(sesame.ActionValidation)]; d != eric.LibraryRegisteredOn {
		t.Errorf("Eric's validation event on %s, want %s, his library date", d, eric.LibraryRegisteredOn)
	}
}

// TestSeedOutlivesRetention: the demo's retention job runs at start, on the
// demo's clock; it must find nothing of the seeded network to delete, so
// that the number of patrons the demo prints is the number its list shows.
func TestSeedOutlivesRetention(t *testing.T) {
	onBothEngines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		// 29/02/2028: "12 months ago" is clamped to 28/02/2027, the day
		// the oldest seeded Expiré account's validity ended.
		for _, now := range []time.Time{time.Date(2026, 11, 27, 10, 0, 0, 0, paris), time.Date(2028, 2, 29, 23, 30, 0, 0, paris)} {
			st := open(t, func() time.Time { return now })
			hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}
			if _, err := demo.Seed(ctx, st, hasher, demo.Options{Patrons: 600, Today: sesame.DateOf(now, paris)}); err != nil {
				t.Fatal(err)
			}
			seeded, err := demo.PatronCount(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if seeded != 600 {
				t.Fatalf("%s: PatronCount = %d after seeding 600", now, seeded)
			}
			var rep store.RetentionReport
			err = st.Update(ctx, func(tx *store.Tx) error {
				var err error
				rep, err = tx.ApplyRetention(ctx, sesame.DateOf(now, paris), now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			after, err := demo.PatronCount(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Accounts != 0 || after != seeded {
				t.Errorf("%s: the retention job deleted %d seeded accounts (%d patrons left of %d), want none", now, rep.Accounts, after, seeded)
			}
		}
	})
}
