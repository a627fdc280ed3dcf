package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestWithdrawResource takes a validated resource back from the tutorial's
// patron on the record's Ressources tab, after « Tout cocher » (which works
// without a script), and checks each page with axe.
func TestWithdrawResource(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	b := newBrowser(t)
	b.base = startApp(t, today)
	b.open("/connexion")
	b.loginAsLibrary("fouesnant")
	b.click(link("Mes abonnés ressources numériques").in(role("navigation", "Menu principal")), 200)
	b.fill(role("searchbox", "Rechercher un abonné"), "MEDIATEUR")
	b.click(button("Rechercher"), 200)
	b.click(link("MEDIATEUR-NUM").startingWith(), 200)
	b.click(link("Ressources").in(role("navigation", "Onglets de la fiche")), 200)

	tab := role("region", "Ressources")
	var withdraw []string
	for _, name := range b.names("button", tab) {
		if strings.HasPrefix(name, "Retirer ") {
			withdraw = append(withdraw, name)
		}
	}
	if len(withdraw) == 0 {
		t.Fatalf("the tutorial's patron has no « Retirer » button: %q", b.names("button", tab))
	}
	b.checkA11y("fiche, onglet Ressources, avec « Retirer »")

	activate := role("group", "Activer des ressources")
	b.click(button("Tout cocher").in(activate), 200)
	boxes := b.names("checkbox", activate)
	if len(boxes) == 0 {
		t.Fatalf("no box under « Activer des ressources »")
	}
	for _, name := range boxes {
		if !call[bool](b, b.find(checkbox(name).in(activate)), `function() { return this.checked; }`) {
			t.Errorf("after « Tout cocher »: %s is not ticked", name)
		}
	}
	b.checkA11y("fiche, onglet Ressources, tout coché")

	resource := strings.TrimPrefix(withdraw[0], "Retirer ")
	b.click(button(withdraw[0]), 200)
	const want = "La ressource a été retirée, et ses accès en cours chez le fournisseur sont fermés."
	if got := b.live("status"); !slices.Contains(got, want) {
		t.Errorf("after %s: status %q, want « %s »", withdraw[0], got, want)
	}
	if n := b.count(button(withdraw[0])); n != 0 {
		t.Errorf("after %s: the button is still there", withdraw[0])
	}
	// Withdrawn, the resource may be activated again, on its one line.
	b.find(checkbox(resource).in(activate))
	b.checkA11y("fiche, onglet Ressources, ressource retirée")
	b.screenshot("ressource-retiree")
}
