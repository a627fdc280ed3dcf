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
	// KindPurge deletes expired sessions and old login failures, then
	// schedules itself again.
	KindPurge = "purge"
)

// PurgeEvery is how often the purge runs.
const PurgeEvery = time.Hour

var jobActor = sesame.Actor{Label: "tâches de fond"}

// Builtin returns the handlers of the built-in kinds.
func Builtin(st *store.Store, now func() time.Time) map[string]Handler {
	return map[string]Handler{
		KindPing: {Record: func(ctx context.Context, job store.Job, tx *sql.Tx) error {
			return st.AuditTx(ctx, tx, jobActor, "tache", "Tâche de vérification exécutée : "+job.Payload)
		}},
		KindPurge: {Record: func(ctx context.Context, job store.Job, tx *sql.Tx) error {
			t := now()
			// Sessions end after 12 hours at most; failures matter for 15 minutes.
			if err := st.PurgeExpired(ctx, tx, t.Add(-12*time.Hour), t.Add(-24*time.Hour)); err != nil {
				return err
			}
			return st.EnqueueJob(ctx, tx, KindPurge, "", t.Add(PurgeEvery))
		}},
	}
}

// EnsurePurge schedules the purge when no instance has yet. Two instances
// starting at once may both schedule it; the purge bears running twice.
func EnsurePurge(ctx context.Context, st *store.Store, now time.Time) error {
	pending, err := st.HasPendingJob(ctx, KindPurge)
	if err != nil || pending {
		return err
	}
	return st.Enqueue(ctx, KindPurge, "", now)
}
