// Package reminders sends the reminders before the end of validity. The
// nightly job (jobs.KindReminders) and the command `sesame reminders` both
// come here: the domain says which reminder a patron is due
// (sesame.ReminderSchedule.Due), the store sends each one once
// (store.SendReminder), and this package writes the mail.
package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// RenewPath is the page a reminder's link opens: « Demander le
// renouvellement », after login if need be.
const RenewPath = "/mon-compte/renouvellement"

// hour is when, in the network's calendar, the day's reminders leave: in
// the morning, when the patron may go to their library.
const hour = 8

// Sender sends the reminders of a day.
type Sender struct {
	Store    *store.Store
	BaseURL  string         // the portal's address, for the link
	Location *time.Location // the network's calendar
	Now      func() time.Time
	Logger   *slog.Logger
}

// Due lists the reminders due on day and not sent yet.
func (s *Sender) Due(ctx context.Context, day sesame.Date) ([]store.DueReminder, error) {
	return s.Store.DueReminders(ctx, day)
}

// errUnmailable stops the sending of a reminder whose mail could not leave
// (an address the mail package refuses): nothing is recorded.
var errUnmailable = errors.New("reminder cannot be mailed")

// Send puts the reminders due on day into the outbox, each with its line in
// the patron's history, and returns how many. A reminder already sent, by
// another instance or an earlier run, is skipped; one that fails is left
// for the next run.
func (s *Sender) Send(ctx context.Context, day sesame.Date) (int, error) {
	due, err := s.Due(ctx, day)
	if err != nil {
		return 0, err
	}
	network := "Sésame"
	if n, err := s.Store.Network(ctx); err == nil && n.Name != "" {
		network = n.Name
	}
	sent := 0
	for _, d := range due {
		ok, err := s.Store.SendReminder(ctx, d, day, func(tx *store.Tx, p *sesame.Patron) error {
			m, err := s.message(d, p, network, day)
			if err != nil {
				return err
			}
			if err := m.Validate(); err != nil {
				s.Logger.Error("rappel non envoyé", "patron", p.ID, "err", err)
				return errUnmailable
			}
			return mail.Enqueue(ctx, tx, m)
		})
		switch {
		case errors.Is(err, errUnmailable):
		case err != nil:
			return sent, fmt.Errorf("reminder to patron %d: %w", d.Patron.ID, err)
		case ok:
			sent++
		}
	}
	return sent, nil
}

// message is the mail of reminder d to p, as read in the transaction that sends it.
func (s *Sender) message(d store.DueReminder, p *sesame.Patron, network string, day sesame.Date) (mail.Message, error) {
	name := p.FirstName + " " + p.LastName
	m, err := notify.Render("rappel-fin-de-validite", notify.Reminder{Name: name, Network: network, Library: d.Library,
		ValidUntil: p.ValidUntil.String(), DaysLeft: p.DaysLeft(day), Ended: d.Offset == sesame.ReminderDayAfter, RenewURL: s.BaseURL + RenewPath})
	if err != nil {
		return mail.Message{}, err
	}
	m.To, m.ToName = p.Email, name
	return m, nil
}

// Today is the day of the network's calendar now.
func (s *Sender) Today() sesame.Date { return sesame.DateOf(s.Now(), s.Location) }

// Job is the nightly job's handler: it sends the day's reminders, then
// schedules itself for the next morning. Sent again after a failure, it
// sends only what was not sent.
func (s *Sender) Job() jobs.Handler {
	return jobs.Handler{
		Do: func(ctx context.Context, _ store.Job) error {
			n, err := s.Send(ctx, s.Today())
			if n > 0 {
				s.Logger.Info("rappels avant la fin de validité envoyés", "count", n)
			}
			return err
		},
		Record: func(ctx context.Context, _ store.Job, tx *store.Tx) error {
			return tx.ScheduleJob(ctx, jobs.KindReminders, jobs.NextDaily(s.Now(), s.Location, hour))
		},
	}
}
