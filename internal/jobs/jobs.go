// Package jobs runs Sésame's background work: the mail outbox, reminders,
// purges. Every instance runs a Runner; the store's leases make sure each job
// is taken by one of them at a time, and taken again if its runner dies.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// Handler does one kind of job.
type Handler struct {
	// Do runs work outside the database, such as sending a mail. It runs
	// again if the runner dies before the job is recorded as done, so it
	// must bear repetition.
	Do func(ctx context.Context, job store.Job) error
	// Record runs in the transaction that marks the job done: what it writes
	// is written exactly once.
	Record func(ctx context.Context, job store.Job, tx *store.Tx) error
}

// Runner claims due jobs and runs their handlers.
type Runner struct {
	Store    *store.Store
	Worker   string // names this instance in the jobs table
	Handlers map[string]Handler
	Lease    time.Duration
	Poll     time.Duration
	Batch    int
	Logger   *slog.Logger
	Now      func() time.Time
}

func (r *Runner) defaults() {
	if r.Lease == 0 {
		r.Lease = time.Minute
	}
	if r.Poll == 0 {
		r.Poll = time.Second
	}
	if r.Batch == 0 {
		r.Batch = 20
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	if r.Now == nil {
		r.Now = time.Now
	}
}

// Backoff is how long a job waits after its nth failed attempt: 30 s,
// doubling, at most 6 hours.
func Backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// RunOnce claims one batch of due jobs and runs them; it returns how many it finished.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	r.defaults()
	batch, err := r.Store.ClaimJobs(ctx, r.Worker, r.Batch, r.Lease)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, job := range batch {
		if err := r.run(ctx, job); err != nil {
			r.Logger.Warn("tâche en échec", "job", job.ID, "kind", job.Kind, "attempts", job.Attempts, "err", err)
			retry := r.Now().Add(Backoff(job.Attempts))
			if rerr := r.Store.RetryJob(ctx, job.ID, r.Worker, err, retry); rerr != nil {
				return done, rerr
			}
			continue
		}
		done++
	}
	return done, nil
}

func (r *Runner) run(ctx context.Context, job store.Job) error {
	h, ok := r.Handlers[job.Kind]
	if !ok {
		return fmt.Errorf("no handler for job kind %q", job.Kind)
	}
	if h.Do != nil {
		if err := h.Do(ctx, job); err != nil {
			return err
		}
	}
	held, err := r.Store.FinishJob(ctx, job.ID, r.Worker, func(tx *store.Tx) error {
		if h.Record == nil {
			return nil
		}
		return h.Record(ctx, job, tx)
	})
	if err != nil {
		return err
	}
	if !held {
		r.Logger.Warn("tâche reprise par une autre instance pendant son exécution", "job", job.ID, "kind", job.Kind)
	}
	return nil
}

// Run claims and runs jobs until ctx ends, waiting Poll between empty rounds.
func (r *Runner) Run(ctx context.Context) {
	r.defaults()
	for {
		n, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.Logger.Error("tâches", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Poll):
		}
	}
}
