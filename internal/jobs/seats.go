package jobs

import (
	"context"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// SeatSweepHour is when, each night, the seats of accounts past their end
// date go to the next in line (KindSeatSweep).
const SeatSweepHour = 2

// SweepSeats gives the seats of the licences held by accounts whose end
// date passed without their holder logging in to the next patrons in line
// (store.Tx.SweepSeats), then schedules itself for the next night. What an
// expiry, a withdrawal, a refusal or a deletion frees is given at once, in
// that change's transaction; this catches the end dates nobody touched.
func SweepSeats(now func() time.Time, loc *time.Location) Handler {
	return Handler{Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
		if _, err := tx.SweepSeats(ctx); err != nil {
			return err
		}
		return tx.EnqueueJob(ctx, KindSeatSweep, "", NextDaily(now(), loc, SeatSweepHour))
	}}
}
