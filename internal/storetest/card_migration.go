package storetest

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testCardMigrationWithDuplicates: migration 0016 meets a database that
// already holds one card twice in a library (the attack it closes). It
// must not fail: it withdraws the contested card from both patrons, says
// so in their histories, and leaves every other card alone.
func testCardMigrationWithDuplicates(t *testing.T, open Opener) {
	ctx := context.Background()
	dsn := freshDSN(t, open)
	driver := "sqlite"
	if store.IsPostgres(dsn) {
		driver = "pgx"
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, dsn, store.Options{Now: func() time.Time { return now }, Secrets: TestSecrets(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	libA, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "F", Town: "Fouesnant", ContactEmail: "a@example.org"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	libB, err := st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Q", Town: "Quimper", ContactEmail: "b@example.org"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	add := func(lib int64, email, card string) int64 {
		id, err := st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "X", FirstName: "Y", Email: email,
			BirthDate: sesame.MustDate(1990, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1), Status: sesame.StatusValidated, CardNumber: card}}, sys)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	holder, taker := add(libA, "holder@example.org", "C-1"), add(libA, "taker@example.org", "C-2")
	other, alone, none := add(libB, "other@example.org", "C-1"), add(libA, "alone@example.org", "C-3"), add(libA, "none@example.org", "")

	// Back to the schema before 0016, with the duplicate it forbids.
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`DROP INDEX patrons_card_unique`,
		`DELETE FROM schema_migrations WHERE name = '0016_card_unique.sql'`,
		`UPDATE patrons SET card_number = ' c-1 ' WHERE email = 'taker@example.org'`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate over a duplicate: %v", err)
	}
	for _, tt := range []struct {
		name      string
		id        int64
		card      string
		withdrawn bool
	}{
		{"the first holder", holder, "", true},
		{"the taker", taker, "", true},
		{"the same card in another library", other, "C-1", false},
		{"a card of its own", alone, "C-3", false},
		{"no card", none, "", false},
	} {
		p, err := st.Patron(ctx, store.NetworkScope(), tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if p.CardNumber != tt.card {
			t.Errorf("%s: card %q, want %q", tt.name, p.CardNumber, tt.card)
		}
		if want := 1 + btoi(tt.withdrawn); p.Version != want {
			t.Errorf("%s: version %d, want %d", tt.name, p.Version, want)
		}
		history, err := st.PatronHistory(ctx, store.NetworkScope(), tt.id)
		if err != nil {
			t.Fatalf("%s: history: %v", tt.name, err)
		}
		noted := false
		for _, ev := range history {
			noted = noted || (strings.Contains(ev.Detail, "« ") && strings.Contains(ev.Detail, "» retiré") && !ev.At.IsZero())
		}
		if noted != tt.withdrawn {
			t.Errorf("%s: history tells of a withdrawn card: %v, want %v", tt.name, noted, tt.withdrawn)
		}
	}
	// The index is back: the store's check aside, a duplicate is refused.
	if _, err := raw.ExecContext(ctx, `UPDATE patrons SET card_number = 'c-3' WHERE email = 'none@example.org'`); err == nil {
		t.Errorf("a duplicate written past the store: want the unique index to refuse it")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
