package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testCardNumberUniqueInLibrary: vendors know patrons by their card, so
// within a library a card is one patron's, compared trimmed and in any
// case; no card is anyone's; other libraries have their own numbers.
func testCardNumberUniqueInLibrary(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	anne := f.patron(t, f.libA, "LE GALL", "Anne", "anne@example.org", sesame.StatusValidated) // card C-Anne
	yann := f.patron(t, f.libA, "KERJEAN", "Yann", "yann@example.org", sesame.StatusValidated) // card C-Yann
	newPatron := func(lib int64, email, card string) error {
		_, err := f.st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "X", FirstName: "Y", Email: email,
			BirthDate: sesame.MustDate(1990, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1), Status: sesame.StatusToValidate, CardNumber: card}}, sys)
		return err
	}
	setCard := func(id, lib int64, card string) error {
		_, err := f.st.UpdatePatron(ctx, store.NetworkScope(), id, 0, sys, func(p *sesame.Patron) (store.Change, error) {
			p.CardNumber, p.LibraryID = card, lib
			return store.Change{Action: "informations", Detail: "test"}, nil
		})
		return err
	}
	tests := []struct {
		name  string
		write func() error
		taken bool
	}{
		{"create with a taken card", func() error { return newPatron(f.libA, "a@example.org", "C-Anne") }, true},
		{"create with a taken card in other case and spaces", func() error { return newPatron(f.libA, "b@example.org", " c-anne  ") }, true},
		{"create with the card of another library", func() error { return newPatron(f.libB, "c@example.org", "C-Anne") }, false},
		{"create without card", func() error { return newPatron(f.libA, "d@example.org", "") }, false},
		{"create without card again", func() error { return newPatron(f.libA, "e@example.org", "") }, false},
		{"update to a taken card", func() error { return setCard(yann, f.libA, "C-ANNE") }, true},
		{"update to one's own card in other case", func() error { return setCard(anne, f.libA, "c-anne") }, false},
		{"move to a library where the card is taken", func() error { return setCard(yann, f.libB, "C-Anne") }, true},
		{"update to a free card", func() error { return setCard(yann, f.libA, "C-Neuf") }, false},
	}
	for _, tt := range tests {
		err := tt.write()
		switch {
		case tt.taken && sesame.FieldErrorsOf(err)[sesame.FieldCardNumber] != store.CardTakenMessage:
			t.Errorf("%s: got %v, want the card field's error %q", tt.name, err, store.CardTakenMessage)
		case !tt.taken && err != nil:
			t.Errorf("%s: got %v, want it written", tt.name, err)
		}
	}
	if p, err := f.st.Patron(ctx, store.NetworkScope(), yann); err != nil || p.CardNumber != "C-Neuf" || p.LibraryID != f.libA {
		t.Errorf("Yann after the refused writes: %+v, %v; want C-Neuf in A", p, err)
	}
}

// testCardNumberTakenAtRegistration: a registration that brings a taken
// card makes the account all the same, without the card, and tells staff
// in the history; the card's holder keeps it.
func testCardNumberTakenAtRegistration(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	anne := f.patron(t, f.libA, "LE GALL", "Anne", "anne@example.org", sesame.StatusValidated)
	for _, tt := range []struct{ name, card, want string }{
		{"taken", "c-ANNE", ""},
		{"free", "C-Libre", "C-Libre"},
	} {
		id, err := f.st.CreatePatron(ctx, store.NewPatron{DropTakenCard: true, Patron: sesame.Patron{LibraryID: f.libA, LastName: "X", FirstName: "Y",
			Email: tt.name + "@example.org", BirthDate: sesame.MustDate(1990, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1),
			Status: sesame.StatusToValidate, CardNumber: tt.card}}, sys)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		p, err := f.st.Patron(ctx, store.NetworkScope(), id)
		if err != nil || p.CardNumber != tt.want {
			t.Errorf("%s: card %q (%v), want %q", tt.name, p.CardNumber, err, tt.want)
		}
		history, err := f.st.PatronHistory(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		noted := false
		for _, e := range history {
			noted = noted || strings.Contains(e.Detail, "N° d'inscription demandé : « "+tt.card+" », déjà attribué")
		}
		if noted != (tt.want == "") {
			t.Errorf("%s: history notes the asked card: %v, want %v", tt.name, noted, tt.want == "")
		}
	}
	if p, _ := f.st.Patron(ctx, store.NetworkScope(), anne); p.CardNumber != "C-Anne" {
		t.Errorf("the holder's card: got %q, want C-Anne", p.CardNumber)
	}
}
