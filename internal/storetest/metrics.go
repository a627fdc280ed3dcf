package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// testJobBacklogs checks what the operators' metrics read at each scrape:
// per kind, the jobs due and not done (waiting) and those whose last
// attempt failed; the oldest waiting job; and the mail outbox's backlog,
// its pending jobs with the oldest one's creation. Done jobs and jobs
// scheduled later are not waiting.
func testJobBacklogs(t *testing.T, open Opener) {
	ctx := context.Background()
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	now := start
	st := open(t, func() time.Time { return now })

	empty, err := st.JobBacklogs(ctx)
	if err != nil || len(empty) != 0 {
		t.Fatalf("no job: got %v (%v), want none", empty, err)
	}
	if n, oldest, err := st.PendingJobs(ctx, "mail"); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("no mail: got %d, %v (%v), want 0 and zero", n, oldest, err)
	}
	if at, err := st.OldestWaitingJob(ctx); err != nil || !at.IsZero() {
		t.Fatalf("no job waits: got %v (%v), want zero", at, err)
	}

	enqueue := func(kind, payload string, runAt time.Time) {
		t.Helper()
		if err := st.Enqueue(ctx, kind, payload, runAt); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("mail", "1", start)                      // will fail and be retried later
	enqueue("mail", "2", start)                      // will be done
	enqueue("rappels", "", start.Add(20*time.Hour))  // tomorrow morning
	enqueue("purge", "", start.Add(-10*time.Minute)) // late: the oldest waiting
	now = start.Add(time.Minute)
	enqueue("mail", "3", now)
	claimed, err := st.ClaimJobs(ctx, "w", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range claimed {
		switch j.Payload {
		case "1":
			if err := st.RetryJob(ctx, j.ID, "w", errors.New("smtp down"), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		case "2":
			if held, err := st.FinishJob(ctx, j.ID, "w", nil); err != nil || !held {
				t.Fatalf("finish: %v %v", held, err)
			}
		}
	}

	got, err := st.JobBacklogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.JobBacklog{
		{Kind: "mail", Waiting: 1, Failing: 1}, // "3" due (leased); "1" failing, due in an hour
		{Kind: "purge", Waiting: 1},
		{Kind: "rappels"}, // scheduled, neither waiting nor failing
	}
	if !slices.Equal(got, want) {
		t.Errorf("backlog: got %+v, want %+v", got, want)
	}
	if at, err := st.OldestWaitingJob(ctx); err != nil || !at.Equal(start.Add(-10*time.Minute)) {
		t.Errorf("oldest waiting: got %v (%v), want %v", at, err, start.Add(-10*time.Minute))
	}
	n, oldest, err := st.PendingJobs(ctx, "mail")
	if err != nil || n != 2 || !oldest.Equal(start) {
		t.Errorf("mail backlog: got %d since %v (%v), want 2 since %v", n, oldest, err, start)
	}
}
