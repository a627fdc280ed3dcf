package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Built-in job kinds.
const (
	// KindPing checks that background work runs: it leaves an audit event.
	// "sesame jobs ping" enqueues one.
	KindPing = "ping"
	// KindPurge deletes expired sessions, old login failures and old
	// jobs, then schedules itself again.
	KindPurge = "purge"
	// KindRetention deletes what the privacy notice says is kept no longer
	// (store.ApplyRetention), then schedules itself again.
	KindRetention = "retention"
)

// PurgeEvery is how often the purge runs.
const PurgeEvery = time.Hour

// A done job is kept DoneJobRetention, to look into what just ran; one
// still failing after FailingJobRetention is given up.
const (
	DoneJobRetention    = 24 * time.Hour
	FailingJobRetention = 30 * 24 * time.Hour
)

// RetentionEvery is how often the retention job runs: dates move by days.
const RetentionEvery = 24 * time.Hour

var jobActor = sesame.Actor{Label: "tâches de fond"}

// Builtin returns the handlers of the built-in kinds; loc is the network's
// calendar, in which an end of validity is a day.
func Builtin(st *store.Store, now func() time.Time, loc *time.Location) map[string]Handler {
	return map[string]Handler{
		KindPing: {Record: func(ctx context.Context, job store.Job, tx *sql.Tx) error {
			return st.AuditTx(ctx, tx, jobActor, sesame.ActionJob, "Tâche de vérification exécutée : "+job.Payload)
		}},
		KindPurge: {Record: func(ctx context.Context, job store.Job, tx *sql.Tx) error {
			t := now()
			// Sessions end after 12 hours at most; failures matter for 15 minutes.
			if err := st.PurgeExpired(ctx, tx, t.Add(-12*time.Hour), t.Add(-24*time.Hour)); err != nil {
				return err
			}
			if _, err := st.PurgeJobs(ctx, tx, t.Add(-DoneJobRetention), t.Add(-FailingJobRetention)); err != nil {
				return err
			}
			return st.EnqueueJob(ctx, tx, KindPurge, "", t.Add(PurgeEvery))
		}},
		KindRetention: {Record: func(ctx context.Context, job store.Job, tx *sql.Tx) error {
			t := now()
			rep, err := st.ApplyRetention(ctx, tx, sesame.DateOf(t, loc), t)
			if err != nil {
				return err
			}
			next := t.Add(RetentionEvery)
			if rep.More() {
				next = t.Add(time.Minute) // the rest, without holding the writer for long
			}
			return st.EnqueueJob(ctx, tx, KindRetention, "", next)
		}},
	}
}

// Ensure enqueues a job of kind, to run at now, unless one is pending: a job
// that schedules itself again starts once. Two instances starting at once
// may both enqueue it; the periodic jobs bear running twice.
func Ensure(ctx context.Context, st *store.Store, kind string, now time.Time) error {
	pending, err := st.HasPendingJob(ctx, kind)
	if err != nil || pending {
		return err
	}
	return st.Enqueue(ctx, kind, "", now)
}
