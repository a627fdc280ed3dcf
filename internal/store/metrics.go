package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The operators' metrics (package metrics) read these at every scrape, every
// 15 to 60 seconds on each instance: each reads only the jobs not done,
// through the partial index jobs_due, and counts at most MetricsScanLimit of
// them, so that a scrape stays cheap however far behind the jobs are.

// MetricsScanLimit bounds the rows a scrape reads: past it, a backlog is
// shown at this figure, which is alarming enough.
const MetricsScanLimit = 100_000

// JobBacklog is how the jobs of one kind stand.
type JobBacklog struct {
	Kind string
	// Waiting counts the jobs due (run_at reached) and not done: late, or
	// being run right now.
	Waiting int
	// Failing counts the jobs not done whose last attempt failed: they wait
	// for their next attempt, with backoff.
	Failing int
}

// JobBacklogs returns, kind by kind, the jobs waiting and failing; a kind
// with no job left to do is absent.
func (s *Store) JobBacklogs(ctx context.Context) ([]JobBacklog, error) {
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT kind,
		       SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END),
		       SUM(CASE WHEN last_error <> '' THEN 1 ELSE 0 END)
		FROM (SELECT kind, run_at, last_error FROM jobs WHERE done_at IS NULL ORDER BY run_at, id LIMIT $2) pending
		GROUP BY kind ORDER BY kind`, s.Now(), MetricsScanLimit)
	if err != nil {
		return nil, fmt.Errorf("job backlog: %w", err)
	}
	defer rows.Close()
	var out []JobBacklog
	for rows.Next() {
		var b JobBacklog
		if err := rows.Scan(&b.Kind, &b.Waiting, &b.Failing); err != nil {
			return nil, fmt.Errorf("scan job backlog: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job backlog: %w", err)
	}
	return out, nil
}

// OldestWaitingJob is when the longest-waiting due job, of any kind, was
// due; zero when none waits.
func (s *Store) OldestWaitingJob(ctx context.Context) (time.Time, error) {
	// ORDER BY … LIMIT 1 rather than MIN(run_at): SQLite gives back an
	// aggregate of a timestamp as text.
	var at time.Time
	err := s.readStmts.QueryRowContext(ctx, `
		SELECT run_at FROM jobs WHERE done_at IS NULL AND run_at <= $1 ORDER BY run_at, id LIMIT 1`, s.Now()).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("oldest waiting job: %w", err)
	}
	return at, nil
}

// PendingJobs counts the jobs of kind not done yet, due or not, up to
// MetricsScanLimit, and returns when the oldest of them was created (zero
// when there is none). For the mail outbox, whose every message waits for
// its own job (package mail), it is the backlog: the messages not yet sent,
// read without touching the outbox's bodies.
func (s *Store) PendingJobs(ctx context.Context, kind string) (n int, oldest time.Time, err error) {
	err = s.readStmts.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE done_at IS NULL AND kind = $1 LIMIT $2) pending`,
		kind, MetricsScanLimit).Scan(&n)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("pending %s jobs: %w", kind, err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	err = s.readStmts.QueryRowContext(ctx, `
		SELECT created_at FROM jobs WHERE done_at IS NULL AND kind = $1 ORDER BY created_at, id LIMIT 1`, kind).Scan(&oldest)
	if errors.Is(err, sql.ErrNoRows) { // done between the two reads
		return n, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("oldest pending %s job: %w", kind, err)
	}
	return n, oldest, nil
}
