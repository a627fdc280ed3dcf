package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// testPurgeJobsAndThrottles shows that what anonymous requests leave behind
// goes away: done jobs after a day, jobs failing for a month, throttle keys
// a day after their block ended. Nothing else is touched.
func testPurgeJobsAndThrottles(t *testing.T, open Opener) {
	ctx := context.Background()
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	now := start
	st := open(t, func() time.Time { return now })
	for _, payload := range []string{"done", "failing", "retried", "later"} {
		runAt := now
		if payload == "later" {
			runAt = now.Add(90 * 24 * time.Hour) // scheduled far ahead, never run yet
		}
		if err := st.Enqueue(ctx, "test", payload, runAt); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := st.ClaimJobs(ctx, "w", 10, time.Minute)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim: %v (%v), want 3 jobs", claimed, err)
	}
	for _, j := range claimed {
		switch j.Payload {
		case "done":
			if held, err := st.FinishJob(ctx, j.ID, "w", nil); err != nil || !held {
				t.Fatalf("finish: %v %v", held, err)
			}
		case "failing":
			if err := st.RetryJob(ctx, j.ID, "w", errors.New("smtp down"), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		case "retried":
			if err := st.RetryJob(ctx, j.ID, "w", errors.New("once"), now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := st.RecordFailure(ctx, "reset:203.0.113.7", func(int) time.Time { return now.Add(time.Hour) }); err != nil {
		t.Fatal(err)
	}

	purge := func(at time.Time) int64 {
		t.Helper()
		now = at
		var n int64
		err := st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PurgeExpired(ctx, now.Add(-12*time.Hour), now.Add(-24*time.Hour)); err != nil {
				return err
			}
			var err error
			n, err = tx.PurgeJobs(ctx, now.Add(-24*time.Hour), now.Add(-30*24*time.Hour))
			return err
		})
		if err != nil {
			t.Fatalf("purge: %v", err)
		}
		return n
	}
	counts := func(wantDone, wantPending int, wantThrottle bool) {
		t.Helper()
		done, pending, err := st.JobCounts(ctx)
		if err != nil || done != wantDone || pending != wantPending {
			t.Errorf("at %s: %d done, %d pending (%v); want %d and %d", now.Sub(start), done, pending, err, wantDone, wantPending)
		}
		// Every job here is of kind "test": counted by kind, the same; of another kind, none.
		if d, p, err := st.JobCounts(ctx, "autre", "test"); err != nil || d != wantDone || p != wantPending {
			t.Errorf("at %s, kinds autre and test: %d done, %d pending (%v); want %d and %d", now.Sub(start), d, p, err, wantDone, wantPending)
		}
		if d, p, err := st.JobCounts(ctx, "autre"); err != nil || d != 0 || p != 0 {
			t.Errorf("at %s, kind autre: %d done, %d pending (%v); want none", now.Sub(start), d, p, err)
		}
		th, err := st.ThrottleOf(ctx, "reset:203.0.113.7")
		if err != nil || (th.Failures > 0) != wantThrottle {
			t.Errorf("at %s: throttle %+v (%v), want kept %v", now.Sub(start), th, err, wantThrottle)
		}
	}

	if n := purge(start.Add(23 * time.Hour)); n != 0 {
		t.Errorf("within a day: %d jobs purged, want none", n)
	}
	counts(1, 3, true)
	if n := purge(start.Add(25*time.Hour + time.Minute)); n != 1 {
		t.Errorf("after a day: %d jobs purged, want the done one", n)
	}
	counts(0, 3, false)
	if n := purge(start.Add(31 * 24 * time.Hour)); n != 2 {
		t.Errorf("after a month: %d jobs purged, want the two failing ones", n)
	}
	counts(0, 1, false) // the job scheduled ahead, which never failed, stays
}
