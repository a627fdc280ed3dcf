package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// The reminders before the end of validity: which are due on a day
// (DueReminders), and sending one exactly once (SendReminder). The domain
// decides (sesame.ReminderSchedule.Due); the table reminders_sent remembers.

// DueReminder is a reminder due to a patron on a day, not sent yet.
type DueReminder struct {
	Patron   sesame.Patron
	Library  string // its name, as the mail and the command say it
	Schedule sesame.ReminderSchedule
	Offset   sesame.ReminderOffset
}

// reminderActor signs the history's line of a reminder.
var reminderActor = sesame.Actor{Label: "rappels avant la fin de validité"}

// DueReminders lists the reminders due on day and not sent yet, by library
// then patron: for each Validé or Expiré account of an open library whose
// end date is near enough, the reminder its library's schedule says is due
// (sesame.ReminderSchedule.Due).
func (s *Store) DueReminders(ctx context.Context, day sesame.Date) ([]DueReminder, error) {
	network, err := s.Network(ctx)
	if err != nil {
		return nil, err
	}
	// The day after ends reminders ReminderLateDays after it; the earliest
	// begins MaxReminderDays before the end.
	from, to := day.AddDays(-sesame.ReminderLateDays-1).ISO(), day.AddDays(sesame.MaxReminderDays).ISO()
	sent, err := s.remindersSentSince(ctx, from)
	if err != nil {
		return nil, err
	}
	rows, err := s.scanStmts.QueryContext(ctx, `
		SELECT `+patronColumns+`, l.name, l.reminder_days, l.reminder_day_after
		FROM patrons p JOIN libraries l ON l.id = p.library_id
		WHERE p.status IN ($1, $2) AND p.valid_until >= $3 AND p.valid_until <= $4 AND l.disabled = FALSE
		ORDER BY l.name, l.id, p.sort_last, p.sort_first, p.id`,
		string(sesame.StatusValidated), string(sesame.StatusExpired), from, to)
	if err != nil {
		return nil, fmt.Errorf("list reminder candidates: %w", err)
	}
	defer rows.Close()
	var due []DueReminder
	for rows.Next() {
		var d DueReminder
		var lib sesame.Library
		if err := scanPatronAndLibrary(rows, &d.Patron, &lib); err != nil {
			return nil, fmt.Errorf("scan reminder candidate: %w", err)
		}
		d.Library, d.Schedule = lib.Name, lib.Reminders(network.Reminders)
		o, ok := d.Schedule.Due(&d.Patron, day)
		if !ok || sent[reminderKey{d.Patron.ID, d.Patron.ValidUntil.ISO(), int(o)}] {
			continue
		}
		d.Offset = o
		due = append(due, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reminder candidates: %w", err)
	}
	return due, nil
}

// reminderKey is what a reminder is sent once for.
type reminderKey struct {
	patronID   int64
	validUntil string
	offset     int
}

// remindersSentSince returns the reminders sent for end dates from from (ISO) on.
func (s *Store) remindersSentSince(ctx context.Context, from string) (map[reminderKey]bool, error) {
	rows, err := s.scanStmts.QueryContext(ctx, `SELECT patron_id, valid_until, offset_days FROM reminders_sent WHERE valid_until >= $1`, from)
	if err != nil {
		return nil, fmt.Errorf("list reminders sent: %w", err)
	}
	defer rows.Close()
	sent := map[reminderKey]bool{}
	for rows.Next() {
		var k reminderKey
		if err := rows.Scan(&k.patronID, &k.validUntil, &k.offset); err != nil {
			return nil, fmt.Errorf("scan reminder sent: %w", err)
		}
		sent[k] = true
	}
	return sent, rows.Err()
}

// scanPatronAndLibrary scans a row of patronColumns then the library's
// name and reminder settings.
func scanPatronAndLibrary(rows *sql.Rows, p *sesame.Patron, l *sesame.Library) error {
	var days sql.NullString
	var dayAfter sql.NullBool
	if err := scanPatron(scanExtra{rows, []any{&l.Name, &days, &dayAfter}}, p); err != nil {
		return err
	}
	return setLibraryReminders(l, days, dayAfter)
}

// SendReminder sends reminder d, due on day, once: in one transaction it
// reads the patron again, records the reminder for its current end date
// unless it already was (by another instance, or an earlier run), writes
// its line in the history, and calls then to put the mail in the outbox. It
// reports false, writing nothing, when the reminder was already sent or is
// no longer due: the account was renewed, or its holder asked for renewal,
// or it was deleted, in between.
func (s *Store) SendReminder(ctx context.Context, d DueReminder, day sesame.Date, then AfterWrite) (bool, error) {
	sent := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := findPatron(ctx, tx, NetworkScope(), d.Patron.ID)
		if sesame.ErrorCode(err) == sesame.ENotFound {
			return nil // deleted in between
		}
		if err != nil {
			return err
		}
		if o, due := d.Schedule.Due(p, day); !due || o != d.Offset || p.ValidUntil != d.Patron.ValidUntil {
			return nil
		}
		if err := recordReminder(ctx, tx, p.ID, p.ValidUntil, d.Offset, s.Now()); err != nil {
			if errors.Is(err, errReminderSent) {
				return nil
			}
			return err
		}
		detail := fmt.Sprintf("Rappel envoyé à %s, %s (fin de validité : %s).", p.Email, d.Offset.Label(), p.ValidUntil)
		if err := audit(ctx, tx, s.Now(), reminderActor, p.LibraryID, p.ID, sesame.ActionReminder, detail); err != nil {
			return err
		}
		if err := then(s.wrap(tx), p); err != nil {
			return err
		}
		sent = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return sent, nil
}

// SkipDueReminders records the reminders due on day as sent, without mail
// nor history: for accounts seeded with their past (the demo), whose
// reminders would have left on earlier days. It returns how many.
func (s *Store) SkipDueReminders(ctx context.Context, day sesame.Date) (int, error) {
	due, err := s.DueReminders(ctx, day)
	if err != nil {
		return 0, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, d := range due {
			err := recordReminder(ctx, tx, d.Patron.ID, d.Patron.ValidUntil, d.Offset, s.Now())
			if err != nil && !errors.Is(err, errReminderSent) {
				return err
			}
		}
		return nil
	})
	return len(due), err
}

// errReminderSent is recordReminder's answer for a reminder already recorded.
var errReminderSent = errors.New("reminder already sent")

// recordReminder records in tx that reminder o of the account of patron
// ending on end was sent at, or returns errReminderSent when it already was.
func recordReminder(ctx context.Context, tx *sql.Tx, patron int64, end sesame.Date, o sesame.ReminderOffset, at time.Time) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO reminders_sent (patron_id, valid_until, offset_days, sent_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (patron_id, valid_until, offset_days) DO NOTHING`,
		patron, end.ISO(), int(o), dbTime(at))
	if err != nil {
		return fmt.Errorf("record reminder: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record reminder: %w", err)
	}
	if n == 0 {
		return errReminderSent
	}
	return nil
}
