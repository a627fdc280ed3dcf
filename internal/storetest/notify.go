package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// withLibrary opens a fresh store from open with one library. The store's
// clock stands still at now.
func withLibrary(t testing.TB, open Opener) (st *store.Store, lib int64, now time.Time) {
	t.Helper()
	now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	st = open(t, func() time.Time { return now })
	id, err := st.CreateLibrary(context.Background(), sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant",
		Town: "Fouesnant", ContactEmail: "a@example.org"}, sys)
	if err != nil {
		t.Fatalf("create library: %v", err)
	}
	return st, id, now
}

func testLibraryNotifySetting(t *testing.T, open Opener) {
	st, lib, _ := withLibrary(t, open)
	ctx := context.Background()
	l, err := st.Library(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	if l.Notify != sesame.NotifyEachRequest {
		t.Errorf("a library created without a choice: got %q, want %q", l.Notify, sesame.NotifyEachRequest)
	}
	l.Notify = sesame.NotifyDailyDigest
	if err := st.UpdateLibrary(ctx, *l, sys); err != nil {
		t.Fatal(err)
	}
	libs, err := st.Libraries(ctx)
	if err != nil || len(libs) != 1 || libs[0].Notify != sesame.NotifyDailyDigest {
		t.Errorf("after update: got %+v (%v), want one library with %q", libs, err, sesame.NotifyDailyDigest)
	}
	l.Notify = "hebdomadaire"
	if err := st.UpdateLibrary(ctx, *l, sys); err == nil {
		t.Errorf("an unknown mode was stored")
	}
}

// queue records, each in its own transaction, one request per patron.
func queue(t testing.TB, st *store.Store, kind sesame.RequestKind, patrons ...int64) {
	t.Helper()
	ctx := context.Background()
	for _, id := range patrons {
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.QueueDigestRequest(ctx, id, kind, "") }); err != nil {
			t.Fatal(err)
		}
	}
}

func testTakeDigestRequestsOnce(t *testing.T, open Opener) {
	st, lib, _ := withLibrary(t, open)
	ctx := context.Background()
	var patrons []int64
	for _, name := range []string{"Anne", "Yann", "Gwen"} {
		id, err := st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "LE BIHAN", FirstName: name,
			Email: name + "@example.org", BirthDate: sesame.MustDate(1980, 1, 2), PostalCode: "29000", Town: "Quimper",
			RegisteredOn: sesame.MustDate(2026, 1, 2), Status: sesame.StatusToValidate}}, sys)
		if err != nil {
			t.Fatal(err)
		}
		patrons = append(patrons, id)
	}
	queue(t, st, sesame.RequestRegistration, patrons...)

	// Two takes at once: the first holds its transaction open while the
	// second starts; each request goes to one of them only.
	taken := make([][]store.DigestRequest, 2)
	firstTook := make(chan struct{})
	var wg sync.WaitGroup
	for i := range taken {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				<-firstTook
			}
			err := st.Update(ctx, func(tx *store.Tx) error {
				var err error
				taken[i], err = tx.TakeDigestRequests(ctx)
				if i == 0 {
					close(firstTook)
					time.Sleep(200 * time.Millisecond) // the second take starts meanwhile
				}
				return err
			})
			if err != nil {
				t.Errorf("take %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if len(taken[0]) != 3 || len(taken[1]) != 0 {
		t.Fatalf("takes: got %d and %d requests, want 3 and 0", len(taken[0]), len(taken[1]))
	}
	for i, r := range taken[0] {
		if r.PatronID != patrons[i] || r.LibraryID != lib || r.PatronName != "LE BIHAN "+[]string{"Anne", "Yann", "Gwen"}[i] ||
			r.Status != sesame.StatusToValidate || r.Kind != sesame.RequestRegistration {
			t.Errorf("request %d: got %+v, want patron %d of library %d, À valider, a registration", i, r, patrons[i], lib)
		}
	}

	// A take that fails leaves the requests for the next one.
	queue(t, st, sesame.RequestRenewal, patrons[0])
	err := st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.TakeDigestRequests(ctx); err != nil {
			return err
		}
		return sesame.Errorf(sesame.EInvalid, "the digest could not be written")
	})
	if sesame.ErrorCode(err) != sesame.EInvalid {
		t.Fatalf("failed take: got %v", err)
	}
	var again []store.DigestRequest
	if err := st.Update(ctx, func(tx *store.Tx) (err error) { again, err = tx.TakeDigestRequests(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].Kind != sesame.RequestRenewal {
		t.Errorf("after a failed take: got %+v, want the renewal", again)
	}
}

func testScheduleJobOnce(t *testing.T, open Opener) {
	st, _, now := withLibrary(t, open)
	ctx := context.Background()
	schedule := func(kind string, at time.Time) {
		t.Helper()
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.ScheduleJob(ctx, kind, at) }); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() int {
		t.Helper()
		_, n, err := st.JobCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tomorrow := now.Add(22 * time.Hour)
	schedule("recapitulatif", tomorrow)
	schedule("recapitulatif", tomorrow)
	if n := pending(); n != 1 {
		t.Errorf("scheduled twice for later: got %d jobs, want 1", n)
	}
	// A job of the kind already due may be running, and may have taken
	// its requests before the new one: the next one is scheduled.
	if err := st.Enqueue(ctx, "autre", "", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	schedule("autre", tomorrow)
	if n := pending(); n != 3 {
		t.Errorf("with a job of the kind due only: got %d jobs, want 3", n)
	}
}
