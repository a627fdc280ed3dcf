package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// TestPatronSelfService: the tutorial's patron, from « Mon compte », asks
// for another resource, corrects their details and opens the pages on
// e-mail, library and password; axe-core checks every page and every
// refused form on the way.
func TestPatronSelfService(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	b := newBrowser(t)
	b.base = startApp(t, today)

	b.open("/connexion")
	b.fill(textbox("Votre adresse e-mail"), "eric.mediateur@example.org")
	b.fill(textbox("Votre mot de passe"), demo.Password)
	b.click(button("Accéder à mon compte"), 200)
	b.checkA11y("mon compte")

	offer := role("group", "Ressources que vous pouvez demander")
	names := b.names("checkbox", offer)
	if len(names) == 0 {
		t.Fatalf("Mon compte offers no resource to ask for: %q", b.text())
	}
	b.click(button("Demander ces ressources"), 422)
	if got := b.live("alert"); len(got) == 0 || !strings.Contains(got[0], "Cochez au moins une ressource") {
		t.Errorf("nothing ticked: alerts %q", got)
	}
	b.checkA11y("mon compte, demande sans ressource cochée")
	b.tick(checkbox(names[0]).in(offer))
	b.click(button("Demander ces ressources"), 200)
	if got := b.text(); !strings.Contains(got, "En attente — Votre bibliothèque doit valider cette demande.") {
		t.Errorf("after the request, Mon compte says %q", got)
	}
	b.checkA11y("mon compte, ressource demandée")
	b.screenshot("mon-compte-ressource-demandee")

	b.click(link("Modifier mes informations"), 200)
	b.checkA11y("modifier mes informations")
	b.fill(textbox("Code postal"), "29A00")
	b.click(button("Enregistrer mes informations"), 422)
	if got := b.value(textbox("Code postal")); got != "29A00" {
		t.Errorf("typed postal code: got %q, want it kept", got)
	}
	b.checkA11y("modifier mes informations, code postal refusé")
	b.screenshot("mes-informations-refusees")
	b.fill(textbox("Code postal"), "29170")
	b.fill(textbox("Ville"), "Fouesnant")
	b.click(button("Enregistrer mes informations"), 200)
	if got := b.text(); !strings.Contains(got, "Vos informations ont été enregistrées.") || !strings.Contains(got, "29170") {
		t.Errorf("after the save, Mon compte says %q", got)
	}

	b.click(link("Changer d'adresse e-mail ou de bibliothèque"), 200)
	if got := b.text(); !strings.Contains(got, "Médiathèque de Fouesnant") {
		t.Errorf("the page does not name the library: %q", got)
	}
	b.checkA11y("changer d'adresse e-mail ou de bibliothèque")
	b.screenshot("changer-adresse-ou-bibliotheque")

	b.open("/mon-compte/mot-de-passe")
	b.checkA11y("changer mon mot de passe")
	b.fill(textbox("Mot de passe actuel"), "pas le bon mot de passe")
	b.fill(textbox("Nouveau mot de passe"), "court")
	b.click(button("Changer mon mot de passe"), 422)
	b.checkA11y("changer mon mot de passe, refusé")
	b.screenshot("mot-de-passe-refuse")
}
