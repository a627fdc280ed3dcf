package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Job is a piece of background work, claimed by one worker at a time.
type Job struct {
	ID       int64
	Kind     string
	Payload  string
	RunAt    time.Time
	Attempts int
}

// EnqueueJob records a job in tx, so that it exists if and only if the change
// that calls for it is committed.
func (t *Tx) EnqueueJob(ctx context.Context, kind, payload string, runAt time.Time) error {
	_, err := t.sql.ExecContext(ctx, `INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ($1, $2, $3, $4)`,
		kind, payload, dbTime(runAt), t.store.Now())
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return nil
}

// Enqueue records a job on its own.
func (s *Store) Enqueue(ctx context.Context, kind, payload string, runAt time.Time) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.EnqueueJob(ctx, kind, payload, runAt) })
}

// claimQuery takes up to $4 due jobs for worker $1 until $2. PostgreSQL skips
// the rows another instance is taking at the same moment; SQLite has one
// writer at a time, so the plain subquery is already exclusive.
func (s *Store) claimQuery() string {
	lock := ""
	if s.dialect == postgresDialect {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return `
		UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM jobs
			WHERE done_at IS NULL AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
			ORDER BY run_at, id LIMIT $4` + lock + `)
		RETURNING id, kind, payload, run_at, attempts`
}

// ClaimJobs leases up to limit due jobs to worker for lease. A job whose
// lease ran out, because its worker died, is due again.
func (s *Store) ClaimJobs(ctx context.Context, worker string, limit int, lease time.Duration) ([]Job, error) {
	now := s.Now()
	var jobs []Job
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.claimQuery(), worker, now.Add(lease), now, limit)
		if err != nil {
			return fmt.Errorf("claim jobs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			if err := rows.Scan(&j.ID, &j.Kind, &j.Payload, &j.RunAt, &j.Attempts); err != nil {
				return fmt.Errorf("scan job: %w", err)
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	return jobs, err
}

// FinishJob marks a job done, if worker still holds it, calling work inside
// the same transaction: work that writes to the database is then done once,
// even when a lease ran out and another worker took the job meanwhile.
// It reports false when the job was no longer worker's.
func (s *Store) FinishJob(ctx context.Context, id int64, worker string, work func(tx *Tx) error) (bool, error) {
	held := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id = $2 AND locked_by = $3 AND done_at IS NULL`,
			s.Now(), id, worker)
		if err != nil {
			return fmt.Errorf("finish job: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		held = true
		if work != nil {
			return work(s.wrap(tx))
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return held, nil
}

// RetryJob gives a failed job back, to run again at retryAt.
func (s *Store) RetryJob(ctx context.Context, id int64, worker string, failure error, retryAt time.Time) error {
	return s.exec(ctx, "retry job", `
		UPDATE jobs SET locked_by = '', locked_until = NULL, run_at = $1, last_error = $2
		WHERE id = $3 AND locked_by = $4 AND done_at IS NULL`, dbTime(retryAt), failure.Error(), id, worker)
}

// JobCounts returns how many jobs are done and how many are not, of the
// kinds named or, when none is, of every kind: for tests and health pages.
func (s *Store) JobCounts(ctx context.Context, kinds ...string) (done, pending int, err error) {
	query, args := `SELECT COUNT(done_at), COUNT(*) - COUNT(done_at) FROM jobs`, make([]any, len(kinds))
	if len(kinds) > 0 {
		query += ` WHERE kind IN (` + placeholders(1, len(kinds)) + `)`
		for i, k := range kinds {
			args[i] = k
		}
	}
	err = s.readPool.QueryRowContext(ctx, query, args...).Scan(&done, &pending)
	if err != nil {
		return 0, 0, fmt.Errorf("count jobs: %w", err)
	}
	return done, pending, nil
}

// PurgeExpired deletes, in tx, the sessions unused since before sessionsBefore
// and the login failures whose block ended before throttleBefore.
func (t *Tx) PurgeExpired(ctx context.Context, sessionsBefore, throttleBefore time.Time) error {
	if _, err := t.sql.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1`, sessionsBefore.UTC()); err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	if _, err := t.sql.ExecContext(ctx, `DELETE FROM patron_sessions WHERE last_seen_at < $1`, sessionsBefore.UTC()); err != nil {
		return fmt.Errorf("purge patron sessions: %w", err)
	}
	// Links past their time serve nobody: registrations not confirmed within
	// 48 hours, or whose parent's consent did not come within 48 hours of
	// the holder's confirmation, those done once their link's time is over,
	// password reset links after their hour, a parent's consent links asked
	// again once they can no longer be renewed (ConsentRenewableFor after
	// their 48 hours; the patron keeps consent_asked_at), CAS tickets never validated and
	// CAS login tickets whose patron never came back, OpenID Connect requests,
	// codes and tokens past their time, signing keys a period after they
	// stopped signing (the two OIDC secrets never expire: NULL), SAML
	// requests past their time (by then their vendor's IssueInstant is too
	// old for a replay to pass), staff logins whose code never came.
	now := t.store.Now()
	if _, err := t.sql.ExecContext(ctx, `DELETE FROM consent_requests WHERE expires_at < $1`, now.Add(-ConsentRenewableFor)); err != nil {
		return fmt.Errorf("purge consent_requests: %w", err)
	}
	for _, table := range []string{"registrations", "password_resets", "sso_tokens", "cas_tickets", "cas_logins",
		"oidc_auth_requests", "oidc_tokens", "oidc_keys", "saml_requests", "staff_pending_logins"} {
		// #nosec G202 -- table is one of the names listed just above.
		if _, err := t.sql.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("purge %s: %w", table, err)
		}
	}
	if _, err := t.sql.ExecContext(ctx, `DELETE FROM login_throttle WHERE blocked_until < $1`, throttleBefore.UTC()); err != nil {
		return fmt.Errorf("purge throttle: %w", err)
	}
	return eraseMailSecretsTx(ctx, t.sql, now)
}

// PurgeJobs deletes, in tx, the jobs done before doneBefore, and those
// still failing that were created before failingBefore: a job that has
// failed for that long will not succeed, and its payload (an address typed
// by anyone) must not stay for ever. It returns how many it deleted.
func (t *Tx) PurgeJobs(ctx context.Context, doneBefore, failingBefore time.Time) (int64, error) {
	res, err := t.sql.ExecContext(ctx, `
		DELETE FROM jobs
		WHERE (done_at IS NOT NULL AND done_at < $1)
		   OR (done_at IS NULL AND last_error <> '' AND created_at < $2)`,
		doneBefore.UTC(), failingBefore.UTC())
	if err != nil {
		return 0, fmt.Errorf("purge jobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// HasPendingJob reports whether a job of that kind waits to be done.
func (s *Store) HasPendingJob(ctx context.Context, kind string) (bool, error) {
	var n int
	if err := s.readPool.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND done_at IS NULL`, kind).Scan(&n); err != nil {
		return false, fmt.Errorf("pending jobs: %w", err)
	}
	return n > 0, nil
}

// ScheduleJob enqueues in tx a job of kind, with no payload, at runAt,
// unless one of that kind already waits to run after now: the next daily
// digest is scheduled by the first request that needs it. A job of that kind
// due or running now does not count, since it may have taken its requests
// before this one was committed.
func (t *Tx) ScheduleJob(ctx context.Context, kind string, runAt time.Time) error {
	var n int
	err := t.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND done_at IS NULL AND run_at > $2`, kind, t.store.Now()).Scan(&n)
	if err != nil {
		return fmt.Errorf("look up %s jobs: %w", kind, err)
	}
	if n > 0 {
		return nil
	}
	return t.EnqueueJob(ctx, kind, "", runAt)
}
