package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestAPIKeysInBrowser: the network admin makes a key on « Clés d'API »,
// reads it once, and revokes it; each page passes axe and 320 px.
func TestAPIKeysInBrowser(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	b.open("/admin")
	b.click(link("Clés d'API"), 200)
	b.checkA11y("clés d'API, vide")

	// Refused: the name is missing, the library kept.
	b.choose(combobox("Bibliothèque"), "FOUESNANT — Médiathèque de Fouesnant")
	b.click(button("Créer la clé"), 422)
	if got := b.section("Créer une clé"); !strings.Contains(got, "Indiquez le nom de la clé") {
		t.Errorf("refused form: got %q, want the message next to the name", got)
	}
	b.checkA11y("clés d'API, erreur")

	b.fill(textbox("Nom de la clé"), "Koha nuit")
	b.click(button("Créer la clé"), 200)
	if got := b.text(); !strings.Contains(got, "ssm_") || !strings.Contains(got, "Elle ne sera plus affichée") {
		t.Fatalf("the new key's page: got %q", got)
	}
	b.checkA11y("clé d'API créée")
	b.click(link("Revenir aux clés d'API"), 200)
	b.checkA11y("clés d'API, une clé")
	b.click(button("Révoquer la clé Koha nuit"), 200)
	if got := b.text(); !strings.Contains(got, "est révoquée") || !strings.Contains(got, "Révoquée le") {
		t.Errorf("after revoke: got %q", got)
	}
}
