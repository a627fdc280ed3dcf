package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// TestStatisticsPages opens the statistics from the menu, as a library and
// as the network admin, and runs axe-core on them, with a period typed
// wrong as well.
func TestStatisticsPages(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	b := newBrowser(t)
	b.base = startApp(t, today)
	menu := role("navigation", "Menu principal")

	for _, who := range []string{"fouesnant", "admin"} {
		b.open("/connexion")
		b.fill(textbox("Identifiant"), who)
		b.fill(textbox("Mot de passe"), demo.Password)
		b.click(button("Se connecter"), 200)
		b.click(link("Statistiques").in(menu), 200)
		if got := b.text(); !strings.Contains(got, "Lancements par mois") || !strings.Contains(got, "Comptes des usagers par mois") {
			t.Errorf("%s: the statistics page lacks its sections: %.300s", who, got)
		}
		b.checkA11y("statistiques, " + who)
		b.screenshot("statistiques-" + who)

		b.tick(role("radio", "Une suite de mois"))
		b.fill(textbox("Du (mois/année)"), "13/2025")
		b.fill(textbox("Au (mois/année)"), today.String()[3:])
		b.click(button("Afficher les statistiques"), 422)
		if desc := b.find(textbox("Du (mois/année)")).description(); !strings.Contains(desc, "de 01 à 12") {
			t.Errorf("%s: month 13: the field's description is %q, want the message", who, desc)
		}
		b.checkA11y("statistiques, mois erroné, " + who)
		b.click(button("Se déconnecter").in(menu), 200)
	}
}
