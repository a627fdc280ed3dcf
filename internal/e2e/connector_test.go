package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestAdminEditsConnector adds a CAS connector as the network admin, then
// changes its address through the edit form: a mistake comes back beside
// the field, the right address is saved and shown in the list.
func TestAdminEditsConnector(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	b.open("/admin/connecteurs")
	b.click(link("Ajouter un connecteur CAS à Brief.me"), 200)
	b.fill(textbox("Préfixe des adresses du service"), "https://brief.example/")
	b.click(button("Ajouter le connecteur"), 200)

	var edit string
	for _, name := range b.names("link", role("region", "Brief.me")) {
		if strings.HasPrefix(name, "Modifier le connecteur n° ") {
			edit = name
		}
	}
	if edit == "" {
		t.Fatalf("no link to edit Brief.me's connector: %q", b.names("link", role("region", "Brief.me")))
	}
	b.click(link(edit), 200)
	b.checkA11y("modifier un connecteur")
	if got := b.value(textbox("Préfixe des adresses du service")); got != "https://brief.example/" {
		t.Errorf("the form shows %q, want the saved prefix", got)
	}

	b.fill(textbox("Préfixe des adresses du service"), "brief.example")
	b.click(button("Enregistrer les modifications du connecteur"), 422)
	b.checkA11y("modifier un connecteur, erreur")
	if msg := b.find(textbox("Préfixe des adresses du service")).description(); !strings.Contains(msg, "Préfixe du service") {
		t.Errorf("the field is not described by its error: %q", msg)
	}

	b.fill(textbox("Préfixe des adresses du service"), "https://brief-nouveau.example/")
	b.click(button("Enregistrer les modifications du connecteur"), 200)
	if text := b.section("Brief.me"); !strings.Contains(text, "https://brief-nouveau.example/") || strings.Contains(text, "https://brief.example/") {
		t.Errorf("the list does not show the new address:\n%s", text)
	}
	if notices := strings.Join(b.live("status"), " "); !strings.Contains(notices, "Le connecteur a été modifié") {
		t.Errorf("no notice of the change: %q", notices)
	}
	b.checkA11y("connecteurs, après une modification")
}
