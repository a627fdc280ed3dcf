package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// TestResourceOfferAndCapForm fills a resource's « Bibliothèques abonnées »,
// caps and price with the keyboard's controls, refused then saved, and
// checks each state of the form with axe.
func TestResourceOfferAndCapForm(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	b := newBrowser(t)
	b.base = startApp(t, today)
	b.open("/connexion")
	b.fill(textbox("Identifiant"), "admin")
	b.fill(textbox("Mot de passe"), demo.Password)
	b.click(button("Se connecter"), 200)
	b.open("/admin/ressources/1")
	b.checkA11y("ressource, offre et licence")

	b.tick(role("radio", "Seulement les bibliothèques cochées ci-dessous"))
	boxes := b.names("checkbox", role("group", "Bibliothèques qui proposent la ressource, et leurs places propres"))
	if len(boxes) == 0 {
		t.Fatalf("no library to tick")
	}
	b.tick(checkbox(boxes[0]))
	b.fill(textbox("Nombre maximal d'abonnés actifs"), "cinquante")
	b.fill(textbox("Prix annuel (€)"), "1 200,50")
	b.click(button("Enregistrer la ressource"), 422)
	if desc := b.find(textbox("Nombre maximal d'abonnés actifs")).description(); !strings.Contains(desc, "nombre entier") {
		t.Errorf("cap refused: the field's description is %q, want the message", desc)
	}
	b.checkA11y("ressource, quota refusé")

	b.fill(textbox("Nombre maximal d'abonnés actifs"), "50")
	b.click(button("Enregistrer la ressource"), 200)
	if got := b.location(); !strings.HasPrefix(got, "/admin/ressources") {
		t.Errorf("after saving: at %q", got)
	}
}
