package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// TestExpiredPatronAsksForRenewal follows the tutorial's « A NOTER » from the
// patron's side: an account past its end date becomes Expiré when its holder
// logs in; only they can ask for renewal, which makes it À revalider; the
// library is told by mail, and finds it in its to-do view.
func TestExpiredPatronAsksForRenewal(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	mb := newMailbox(t)
	b := newBrowser(t)
	b.base = startAppEnv(t, today, mb.env())
	menu := role("navigation", "Menu principal")

	b.open("/connexion")
	b.fill(textbox("Votre adresse e-mail"), "soizic.tanguy@example.org")
	b.fill(textbox("Votre mot de passe"), demo.Password)
	b.click(button("Accéder à mon compte"), 200)
	if got, want := b.text(), "Votre compte a expiré le "+today.AddDays(-1).String(); !strings.Contains(got, want) {
		t.Fatalf("Mon compte after login: page says %q, want « %s »", got, want)
	}
	b.checkA11y("mon compte, expiré")
	b.screenshot("mon-compte-expire")

	b.click(button("Demander le renouvellement"), 200)
	if got := b.text(); !strings.Contains(got, "À revalider") || !strings.Contains(got, "Votre demande de renouvellement attend la validation") {
		t.Errorf("after the renewal request: page says %q, want À revalider", got)
	}
	b.checkA11y("mon compte, renouvellement demandé")
	// The library is told at its contact address.
	mb.waitFor("fouesnant@bibliotheques.example", "Demande de renouvellement à traiter : TANGUY Soizic")
	b.click(button("Se déconnecter").in(menu), 200)

	b.fill(textbox("Identifiant"), "fouesnant")
	b.fill(textbox("Mot de passe"), demo.Password)
	b.click(button("Se connecter"), 200)
	// The menu link's name carries the count: « À traiter : 12 comptes ».
	b.click(link("À traiter").startingWith().in(menu), 200)
	b.fill(role("searchbox", "Rechercher un abonné"), "soizic.tanguy@example.org")
	b.click(button("Rechercher"), 200)
	row := call[string](b, b.find(link("TANGUY Soizic")), `function() { return this.closest('tr').innerText; }`)
	if !strings.Contains(row, "À revalider") || !strings.Contains(row, "Soizic") {
		t.Errorf("the library's to-do view: row %q, want Soizic TANGUY, À revalider", row)
	}
	b.checkA11y("comptes à traiter")
	b.click(link("TANGUY Soizic"), 200)
	b.click(link("Statut").in(role("navigation", "Onglets de la fiche")), 200)
	if got := b.text(); !strings.Contains(got, "« Expiré » → « À revalider »") {
		t.Errorf("the record's history lacks the renewal request: %q", got)
	}
}
