package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// TestRenewPatron follows the librarians' tutorial « Renouveler le compte
// d'un usager » in a real Chromium, and runs axe-core on every page it shows.
func TestRenewPatron(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	newEnd := today.AddMonths(12)
	b := newBrowser(t)
	b.base = startApp(t, today)

	menu := role("navigation", "Menu principal")
	myPatrons := link("Mes abonnés ressources numériques").in(menu)
	search := role("searchbox", "Rechercher un abonné")
	dateField := textbox("Date d'inscription dans la bibliothèque")

	// 1- Connectez-vous à votre compte bibliothèque.
	b.open("/")
	b.checkA11y("accueil")
	// The three pages every footer links to.
	legal := role("navigation", "Informations légales")
	for _, page := range []string{"Données personnelles", "Accessibilité : non conforme", "Mentions légales"} {
		b.click(link(page).in(legal), 200)
		b.checkA11y(page)
	}
	b.open("/inscription")
	b.checkA11y("inscription")
	b.click(link("Connexion").in(menu), 200)
	b.checkA11y("connexion")

	b.fill(textbox("Identifiant"), "fouesnant")
	b.fill(textbox("Mot de passe"), "pas-le-bon")
	b.click(button("Se connecter"), 401)
	const wantLoginErr = "Identifiant ou mot de passe incorrect."
	if got := b.text(); !strings.Contains(got, wantLoginErr) {
		t.Errorf("wrong password: page says %q, want « %s »", got, wantLoginErr)
	}
	// A screen reader must hear it: as an alert, or read with the field.
	if alerts, desc := b.live("alert"), b.find(textbox("Identifiant")).description(); !slices.Contains(alerts, wantLoginErr) && !strings.Contains(desc, wantLoginErr) {
		t.Errorf("wrong password: « %s » is neither an alert (%q) nor Identifiant's description (%q)", wantLoginErr, alerts, desc)
	}
	if got := b.value(textbox("Identifiant")); got != "fouesnant" {
		t.Errorf("wrong password: Identifiant holds %q, want the typed login kept", got)
	}
	if got := b.value(textbox("Mot de passe")); got != "" {
		t.Errorf("wrong password: Mot de passe holds %q, want it empty (never sent back in the page)", got)
	}
	b.checkA11y("connexion, mot de passe erroné")
	b.screenshot("connexion-erreur")

	b.fill(textbox("Identifiant"), "fouesnant")
	b.fill(textbox("Mot de passe"), demo.Password)
	b.click(button("Se connecter"), 200)

	// 2- Menu « Mes abonnés ressources numériques », search by name.
	b.click(myPatrons, 200)
	b.checkA11y("liste des abonnés")
	b.fill(search, "MEDIATEUR")
	b.click(button("Rechercher"), 200)
	if got := b.live("status"); !slices.Contains(got, "1 abonné") {
		t.Errorf("search MEDIATEUR: status says %q, want « 1 abonné »", got)
	}
	b.checkA11y("liste après recherche")

	// 3- The record and its three tabs; the e-mail is not editable by a library.
	b.click(link("MEDIATEUR-NUM Eric"), 200)
	tabs := role("navigation", "Onglets de la fiche")
	for _, tab := range []string{"Informations", "Statut", "Ressources"} {
		b.find(link(tab).in(tabs))
	}
	if ro, _ := b.find(textbox("E-mail")).prop("readonly"); ro != "true" {
		t.Errorf("E-mail field: readonly = %q, want true (a library cannot change it)", ro)
	}
	b.checkA11y("fiche, onglet Informations")

	// 4- Statut tab: a date that does not exist is refused next to the field…
	b.click(link("Statut").in(tabs), 200)
	b.checkA11y("fiche, onglet Statut")
	b.choose(combobox("Statut de l'abonné"), "Validé")
	b.fill(dateField, "31/02/2024")
	b.click(button("Enregistrer"), 422)
	const wantErr = "La date « 31/02/2024 » n'existe pas."
	date := b.find(dateField)
	if got := date.description(); !strings.Contains(got, wantErr) {
		t.Errorf("date 31/02/2024: the field's description (read with it) is %q, want it to contain « %s »", got, wantErr)
	}
	if inv, _ := date.prop("invalid"); inv != "true" {
		t.Errorf("date 31/02/2024: field invalid = %q, want true", inv)
	}
	if got := b.value(dateField); got != "31/02/2024" {
		t.Errorf("date 31/02/2024: the field now holds %q, want the typed value kept", got)
	}
	b.checkA11y("fiche, onglet Statut, date erronée")
	b.screenshot("statut-erreur")

	// … then today's date renews the account for 12 months.
	b.choose(combobox("Statut de l'abonné"), "Validé")
	b.fill(dateField, today.String())
	b.click(button("Enregistrer"), 200)
	page := b.text()
	if !slices.Contains(b.live("status"), "Les modifications ont été enregistrées.") {
		t.Errorf("after Enregistrer: status %q, want « Les modifications ont été enregistrées. »", b.live("status"))
	}
	if want := "Date de fin de validité : " + newEnd.String(); !strings.Contains(page, want) {
		t.Errorf("after Enregistrer: page does not show « %s »:\n%s", want, page)
	}
	b.checkA11y("fiche, onglet Statut, enregistré")
	b.screenshot("statut")

	// 5- Ressources tab: activate the resources not yet validated.
	b.click(link("Ressources").in(tabs), 200)
	b.checkA11y("fiche, onglet Ressources")
	b.screenshot("ressources")
	activate := role("group", "Activer des ressources")
	b.tick(checkbox("PressReader").in(activate))
	b.tick(checkbox("Tout apprendre").in(activate))
	b.click(button("Activer"), 200)
	if !slices.Contains(b.live("status"), "Les ressources cochées ont été activées.") {
		t.Errorf("after Activer: status %q, want « Les ressources cochées ont été activées. »", b.live("status"))
	}
	if n := b.count(checkbox("PressReader")); n != 0 {
		t.Errorf("after Activer: PressReader still offered for activation")
	}

	// 6- Back to the list: the row shows the new end date and the resources.
	b.click(myPatrons, 200)
	b.fill(search, "MEDIATEUR")
	b.click(button("Rechercher"), 200)
	row := call[struct {
		Status    string   `json:"status"`
		Resources []string `json:"resources"`
	}](b, b.find(link("MEDIATEUR-NUM Eric")), `function() {
		const tr = this.closest('tr');
		return {
			status: tr.querySelector('.status').closest('td').innerText,
			resources: [...tr.querySelectorAll('li')].map(li => li.innerText.trim()),
		};
	}`)
	if want := "Date de fin de validité : " + newEnd.String(); !strings.Contains(row.Status, want) {
		t.Errorf("list row: status cell %q, want it to contain « %s »", row.Status, want)
	}
	wantRes := []string{"Livres numériques", "Médiathèque Numérique", "PressReader", "Tout apprendre"}
	got := slices.Sorted(slices.Values(row.Resources))
	if !slices.Equal(got, wantRes) {
		t.Errorf("list row: resources %q, want %q", got, wantRes)
	}
	b.screenshot("liste")
}
