package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

func testApplyRetention(t *testing.T, open Opener) {
	st, lib, _ := withLibrary(t, open)
	ctx := context.Background()
	// The accounts are created on 26/11/2026; retention runs on 27/12/2027,
	// when "12 months ago" is 27/12/2026.
	accounts := []struct {
		last       string
		status     sesame.Status
		validUntil sesame.Date
		kept       bool
	}{
		{"VALIDE-PARTI", sesame.StatusValidated, sesame.MustDate(2026, 12, 1), false},
		{"VALIDE-RECENT", sesame.StatusValidated, sesame.MustDate(2027, 1, 15), true},
		{"VALIDE-LIMITE", sesame.StatusValidated, sesame.MustDate(2026, 12, 27), true},
		{"EXPIRE", sesame.StatusExpired, sesame.MustDate(2026, 6, 1), false},
		{"REVALIDER", sesame.StatusToRevalidate, sesame.MustDate(2026, 11, 1), false},
		{"REFUSE", sesame.StatusRefused, sesame.Date{}, false},
		{"ATTENTE", sesame.StatusToValidate, sesame.Date{}, false},
		{"VALIDE-LONG", sesame.StatusValidated, sesame.MustDate(2028, 1, 1), true},
	}
	ids := map[string]int64{}
	for _, a := range accounts {
		p := sesame.Patron{LibraryID: lib, LastName: a.last, FirstName: "Anne", Email: strings.ToLower(a.last) + "@example.org",
			BirthDate: sesame.MustDate(1980, 1, 1), PostalCode: "29000", Town: "Quimper", Status: a.status, ValidUntil: a.validUntil,
			RegisteredOn: sesame.MustDate(2025, 1, 1)}
		if !a.validUntil.IsZero() {
			p.LibraryRegisteredOn = a.validUntil.AddMonths(-12)
		}
		id, err := st.CreatePatron(ctx, store.NewPatron{Patron: p}, sys)
		if err != nil {
			t.Fatalf("create %s: %v", a.last, err)
		}
		ids[a.last] = id
	}
	err := st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AddMail(ctx, store.Mail{To: "anne@example.org", Subject: "Votre compte", Text: "Bonjour"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2027, 12, 27, 9, 0, 0, 0, time.UTC)
	var rep store.RetentionReport
	err = st.Update(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ApplyRetention(ctx, sesame.DateOf(later, time.UTC), later)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantDeleted := 0
	for _, a := range accounts {
		_, err := st.Patron(ctx, store.NetworkScope(), ids[a.last])
		gone := sesame.ErrorCode(err) == sesame.ENotFound
		if gone == a.kept {
			t.Errorf("%s (%s, end %s): deleted %v, want kept %v", a.last, a.status.Label(), a.validUntil, gone, a.kept)
		}
		if !a.kept {
			wantDeleted++
			trail, err := st.PatronTrail(ctx, store.NetworkScope(), ids[a.last])
			if err != nil || len(trail) == 0 || trail[0].Action != "suppression" || strings.Contains(trail[0].Detail, a.last) {
				t.Errorf("%s: trail after deletion %+v (%v): want a pseudonymous « suppression »", a.last, trail, err)
			}
		}
	}
	if rep.Accounts != wantDeleted || rep.MailDeleted != 1 || rep.EventsCleared == 0 {
		t.Errorf("report %+v: want %d accounts, 1 mail, some events", rep, wantDeleted)
	}
	counts, err := st.StatusCounts(ctx, store.LibraryScope(lib))
	if err != nil {
		t.Fatal(err)
	}
	if counts[sesame.StatusValidated] != 3 || counts[sesame.StatusExpired] != 0 || counts[sesame.StatusRefused] != 0 {
		t.Errorf("counts after retention: %v, want 3 Validé and nothing else", counts)
	}
	trail, err := st.PatronTrail(ctx, store.NetworkScope(), ids["VALIDE-LONG"])
	if err != nil || len(trail) == 0 || trail[len(trail)-1].Detail != "Détail effacé après 12 mois." {
		t.Errorf("a kept account's year-old events keep their details: %+v (%v)", trail, err)
	}
	// A second pass finds nothing more.
	err = st.Update(ctx, func(tx *store.Tx) error {
		rep, err = tx.ApplyRetention(ctx, sesame.DateOf(later, time.UTC), later)
		return err
	})
	if err != nil || rep.Accounts != 0 || rep.MailDeleted != 0 {
		t.Errorf("second pass: %+v, %v", rep, err)
	}
}
