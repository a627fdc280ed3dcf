package jobs

import "time"

// NextDaily is the first hour o'clock of loc's calendar after now: when a
// job that runs once a day schedules itself again.
func NextDaily(now time.Time, loc *time.Location, hour int) time.Time {
	t := now.In(loc)
	at := time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, loc)
	if !at.After(now) {
		at = time.Date(t.Year(), t.Month(), t.Day()+1, hour, 0, 0, 0, loc)
	}
	return at
}
