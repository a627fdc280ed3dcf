package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestConnectorHealthInBrowser: from the admin's home, « État des
// connecteurs » and a connector's test; then a library's own validity
// refused and kept. Each page passes axe and 320 px.
func TestConnectorHealthInBrowser(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	b.open("/admin/connecteurs/nouveau?type=cas")
	b.choose(combobox("Ressource"), "PressReader")
	b.fill(textbox("Préfixe des adresses du service"), "https://pressreader.example/")
	b.click(button("Ajouter le connecteur"), 200)
	b.open("/admin")
	b.click(link("État des connecteurs"), 200)
	b.checkA11y("état des connecteurs")
	b.click(button("Tester le connecteur").startingWith(), 200)
	if got := b.text(); !strings.Contains(got, "Préfixe du service : réussi.") {
		t.Errorf("test result: got %q", got)
	}
	b.checkA11y("état des connecteurs, test")

	b.open("/admin/bibliotheques/nouvelle")
	b.fill(textbox("Durée de validité des comptes (mois)"), "six")
	b.click(button("Créer la bibliothèque"), 422)
	if got := b.value(textbox("Durée de validité des comptes (mois)")); got != "six" {
		t.Errorf("typed value: got %q, want it kept", got)
	}
	b.checkA11y("bibliothèque, durée de validité refusée")
}
