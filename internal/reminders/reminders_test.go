package reminders_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/reminders"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// TestJob runs the nightly job on the morning a reminder is due, then
// again: one mail, with the renewal link, and the job scheduled for the
// next morning at 8 h.
func TestJob(t *testing.T) {
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 1, 3, 0, 0, 0, paris)
	st := storetest.Open(t, func() time.Time { return now })
	actor := sesame.Actor{Label: "test"}
	if err := st.SaveNetwork(ctx, sesame.Network{Name: "Réseau", ContactEmail: "r@example.org", ValidityMonths: 12,
		Reminders: sesame.ReminderSchedule{DaysBefore: []int{30}, DayAfter: true}}, actor); err != nil {
		t.Fatal(err)
	}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "BRIEC", Name: "Médiathèque de Briec", Town: "Briec", ContactEmail: "b@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	end := sesame.MustDate(2027, 1, 31)
	id, err := st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "TANGUY", FirstName: "Soizic",
		Email: "soizic@example.org", BirthDate: sesame.MustDate(1980, 1, 2), PostalCode: "29000", Town: "Quimper",
		RegisteredOn: sesame.MustDate(2025, 1, 2), Status: sesame.StatusValidated, LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	sender := &reminders.Sender{Store: st, BaseURL: "https://sesame.example.org", Location: paris, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	job := sender.Job()
	for run := 1; run <= 2; run++ {
		if err := job.Do(ctx, store.Job{Kind: jobs.KindReminders}); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	mails, err := st.RecentMail(ctx, 10)
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox: got %d messages (%v), want 1", len(mails), err)
	}
	if m := mails[0]; m.Subject != "Votre compte prend fin le 31/01/2027 : demandez son renouvellement" ||
		!strings.Contains(m.Text, "dans 30 jours") || !strings.Contains(m.Text, "https://sesame.example.org/mon-compte/renouvellement") ||
		!strings.Contains(m.Text, "Médiathèque de Briec") {
		t.Errorf("reminder: got %q:\n%s", m.Subject, m.Text)
	}
	history, err := st.PatronHistory(ctx, store.NetworkScope(), id)
	if err != nil {
		t.Fatal(err)
	}
	if h := history[0]; h.Action != string(sesame.ActionReminder) || !strings.Contains(h.Detail, "30 jours avant la fin") {
		t.Errorf("history: got %+v, want the reminder on top", h)
	}

	if err := st.Update(ctx, func(tx *store.Tx) error { return job.Record(ctx, store.Job{Kind: jobs.KindReminders}, tx) }); err != nil {
		t.Fatal(err)
	}
	if pending, err := st.HasPendingJob(ctx, jobs.KindReminders); err != nil || !pending {
		t.Errorf("next run: pending %v (%v), want one scheduled", pending, err)
	}
	if got, want := jobs.NextDaily(now, paris, 8), time.Date(2027, 1, 1, 8, 0, 0, 0, paris); !got.Equal(want) {
		t.Errorf("NextDaily at 3 h: got %v, want %v", got, want)
	}

	// The day after the end, the last reminder says the account ended.
	now = time.Date(2027, 2, 1, 8, 0, 0, 0, paris)
	if n, err := sender.Send(ctx, sender.Today()); err != nil || n != 1 {
		t.Fatalf("the day after: sent %d (%v), want 1", n, err)
	}
	if mails, _ = st.RecentMail(ctx, 10); !strings.HasPrefix(mails[0].Subject, "Votre compte a pris fin le 31/01/2027") {
		t.Errorf("the day after: got %q", mails[0].Subject)
	}
}
