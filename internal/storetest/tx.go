package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// testTxAllOrNothing: what is written through a store.Tx (a mail of the
// outbox and the job that sends it) is committed with the work it goes
// with, or not at all: by Update, and by FinishJob, whose job stays due
// when its work fails.
func testTxAllOrNothing(t *testing.T, open Opener) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	st := open(t, func() time.Time { return now })
	boom := errors.New("the change failed")
	write := func(tx *store.Tx) error {
		if _, err := tx.AddMail(ctx, store.Mail{To: "anne@example.org", Subject: "Votre compte", Text: "Bonjour"}); err != nil {
			return err
		}
		return tx.EnqueueJob(ctx, "mail", "1", tx.Now())
	}
	check := func(step string, wantMail, wantDone, wantPending int) {
		t.Helper()
		mail, err := st.RecentMail(ctx, 10)
		if err != nil || len(mail) != wantMail {
			t.Errorf("%s: %d mails (%v), want %d", step, len(mail), err, wantMail)
		}
		if done, pending, err := st.JobCounts(ctx); err != nil || done != wantDone || pending != wantPending {
			t.Errorf("%s: %d jobs done, %d pending (%v); want %d and %d", step, done, pending, err, wantDone, wantPending)
		}
	}

	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed update: got %v, want %v", err, boom)
	}
	check("after a failed update", 0, 0, 0)
	if err := st.Update(ctx, write); err != nil {
		t.Fatal(err)
	}
	check("after an update", 1, 0, 1)

	jobs, err := st.ClaimJobs(ctx, "w", 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: got %d jobs (%v), want 1", len(jobs), err)
	}
	held, err := st.FinishJob(ctx, jobs[0].ID, "w", func(tx *store.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || held {
		t.Fatalf("failed job: got held %v (%v), want false and %v", held, err, boom)
	}
	check("after a failed job", 1, 0, 1)
	if held, err := st.FinishJob(ctx, jobs[0].ID, "w", write); err != nil || !held {
		t.Fatalf("job: got held %v (%v), want true", held, err)
	}
	check("after the job", 2, 1, 1)
}
