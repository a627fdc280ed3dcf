package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// reminderEnd is the end date of the accounts of the reminder tests.
var reminderEnd = sesame.MustDate(2027, 1, 31)

// validatedUntil creates a Validé patron of lib whose account ends on end.
func validatedUntil(t testing.TB, st *store.Store, lib int64, first string, end sesame.Date) int64 {
	t.Helper()
	id, err := st.CreatePatron(context.Background(), store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "RAPPEL", FirstName: first,
		Email: first + "@example.org", BirthDate: sesame.MustDate(1980, 1, 2), PostalCode: "29000", Town: "Quimper",
		RegisteredOn: sesame.MustDate(2025, 1, 2), Status: sesame.StatusValidated, LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end}}, sys)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// reminderMail is the AfterWrite of the tests: one message in the outbox.
func reminderMail(ctx context.Context) store.AfterWrite {
	return func(tx *store.Tx, p *sesame.Patron) error {
		_, err := tx.AddMail(ctx, store.Mail{To: p.Email, Subject: "Votre compte prend fin le " + p.ValidUntil.String(), Text: "Rappel"})
		return err
	}
}

// remindersIn counts the reminder lines of a patron's history and the messages of the outbox.
func remindersIn(t testing.TB, st *store.Store, patron int64) (history, outbox int) {
	t.Helper()
	ctx := context.Background()
	events, err := st.PatronHistory(ctx, store.NetworkScope(), patron)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Action == string(sesame.ActionReminder) {
			history++
		}
	}
	mails, err := st.RecentMail(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	return history, len(mails)
}

// testRemindersSentOnce: two instances send the day's reminders at the same
// time; each reminder leaves once, with one line in the history, and a
// second run of the day finds nothing to send.
func testRemindersSentOnce(t *testing.T, open Opener) {
	a, b := twoInstances(t, open)
	ctx := context.Background()
	lib, err := a.CreateLibrary(ctx, sesame.Library{Code: "BRIEC", Name: "Briec", Town: "Briec", ContactEmail: "b@example.org"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	patron := validatedUntil(t, a, lib, "Anne", reminderEnd)
	validatedUntil(t, a, lib, "Yann", reminderEnd.AddDays(60)) // nothing due yet
	day := reminderEnd.AddDays(-7)

	// Both list the day's reminders before either sends: each then sends
	// what it listed, at the same time.
	instances := []*store.Store{a, b}
	listed := make([][]store.DueReminder, 2)
	for i, st := range instances {
		if listed[i], err = st.DueReminders(ctx, day); err != nil || len(listed[i]) != 1 {
			t.Fatalf("instance %d: due %+v (%v), want Anne's reminder", i, listed[i], err)
		}
	}
	var wg sync.WaitGroup
	sent := make([]int, 2)
	for i, st := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, d := range listed[i] {
				ok, err := st.SendReminder(ctx, d, day, reminderMail(ctx))
				if err != nil {
					t.Errorf("instance %d: send: %v", i, err)
				}
				if ok {
					sent[i]++
				}
			}
		}()
	}
	wg.Wait()
	if sent[0]+sent[1] != 1 {
		t.Errorf("reminders sent by the two instances: got %v, want 1 in all", sent)
	}
	if h, o := remindersIn(t, a, patron); h != 1 || o != 1 {
		t.Errorf("history and outbox: got %d and %d, want 1 and 1", h, o)
	}
	due, err := a.DueReminders(ctx, day.AddDays(1))
	if err != nil || len(due) != 0 {
		t.Errorf("the next day: got %+v (%v), want nothing due: the 7-day reminder left", due, err)
	}
}

// testReminderAfterRenewal: a reminder listed before the library renewed the
// account is not sent after; one whose mail could not be written is not
// recorded, so that the next run sends it.
func testReminderAfterRenewal(t *testing.T, open Opener) {
	st, lib, _ := withLibrary(t, open)
	ctx := context.Background()
	renewed := validatedUntil(t, st, lib, "Gwen", reminderEnd)
	failed := validatedUntil(t, st, lib, "Loïc", reminderEnd)
	day := reminderEnd.AddDays(-30)
	due, err := st.DueReminders(ctx, day)
	if err != nil || len(due) != 2 || due[0].Offset != 30 || due[0].Library != "Médiathèque de Fouesnant" {
		t.Fatalf("due: got %+v (%v), want the 30-day reminders of Gwen and Loïc", due, err)
	}
	_, err = st.UpdatePatron(ctx, store.NetworkScope(), renewed, 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.ValidUntil = p.ValidUntil.AddMonths(12)
		return store.Change{Action: sesame.ActionRenewal, Detail: "renouvelé"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range due {
		var then store.AfterWrite = reminderMail(ctx)
		if d.Patron.ID == failed {
			then = func(*store.Tx, *sesame.Patron) error { return errors.New("the mail could not be written") }
		}
		ok, err := st.SendReminder(ctx, d, day, then)
		if ok {
			t.Errorf("reminder of %s: sent, want it skipped (renewed) or failed", d.Patron.FirstName)
		}
		if (err != nil) != (d.Patron.ID == failed) {
			t.Errorf("reminder of %s: error %v", d.Patron.FirstName, err)
		}
	}
	if h, o := remindersIn(t, st, renewed); h != 0 || o != 0 {
		t.Errorf("renewed: history and outbox got %d and %d, want nothing", h, o)
	}
	due, err = st.DueReminders(ctx, day)
	if err != nil || len(due) != 1 || due[0].Patron.ID != failed {
		t.Fatalf("after the failure: got %+v (%v), want Loïc's reminder still due", due, err)
	}
	if ok, err := st.SendReminder(ctx, due[0], day, reminderMail(ctx)); !ok || err != nil {
		t.Errorf("second run: got %v, %v, want sent", ok, err)
	}

	// An account seeded with its past (the demo): its reminder of the day
	// is recorded without a mail or a history line, and is due no more.
	seeded := validatedUntil(t, st, lib, "Nolwenn", reminderEnd)
	if n, err := st.SkipDueReminders(ctx, day); n != 1 || err != nil {
		t.Fatalf("skip: got %d (%v), want Nolwenn's reminder", n, err)
	}
	if due, err := st.DueReminders(ctx, day); err != nil || len(due) != 0 {
		t.Errorf("after the skip: got %+v (%v), want nothing due", due, err)
	}
	if h, o := remindersIn(t, st, seeded); h != 0 || o != 1 {
		t.Errorf("skipped: history and outbox got %d and %d, want no line and only Loïc's mail", h, o)
	}
}

// testLibraryReminderSetting: a library's own reminders are stored, follow
// the network when unset, and decide what its patrons are due.
func testLibraryReminderSetting(t *testing.T, open Opener) {
	st, lib, _ := withLibrary(t, open)
	ctx := context.Background()
	l, err := st.Library(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	if l.ReminderDays != nil || l.ReminderDayAfter != nil {
		t.Errorf("a new library: got %v and %v, want the network's (nil)", l.ReminderDays, l.ReminderDayAfter)
	}
	yes := true
	l.ReminderDays, l.ReminderDayAfter = []int{15}, &yes
	if err := st.UpdateLibrary(ctx, *l, sys); err != nil {
		t.Fatal(err)
	}
	got, err := st.Library(ctx, lib)
	if err != nil || !reflect.DeepEqual(got.ReminderDays, []int{15}) || got.ReminderDayAfter == nil || !*got.ReminderDayAfter {
		t.Fatalf("after update: got %+v (%v), want 15 days and the day after", got, err)
	}
	patron := validatedUntil(t, st, lib, "Soizic", reminderEnd)
	for _, tt := range []struct {
		day  sesame.Date
		want []sesame.ReminderOffset
	}{
		{reminderEnd.AddDays(-30), nil}, // the network's 30 days: not this library's
		{reminderEnd.AddDays(-15), []sesame.ReminderOffset{15}},
		{reminderEnd.AddDays(1), []sesame.ReminderOffset{sesame.ReminderDayAfter}},
	} {
		due, err := st.DueReminders(ctx, tt.day)
		if err != nil {
			t.Fatal(err)
		}
		var offsets []sesame.ReminderOffset
		for _, d := range due {
			if d.Patron.ID == patron {
				offsets = append(offsets, d.Offset)
			}
		}
		if !reflect.DeepEqual(offsets, tt.want) {
			t.Errorf("due on %v: got %v, want %v", tt.day, offsets, tt.want)
		}
	}
}
