package e2e

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/store"
)

// TestReminderThenRenewal: a patron whose account ends in 7 days receives
// the reminder over SMTP when the app starts its nightly job; its link
// leads, through the login, to the renewal page, where one click asks the
// library; the account stays open until its end, and the record's
// history shows the reminder and the request.
func TestReminderThenRenewal(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	end := today.AddDays(7)
	const email = "gwenaelle.riou@example.org"
	mb := newMailbox(t)
	b := newBrowser(t)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1}, Random: rand.Reader}
	_, b.base = apptest.Serve(t, mb.env(), hasher, func(ctx context.Context, a *app.App) error {
		if _, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 300, Today: today}); err != nil {
			return err
		}
		libs, err := a.Store.Libraries(ctx)
		if err != nil {
			return err
		}
		hash, err := hasher.Hash(demo.Password)
		if err != nil {
			return err
		}
		_, err = a.Store.CreatePatron(ctx, store.NewPatron{PasswordHash: hash, Patron: sesame.Patron{LibraryID: libraryCoded(libs, "FOUESNANT"),
			LastName: "RIOU", FirstName: "Gwenaëlle", Email: email, BirthDate: sesame.MustDate(1985, 4, 2), PostalCode: "29170", Town: "Fouesnant",
			RegisteredOn: today.AddMonths(-12), Status: sesame.StatusValidated, LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end}},
			sesame.Actor{Label: "test"})
		return err
	})

	// 1. The reminder, as the SMTP server received it, and its link.
	m := mb.waitFor(email, "Votre compte prend fin le "+end.String())
	text := m.Parts["text/plain"]
	for _, want := range []string{"Bonjour Gwenaëlle RIOU", "valable jusqu'au " + end.String() + " inclus, dans 7 jours", "Demander le renouvellement :", b.base + "/mon-compte/renouvellement"} {
		if !strings.Contains(text, want) {
			t.Errorf("reminder: text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(m.Parts["text/html"], `href="`+b.base+`/mon-compte/renouvellement"`) {
		t.Errorf("reminder: the HTML part does not link to the renewal page:\n%s", m.Parts["text/html"])
	}

	// 2. The link, not logged in: the login page, then back to the link's page.
	b.open("/mon-compte/renouvellement")
	b.fill(textbox("Votre adresse e-mail"), email)
	b.fill(textbox("Votre mot de passe"), demo.Password)
	b.click(button("Accéder à mon compte"), 200)
	if loc := b.location(); !strings.HasSuffix(loc, "/mon-compte/renouvellement") {
		t.Fatalf("after login: at %s, want back on the renewal page", loc)
	}
	if got := b.text(); !strings.Contains(got, "Votre compte est validé jusqu'au "+end.String()) {
		t.Errorf("renewal page: says %q, want the end date", got)
	}
	b.checkA11y("renouvellement depuis un rappel")
	b.screenshot("rappel-demander-le-renouvellement")

	// 3. One click.
	b.click(button("Demander le renouvellement"), 200)
	if got := b.text(); !strings.Contains(got, "À revalider") || !strings.Contains(got, "reste ouvert jusqu'au "+end.String()+" inclus") {
		t.Errorf("after the request: page says %q, want À revalider, open until %s", got, end)
	}
	b.checkA11y("mon compte, renouvellement demandé avant la fin")
	mb.waitFor("fouesnant@bibliotheques.example", "Demande de renouvellement à traiter : RIOU Gwenaëlle")
	staffBase := b.base

	// 4. The library sees the reminder and the request in the history.
	b = newBrowser(t) // another person, on another computer
	b.base = staffBase
	b.open("/connexion")
	b.fill(textbox("Identifiant"), "fouesnant")
	b.fill(textbox("Mot de passe"), demo.Password)
	b.click(button("Se connecter"), 200)
	b.fill(role("searchbox", "Rechercher un abonné"), email)
	b.click(button("Rechercher"), 200)
	b.click(link("RIOU").startingWith(), 200)
	b.click(link("Statut").in(role("navigation", "Onglets de la fiche")), 200)
	history := b.text()
	for _, want := range []string{"Rappel envoyé à " + email + ", 7 jours avant la fin (fin de validité : " + end.String() + ")", "« Validé » → « À revalider »"} {
		if !strings.Contains(history, want) {
			t.Errorf("the record's history lacks %q", want)
		}
	}
}

// libraryCoded is the id of the library of that code among libs, 0 if none.
func libraryCoded(libs []sesame.Library, code string) int64 {
	for _, l := range libs {
		if l.Code == code {
			return l.ID
		}
	}
	return 0
}
