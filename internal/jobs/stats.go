package jobs

import (
	"context"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// foldHour is when, in the network's calendar, the fold runs: at night,
// when nobody reads the statistics.
const foldHour = 3

// FoldLaunches is the job's handler. The launches of the last
// retentionMonths months, to the day in loc, are kept; older ones are
// deleted, their month counted long before. Two instances running it the
// same day do the work once: the store counts a month once, and the
// cutoff is the same all day.
func FoldLaunches(now func() time.Time, loc *time.Location, retentionMonths int) Handler {
	return Handler{Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
		t := now()
		if _, err := tx.FoldLaunches(ctx, LaunchCutoff(t, loc, retentionMonths), loc); err != nil {
			return err
		}
		return tx.ScheduleJob(ctx, KindFoldLaunches, nextFold(t, loc))
	}}
}

// LaunchCutoff is the first instant whose launches are kept at now: the
// start of the same day retentionMonths months ago.
func LaunchCutoff(now time.Time, loc *time.Location, retentionMonths int) time.Time {
	d := sesame.DateOf(now, loc).AddMonths(-retentionMonths)
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// nextFold is the first foldHour o'clock of the network's calendar after now.
func nextFold(now time.Time, loc *time.Location) time.Time { return NextDaily(now, loc, foldHour) }
