package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// importPatron creates a patron of lib for the renewal import tests.
func importPatron(t testing.TB, st *store.Store, lib int64, last, first, email, card string, birth sesame.Date, status sesame.Status) int64 {
	t.Helper()
	p := sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: email, BirthDate: birth,
		PostalCode: "29170", Town: "Fouesnant", CardNumber: card, RegisteredOn: sesame.MustDate(2024, 1, 5), Status: status}
	if status == sesame.StatusValidated || status == sesame.StatusExpired || status == sesame.StatusToRevalidate {
		p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2025, 10, 1), sesame.MustDate(2026, 10, 1)
	}
	id, err := st.CreatePatron(context.Background(), store.NewPatron{Patron: p}, sys)
	if err != nil {
		t.Fatalf("create %s: %v", last, err)
	}
	return id
}

// testMatchRenewals: a line finds its patron by card (trimmed, case
// ignored), then e-mail, then name and birth date when only one patron has
// them; never in another library.
func testMatchRenewals(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	birth := sesame.MustDate(1990, 5, 17)
	byCard := importPatron(t, f.st, f.libA, "LE GALL", "Anne", "anne@example.org", "K-0042", birth, sesame.StatusValidated)
	byEmail := importPatron(t, f.st, f.libA, "MOAL", "Katell", "katell@example.org", "", birth, sesame.StatusToRevalidate)
	byName := importPatron(t, f.st, f.libA, "Lefèvre", "Éloïse", "eloise@example.org", "", birth, sesame.StatusExpired)
	twinA := importPatron(t, f.st, f.libA, "TANGUY", "Yann", "yann1@example.org", "", birth, sesame.StatusValidated)
	twinB := importPatron(t, f.st, f.libA, "Tanguy", "Yann", "yann2@example.org", "", birth, sesame.StatusValidated)
	// Quimper has a patron with Anne's card number: Fouesnant's line is not theirs.
	quimper := importPatron(t, f.st, f.libB, "QUERE", "Paul", "paul@example.org", "K-0099", birth, sesame.StatusValidated)

	keys := []store.RenewalKey{
		{LibraryID: f.libA, Card: "  k-0042 "},
		{LibraryID: f.libA, Card: "UNKNOWN", Email: " Katell@Example.org "},
		{LibraryID: f.libA, LastName: "LEFEVRE", FirstName: "eloise", BirthDate: birth},
		{LibraryID: f.libA, LastName: "Tanguy", FirstName: "Yann", BirthDate: birth},
		{LibraryID: f.libA, LastName: "Lefèvre", FirstName: "Éloïse"}, // no birth date: names alone match nobody
		{LibraryID: f.libA, Card: "K-0099"},                           // Quimper's card
		{LibraryID: f.libB, Card: "K-0042"},                           // Fouesnant's card, read for Quimper
		{LibraryID: f.libB, Card: "k-0099"},
		{LibraryID: f.libA, Email: "paul@example.org"}, // Quimper's address
	}
	want := []struct {
		patron     int64
		candidates []int64
	}{{patron: byCard}, {patron: byEmail}, {patron: byName}, {candidates: []int64{twinA, twinB}}, {}, {}, {}, {patron: quimper}, {}}
	for _, read := range []struct {
		name  string
		match func([]store.RenewalKey) ([]store.RenewalMatch, error)
	}{
		{"store", func(k []store.RenewalKey) ([]store.RenewalMatch, error) { return f.st.MatchRenewals(ctx, k) }},
		{"tx", func(k []store.RenewalKey) (m []store.RenewalMatch, err error) {
			err = f.st.Update(ctx, func(tx *store.Tx) error { m, err = tx.MatchRenewals(ctx, k); return err })
			return m, err
		}},
	} {
		got, err := read.match(keys)
		if err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		if len(got) != len(keys) {
			t.Fatalf("%s: got %d matches, want %d", read.name, len(got), len(keys))
		}
		for i, m := range got {
			var gotID int64
			if m.Patron != nil {
				gotID = m.Patron.ID
			}
			var cands []int64
			for _, c := range m.Candidates {
				cands = append(cands, c.ID)
			}
			if len(cands) == 2 && cands[0] > cands[1] {
				cands[0], cands[1] = cands[1], cands[0]
			}
			if gotID != want[i].patron || !reflect.DeepEqual(cands, want[i].candidates) {
				t.Errorf("%s: key %d %+v: got patron %d candidates %v, want %d %v", read.name, i, keys[i], gotID, cands, want[i].patron, want[i].candidates)
			}
		}
	}
	if got, err := f.st.MatchRenewals(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("no keys: got %v, %v; want nothing", got, err)
	}
}

// testNoteSIGBRegistration: the date the library system gives an account
// the import leaves alone is kept on the patron, even an Expiré one that
// staff may not edit, with its line in the history; a stale version is
// refused and the transaction undone.
func testNoteSIGBRegistration(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := importPatron(t, f.st, f.libA, "GUEGUEN", "Loïc", "loic@example.org", "C1", sesame.MustDate(1970, 1, 1), sesame.StatusExpired)
	staff := sesame.Actor{Label: "fouesnant", Role: sesame.RoleLibrary, LibraryID: f.libA, StaffID: 1}
	p, err := f.st.Patron(ctx, store.LibraryScope(f.libA), id)
	if err != nil {
		t.Fatal(err)
	}
	p.SIGBRegisteredOn = sesame.MustDate(2026, 11, 2)
	mailed := 0
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		return tx.NoteSIGBRegistration(ctx, p, staff, "Import SIGB export.csv, ligne 3 : invité", func(tx *store.Tx, q *sesame.Patron) error {
			mailed++
			_, err := tx.AddMail(ctx, store.Mail{To: q.Email, Subject: "Renouvelé " + q.SIGBRegisteredOn.String(), Text: "x"})
			return err
		})
	})
	if err != nil || mailed != 1 {
		t.Fatalf("note: %v, mailed %d", err, mailed)
	}
	got, err := f.st.Patron(ctx, store.LibraryScope(f.libA), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.SIGBRegisteredOn != sesame.MustDate(2026, 11, 2) || got.Status != sesame.StatusExpired || got.Version != p.Version {
		t.Errorf("patron: got SIGB %v, %s, version %d; want 02/11/2026, Expiré, version %d", got.SIGBRegisteredOn, got.Status, got.Version, p.Version)
	}
	history, err := f.st.PatronHistory(ctx, store.LibraryScope(f.libA), id)
	if err != nil || history[0].Action != string(sesame.ActionImport) || !strings.Contains(history[0].Detail, "ligne 3") {
		t.Errorf("history: got %+v (%v), want the import on top", history, err)
	}
	// The same patron as read before: stale, and nothing is written.
	stale := *got
	stale.Version--
	stale.SIGBRegisteredOn = sesame.MustDate(2026, 11, 20)
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.AddMail(ctx, store.Mail{To: "x@example.org", Subject: "s", Text: "t"}); err != nil {
			return err
		}
		return tx.NoteSIGBRegistration(ctx, &stale, staff, "again", nil)
	})
	if sesame.ErrorCode(err) != sesame.EStale {
		t.Errorf("stale note: got %v, want EStale", err)
	}
	if mails, _ := f.st.RecentMail(ctx, 10); len(mails) != 1 {
		t.Errorf("outbox after a stale note: got %d messages, want 1", len(mails))
	}
}

// testTxUpdatePatron: a patron updated through a Tx commits with the rest
// of the transaction, or not at all.
func testTxUpdatePatron(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	a := importPatron(t, f.st, f.libA, "A", "Un", "a@example.org", "", sesame.MustDate(1970, 1, 1), sesame.StatusToRevalidate)
	b := importPatron(t, f.st, f.libA, "B", "Deux", "b@example.org", "", sesame.MustDate(1970, 1, 1), sesame.StatusToRevalidate)
	revalidate := func(p *sesame.Patron) (store.Change, error) {
		p.Status, p.LibraryRegisteredOn, p.ValidUntil = sesame.StatusValidated, sesame.MustDate(2026, 11, 1), sesame.MustDate(2027, 11, 1)
		return store.Change{Action: sesame.ActionRenewal, Detail: "import"}, nil
	}
	boom := fmt.Errorf("panne")
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpdatePatron(ctx, store.LibraryScope(f.libA), a, 0, sys, revalidate); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("got %v, want the callback's error", err)
	}
	if p, _ := f.st.Patron(ctx, store.NetworkScope(), a); p.Status != sesame.StatusToRevalidate {
		t.Errorf("rolled back: got %s, want À revalider", p.Status)
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		for _, id := range []int64{a, b} {
			if _, err := tx.UpdatePatron(ctx, store.LibraryScope(f.libA), id, 0, sys, revalidate); err != nil {
				return err
			}
		}
		// Another library's scope does not find the patron.
		_, err := tx.UpdatePatron(ctx, store.LibraryScope(f.libB), a, 0, sys, revalidate)
		if sesame.ErrorCode(err) != sesame.ENotFound {
			return fmt.Errorf("other library: got %v, want ENotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := f.st.StatusCounts(ctx, store.LibraryScope(f.libA))
	if err != nil {
		t.Fatal(err)
	}
	if counts[sesame.StatusValidated] != 2 || counts[sesame.StatusToRevalidate] != 0 {
		t.Errorf("counts: got %v, want 2 Validé", counts)
	}
}

// testRenewalImportStaging: an import staged, previewed, started once,
// applied batch by batch (each batch's rows deleted as it is recorded),
// finished; its report read in order; another library does not see it;
// purged when never started after an hour, or after the audit's retention.
func testRenewalImportStaging(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	staff := sesame.Actor{Label: "fouesnant", Role: sesame.RoleLibrary, LibraryID: f.libA, StaffID: 3}
	id, err := f.st.CreateRenewalImport(ctx, store.RenewalImport{LibraryID: f.libA, Source: "export.csv", Actor: staff})
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.StagedRow
	var lines []store.ImportLine
	for i := 2; i <= 1201; i++ {
		rows = append(rows, store.StagedRow{Line: i, Card: fmt.Sprintf("C%d", i), Email: "", LastName: "NOM", FirstName: "Prénom",
			BirthDate: sesame.MustDate(1980, 1, 1), RegisteredOn: sesame.MustDate(2026, 11, 1)})
		outcome := "unchanged"
		if i%100 == 0 {
			outcome = "unknown"
		}
		lines = append(lines, store.ImportLine{Line: i, Card: fmt.Sprintf("C%d", i), Outcome: outcome, Reason: "aperçu", Detail: `{"x":1}`})
	}
	rows[0].Problem, rows[0].ValidUntil = "Date illisible", sesame.Date{}
	if err := f.st.StageRenewalRows(ctx, id, rows[:700], lines[:700]); err != nil {
		t.Fatal(err)
	}
	if err := f.st.StageRenewalRows(ctx, id, rows[700:], lines[700:]); err != nil {
		t.Fatal(err)
	}
	imp, err := f.st.RenewalImport(ctx, store.LibraryScope(f.libA), id)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Total != 1200 || imp.Done != 0 || imp.Source != "export.csv" || imp.Actor != staff || imp.LibraryID != f.libA || !imp.StartedAt.IsZero() {
		t.Errorf("import: got %+v", imp)
	}
	if _, err := f.st.RenewalImport(ctx, store.LibraryScope(f.libB), id); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("Quimper reads Fouesnant's import: got %v, want ENotFound", err)
	}
	if _, err := f.st.RenewalImport(ctx, store.NetworkScope(), id); err != nil {
		t.Errorf("the network admin reads it: %v", err)
	}
	counts, err := f.st.ImportOutcomeCounts(ctx, id)
	if err != nil || counts["unknown"] != 12 || counts["unchanged"] != 1188 {
		t.Errorf("preview counts: got %v (%v), want 12 unknown, 1188 unchanged", counts, err)
	}
	kept, err := f.st.ImportLines(ctx, id, "unchanged", 5)
	if err != nil || len(kept) != 5 || kept[0].Line != 100 || kept[4].Line != 500 || kept[0].Detail != `{"x":1}` {
		t.Errorf("preview lines: got %+v (%v), want lines 100 to 500", kept, err)
	}

	for _, sc := range []store.Scope{store.LibraryScope(f.libB)} {
		err := f.st.Update(ctx, func(tx *store.Tx) error { _, err := tx.StartRenewalImport(ctx, sc, id); return err })
		if sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("Quimper starts it: got %v, want ENotFound", err)
		}
	}
	start := func() error {
		return f.st.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.StartRenewalImport(ctx, store.LibraryScope(f.libA), id)
			return err
		})
	}
	if err := start(); err != nil {
		t.Fatal(err)
	}
	if err := start(); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("started twice: got %v, want EConflict", err)
	}

	// Two batches of 500 and one of 200, as the job takes them.
	for batch := 0; ; batch++ {
		var done bool
		err := f.st.Update(ctx, func(tx *store.Tx) error {
			imp, err := tx.LockRenewalImport(ctx, id)
			if err != nil {
				return err
			}
			if imp.Done != min(batch*500, 1200) {
				return fmt.Errorf("batch %d: done %d", batch, imp.Done)
			}
			staged, err := tx.NextStagedRows(ctx, id, 500)
			if err != nil {
				return err
			}
			if len(staged) == 0 {
				done = true
				return tx.RecordAppliedRows(ctx, id, nil, 0, true)
			}
			if batch == 0 && (staged[0] != rows[0] || staged[499] != rows[499]) {
				return fmt.Errorf("staged rows: got %+v, want %+v", staged[0], rows[0])
			}
			var applied []store.ImportLine
			for _, r := range staged {
				applied = append(applied, store.ImportLine{Line: r.Line, Card: r.Card, Outcome: "renewed", Reason: "fait"})
			}
			return tx.RecordAppliedRows(ctx, id, applied, staged[len(staged)-1].Line, false)
		})
		if err != nil {
			t.Fatal(err)
		}
		if done {
			if batch != 3 {
				t.Errorf("finished after %d batches, want 3", batch)
			}
			break
		}
	}
	imp, err = f.st.RenewalImport(ctx, store.LibraryScope(f.libA), id)
	if err != nil || imp.Done != 1200 || imp.FinishedAt.IsZero() {
		t.Errorf("finished import: got %+v (%v)", imp, err)
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		left, err := tx.NextStagedRows(ctx, id, 10)
		if err == nil && len(left) != 0 {
			err = fmt.Errorf("staged rows after the import: got %d, want 0", len(left))
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
	var report []string
	err = f.st.EachImportLine(ctx, id, func(l store.ImportLine) error {
		report = append(report, fmt.Sprintf("%d;%s;%s", l.Line, l.Card, l.Outcome))
		return nil
	})
	if err != nil || len(report) != 1200 || report[0] != "2;C2;renewed" || report[1199] != "1201;C1201;renewed" {
		t.Errorf("report: got %d lines (%v), first %q", len(report), err, report[:min(1, len(report))])
	}

	// An import never started is purged after an hour; a finished one's
	// report after the audit's retention.
	idle, err := f.st.CreateRenewalImport(ctx, store.RenewalImport{Source: "reseau.csv", Actor: sys})
	if err != nil {
		t.Fatal(err)
	}
	purge := func(at time.Time) int {
		var n int
		if err := f.st.Update(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.PurgeRenewalImports(ctx, at.Add(-store.UnstartedImportLife), at.AddDate(0, -store.RetentionMonths, 0))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := purge(f.now.Add(30 * time.Minute)); n != 0 {
		t.Errorf("purge after 30 minutes: got %d, want 0", n)
	}
	if n := purge(f.now.Add(61 * time.Minute)); n != 1 {
		t.Errorf("purge after an hour: got %d, want the one never started", n)
	}
	if _, err := f.st.RenewalImport(ctx, store.NetworkScope(), idle); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("purged import: got %v, want ENotFound", err)
	}
	if n := purge(f.now.AddDate(0, store.RetentionMonths, 1)); n != 1 {
		t.Errorf("purge after the retention: got %d, want 1", n)
	}
	if counts, err := f.st.ImportOutcomeCounts(ctx, id); err != nil || len(counts) != 0 {
		t.Errorf("report lines after the purge: got %v (%v), want none", counts, err)
	}
}

// testImportMappings: each library keeps one mapping of its columns, the
// last saved.
func testImportMappings(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	if m, err := f.st.ImportMapping(ctx, f.libA); err != nil || len(m) != 0 {
		t.Errorf("no mapping yet: got %v, %v", m, err)
	}
	first := map[string]string{"carte": "N° lecteur", "date_inscription": "Réinscrit le"}
	second := map[string]string{"carte": "Code barre", "email": "Courriel"}
	for _, m := range []map[string]string{first, second} {
		if err := f.st.SaveImportMapping(ctx, f.libA, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.SaveImportMapping(ctx, f.libB, first); err != nil {
		t.Fatal(err)
	}
	if got, err := f.st.ImportMapping(ctx, f.libA); err != nil || !reflect.DeepEqual(got, second) {
		t.Errorf("Fouesnant: got %v (%v), want %v", got, err, second)
	}
	if got, err := f.st.ImportMapping(ctx, f.libB); err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("Quimper: got %v (%v), want %v", got, err, first)
	}
	if err := f.st.SaveImportMapping(ctx, f.libA, map[string]string{"carte": "bad\x00"}); sesame.ErrorCode(err) != sesame.EInvalid {
		t.Errorf("NUL in a header: got %v, want EInvalid", err)
	}
}

// FailUpdatesOf makes every later update of patron id fail in the database
// dsn names, as a broken disk or a lost connection would: for the tests of
// what a failed batch leaves behind. The failure is the database's own (a
// trigger), not a stand-in. repair drops the trigger.
func FailUpdatesOf(t testing.TB, dsn string, id int64) (repair func()) {
	t.Helper()
	db := openSQL(t, dsn, false)
	repair = func() {
		t.Helper()
		if _, err := db.ExecContext(context.Background(), fmt.Sprintf(`DROP TRIGGER fail_patron_%d`+map[bool]string{true: ` ON patrons`}[store.IsPostgres(dsn)], id)); err != nil {
			t.Fatalf("drop trigger: %v", err)
		}
	}
	stmts := []string{fmt.Sprintf(`CREATE TRIGGER fail_patron_%d BEFORE UPDATE ON patrons FOR EACH ROW WHEN (NEW.id = %d)
		BEGIN SELECT RAISE(ABORT, 'panne simulée'); END`, id, id)}
	if store.IsPostgres(dsn) {
		stmts = []string{
			`CREATE OR REPLACE FUNCTION fail_update() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'panne simulée'; END $$ LANGUAGE plpgsql`,
			fmt.Sprintf(`CREATE TRIGGER fail_patron_%d BEFORE UPDATE ON patrons FOR EACH ROW WHEN (NEW.id = %d) EXECUTE FUNCTION fail_update()`, id, id),
		}
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return repair
}
