package storetest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testSavePatrons: a batch saved at once leaves what UpdatePatron leaves
// for each patron: fields and version, status counters, one audit line
// each, the search index, and the mails and jobs written with it; a
// patron changed since it was read makes the whole batch stale.
func testSavePatrons(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	sc := store.LibraryScope(f.libA)
	staff := sesame.Actor{Label: "Bibliothécaire", Role: sesame.RoleLibrary, LibraryID: f.libA}
	a := f.patron(t, f.libA, "LE GALL", "Anne", "anne@example.org", sesame.StatusToRevalidate)
	b := f.patron(t, f.libA, "MOAL", "Katell", "katell@example.org", sesame.StatusToRevalidate)
	c := f.patron(t, f.libA, "TANGUY", "Yann", "yann@example.org", sesame.StatusValidated)
	paul := f.patron(t, f.libB, "QUERE", "Paul", "paul@example.org", sesame.StatusValidated)
	if _, err := f.st.SetGrants(ctx, sc, c, f.res[:1], sesame.GrantValidated, sys); err != nil {
		t.Fatal(err)
	}
	countsBefore, err := f.st.StatusCounts(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	read := func(id int64) *sesame.Patron {
		t.Helper()
		p, err := f.st.Patron(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	from, until := sesame.MustDate(2026, 11, 20), sesame.MustDate(2027, 11, 20)
	var batch []store.PatronSave
	var thenSaw []int64
	for i, id := range []int64{a, b, c} {
		before := read(id)
		after := *before
		after.Status, after.LibraryRegisteredOn, after.ValidUntil = sesame.StatusValidated, from, until
		batch = append(batch, store.PatronSave{Before: before, After: &after, Action: sesame.ActionRenewal,
			Detail: "Import SIGB f.csv, ligne " + strconv.Itoa(i+2) + " : revalidé.",
			Then: func(tx *store.Tx, p *sesame.Patron) error {
				thenSaw = append(thenSaw, p.ID)
				if p.Version != before.Version+1 || p.ValidUntil != until {
					t.Errorf("Then got patron %d as %+v", p.ID, p)
				}
				return nil
			}})
	}
	var names map[int64]map[sesame.GrantState][]string
	var mailIDs []int64
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		saved, err := tx.SavePatrons(ctx, staff, batch)
		if err != nil {
			return err
		}
		if len(saved) != 3 || saved[2].ID != c {
			t.Errorf("saved: %+v", saved)
		}
		if names, err = tx.GrantNamesOf(ctx, []int64{a, c, paul}); err != nil {
			return err
		}
		if mailIDs, err = tx.AddMails(ctx, []store.Mail{{To: "anne@example.org", ToName: "Anne LE GALL", Subject: "Un", Text: "t", HTML: "<p>t</p>"},
			{To: "yann@example.org", ToName: "Yann TANGUY", Subject: "Deux", Text: "t", HTML: "<p>t</p>"}}); err != nil {
			return err
		}
		payloads := []string{strconv.FormatInt(mailIDs[0], 10), strconv.FormatInt(mailIDs[1], 10)}
		return tx.EnqueueJobs(ctx, "mail", payloads, tx.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(thenSaw, []int64{a, b, c}) {
		t.Errorf("Then ran for %v, want %v", thenSaw, []int64{a, b, c})
	}
	for i, id := range []int64{a, b, c} {
		p := read(id)
		if p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != from || p.ValidUntil != until || p.Version != batch[i].Before.Version+1 {
			t.Errorf("patron %d saved as %+v", id, p)
		}
		if p.LastName != batch[i].Before.LastName || p.CardNumber != batch[i].Before.CardNumber || p.Email != batch[i].Before.Email {
			t.Errorf("patron %d: names, card or e-mail changed: %+v", id, p)
		}
		trail, err := f.st.PatronHistory(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(trail) == 0 || trail[0].Detail != batch[i].Detail || trail[0].Action != string(sesame.ActionRenewal) || trail[0].ActorLabel != staff.Label {
			t.Errorf("patron %d: latest audit line %+v, want %q", id, trail[0], batch[i].Detail)
		}
	}
	counts, err := f.st.StatusCounts(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if counts[sesame.StatusToRevalidate] != countsBefore[sesame.StatusToRevalidate]-2 || counts[sesame.StatusValidated] != countsBefore[sesame.StatusValidated]+2 {
		t.Errorf("counters: before %v, after %v", countsBefore, counts)
	}
	// The counters say what a count of the rows says.
	for _, st := range []sesame.Status{sesame.StatusToRevalidate, sesame.StatusValidated} {
		page, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Status: st})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) != counts[st] {
			t.Errorf("%s: %d rows, counter %d", st, len(page.Rows), counts[st])
		}
	}
	// The search index still finds them by name.
	page, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: "katell"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 1 || page.Rows[0].ID != b {
		t.Errorf("search katell: %+v", page.Rows)
	}
	// Grant names: every patron asked has an entry.
	if got := names[c][sesame.GrantValidated]; !slices.Equal(got, []string{"pressreader"}) {
		t.Errorf("grant names of c: %v", names[c])
	}
	if got := names[a][sesame.GrantPending]; !slices.Equal(got, []string{"pressreader"}) {
		t.Errorf("grant names of a: %v", names[a])
	}
	if len(names) != 3 || names[paul] == nil || len(names[paul][sesame.GrantPending]) != 1 {
		t.Errorf("grant names: %v", names)
	}
	// One job per mail, naming its outbox row.
	if len(mailIDs) != 2 || mailIDs[0] == mailIDs[1] {
		t.Fatalf("mail ids %v", mailIDs)
	}
	jobs, err := f.st.ClaimJobs(ctx, "w", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var payloads []string
	for _, j := range jobs {
		if j.Kind == "mail" {
			payloads = append(payloads, j.Payload)
		}
	}
	slices.Sort(payloads)
	want := []string{strconv.FormatInt(min(mailIDs[0], mailIDs[1]), 10), strconv.FormatInt(max(mailIDs[0], mailIDs[1]), 10)}
	if !slices.Equal(payloads, want) {
		t.Errorf("mail jobs %v, want %v", payloads, want)
	}
	// A batch holding a patron read before its last save is stale, whole:
	// b's save is rolled back with c's.
	b2 := read(b)
	changedB := *b2
	changedB.ValidUntil = sesame.MustDate(2028, 1, 1)
	changedC := *batch[2].After
	changedC.ValidUntil = sesame.MustDate(2028, 1, 1)
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.SavePatrons(ctx, staff, []store.PatronSave{
			{Before: b2, After: &changedB, Action: sesame.ActionImport, Detail: "x"},
			{Before: batch[2].Before, After: &changedC, Action: sesame.ActionImport, Detail: "x"}})
		return err
	})
	if sesame.ErrorCode(err) != sesame.EStale {
		t.Fatalf("stale batch: got %v", err)
	}
	if p := read(b); p.Version != b2.Version || p.ValidUntil != until {
		t.Errorf("stale batch wrote b: %+v", p)
	}
	// A change of more than a renewal goes through UpdatePatron.
	renamed := changedB
	renamed.LastName = "AUTRE"
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.SavePatrons(ctx, staff, []store.PatronSave{{Before: b2, After: &renamed, Action: sesame.ActionImport, Detail: "x"}})
		return err
	})
	if err == nil {
		t.Error("a renamed patron was saved")
	}
	// Another library's staff may not save them.
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.SavePatrons(ctx, sesame.Actor{Label: "Quimper", Role: sesame.RoleLibrary, LibraryID: f.libB},
			[]store.PatronSave{{Before: b2, After: &changedB, Action: sesame.ActionImport, Detail: "x"}})
		return err
	})
	if sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("another library's staff: got %v", err)
	}
}
