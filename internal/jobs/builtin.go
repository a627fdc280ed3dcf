package jobs

import (
	"context"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
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

// Ping leaves an audit event: background work runs.
func Ping() Handler {
	return Handler{Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
		return tx.Audit(ctx, jobActor, sesame.ActionJob, "Tâche de vérification exécutée : "+job.Payload)
	}}
}

// Purge deletes expired sessions, old login failures and old jobs, then
// schedules itself PurgeEvery later.
func Purge(now func() time.Time) Handler {
	return Handler{Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
		t := now()
		// Sessions end after 12 hours at most; failures matter for 15 minutes.
		if err := tx.PurgeExpired(ctx, t.Add(-12*time.Hour), t.Add(-24*time.Hour)); err != nil {
			return err
		}
		if _, err := tx.PurgeJobs(ctx, t.Add(-DoneJobRetention), t.Add(-FailingJobRetention)); err != nil {
			return err
		}
		// Imports from the library system: those staged and left unapplied,
		// and reports as old as the audit trail's details.
		if _, err := tx.PurgeRenewalImports(ctx, t.Add(-store.UnstartedImportLife), t.AddDate(0, -store.RetentionMonths, 0)); err != nil {
			return err
		}
		return tx.EnqueueJob(ctx, KindPurge, "", t.Add(PurgeEvery))
	}}
}

// Retention deletes what the privacy notice says is kept no longer, then
// schedules itself again; loc is the network's calendar, in which an end of
// validity is a day.
func Retention(now func() time.Time, loc *time.Location) Handler {
	return Handler{Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
		t := now()
		rep, err := tx.ApplyRetention(ctx, sesame.DateOf(t, loc), t)
		if err != nil {
			return err
		}
		next := t.Add(RetentionEvery)
		if rep.More() {
			next = t.Add(time.Minute) // the rest, without holding the writer for long
		}
		return tx.EnqueueJob(ctx, KindRetention, "", next)
	}}
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
