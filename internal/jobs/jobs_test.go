package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {20, 6 * time.Hour}}
	for _, tt := range tests {
		if got := jobs.Backoff(tt.attempts); got != tt.want {
			t.Errorf("Backoff(%d): got %s, want %s", tt.attempts, got, tt.want)
		}
	}
}

func TestRunnerRetriesThenRecordsOnce(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := storetest.Open(t, clock)
	ctx := context.Background()
	failures := 2
	recorded := 0
	r := &jobs.Runner{Store: st, Worker: "w1", Now: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handlers: map[string]jobs.Handler{"flaky": {
			Do: func(ctx context.Context, job store.Job) error {
				if failures > 0 {
					failures--
					return errors.New("SMTP indisponible")
				}
				return nil
			},
			Record: func(ctx context.Context, job store.Job, tx *store.Tx) error { recorded++; return nil },
		}}}
	if err := st.Enqueue(ctx, "flaky", "x", now); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		want    int // jobs finished by this round
	}{
		{0, 0},                             // first attempt fails
		{jobs.Backoff(1) - time.Second, 0}, // not due yet: nothing runs
		{2 * time.Second, 0},               // second attempt fails
		{jobs.Backoff(2) + time.Second, 1}, // third attempt succeeds
		{time.Hour, 0},                     // done jobs never run again
	}
	for i, step := range steps {
		now = now.Add(step.advance)
		n, err := r.RunOnce(ctx)
		if err != nil || n != step.want {
			t.Fatalf("round %d: finished %d (%v), want %d", i, n, err, step.want)
		}
	}
	if recorded != 1 {
		t.Errorf("recorded %d times, want exactly once", recorded)
	}
	done, pending, _ := st.JobCounts(ctx)
	if done != 1 || pending != 0 {
		t.Errorf("done %d pending %d, want 1 and 0", done, pending)
	}
}

func TestUnknownKindIsRetriedNotLost(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	st := storetest.Open(t, func() time.Time { return now })
	ctx := context.Background()
	st.Enqueue(ctx, "inconnu", "", now)
	r := &jobs.Runner{Store: st, Worker: "w", Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if n, err := r.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("got %d, %v", n, err)
	}
	if _, pending, _ := st.JobCounts(ctx); pending != 1 {
		t.Errorf("a job of unknown kind was dropped")
	}
}

func TestPurgeRemovesExpiredSessionsAndReschedules(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := storetest.Open(t, clock)
	ctx := context.Background()
	staff, err := st.CreateStaff(ctx, sesame.Staff{Login: "admin", Name: "A", Role: sesame.RoleAdmin, PasswordHash: "h"}, sesame.Actor{Label: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, "old", staff); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordFailure(ctx, "adresse:192.0.2.1", func(int) time.Time { return now }); err != nil {
		t.Fatal(err)
	}
	now = now.Add(13 * time.Hour)
	if err := st.CreateSession(ctx, "fresh", staff); err != nil {
		t.Fatal(err)
	}
	now = now.Add(13 * time.Hour)
	if err := st.TouchSession(ctx, "fresh", now); err != nil {
		t.Fatal(err)
	}
	r := &jobs.Runner{Store: st, Worker: "w", Now: clock, Handlers: purgeHandlers(clock), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for i := 0; i < 2; i++ {
		if err := ensurePurge(ctx, st, now); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("purge and retention: ran %d (%v), want 2 (each scheduled once)", n, err)
	}
	if _, err := st.SessionByHash(ctx, "old"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("expired session kept: %v", err)
	}
	if _, err := st.SessionByHash(ctx, "fresh"); err != nil {
		t.Errorf("live session purged: %v", err)
	}
	if th, _ := st.ThrottleOf(ctx, "adresse:192.0.2.1"); th.Failures != 0 {
		t.Errorf("old login failures kept: %+v", th)
	}
	for _, kind := range []string{jobs.KindPurge, jobs.KindRetention} {
		if pending, _ := st.HasPendingJob(ctx, kind); !pending {
			t.Errorf("%s did not schedule its next run", kind)
		}
	}
}

// TestPurgeDeletesDoneJobs: a job done more than DoneJobRetention ago goes
// with the hourly purge, so that payloads typed by anyone do not pile up.
func TestPurgeDeletesDoneJobs(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := storetest.Open(t, clock)
	ctx := context.Background()
	handlers := purgeHandlers(clock)
	handlers["test"] = jobs.Handler{}
	r := &jobs.Runner{Store: st, Worker: "w", Now: clock, Handlers: handlers, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := st.Enqueue(ctx, "test", "quelqu.un@example.org", now); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("ran %d (%v), want 1", n, err)
	}
	now = now.Add(jobs.DoneJobRetention + time.Minute)
	if err := ensurePurge(ctx, st, now); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("purge and retention: ran %d (%v), want 2", n, err)
	}
	// Left: the purge and the retention just done, and their next runs.
	if done, pending, err := st.JobCounts(ctx); err != nil || done != 2 || pending != 2 {
		t.Errorf("after the purge: %d done, %d pending (%v); want 2 and 2: the old job gone", done, pending, err)
	}
}

// purgeHandlers are the handlers of the two kinds ensurePurge schedules.
func purgeHandlers(clock func() time.Time) map[string]jobs.Handler {
	return map[string]jobs.Handler{jobs.KindPurge: jobs.Purge(clock), jobs.KindRetention: jobs.Retention(clock, time.UTC)}
}

// ensurePurge schedules the purge and the retention job, as the app's job
// table does at start.
func ensurePurge(ctx context.Context, st *store.Store, now time.Time) error {
	for _, kind := range []string{jobs.KindPurge, jobs.KindRetention} {
		if err := jobs.Ensure(ctx, st, kind, now); err != nil {
			return err
		}
	}
	return nil
}
