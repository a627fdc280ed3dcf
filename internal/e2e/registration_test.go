package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// confirmLink is the registration link in a confirmation mail.
var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/inscription/confirmer/[A-Za-z0-9_-]+`)

// TestPatronRegisters follows a patron from the network's home page to a
// validated account, in a real Chromium: they register, the confirmation
// mail reaches a real SMTP server, they follow its link and confirm, their
// library validates them as the tutorial says, and they see Validé and the
// end date on « Mon compte ». axe-core checks every page on the way.
func TestPatronRegisters(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	end := today.AddMonths(12) // the demo network's validity
	mb := newMailbox(t)
	b := newBrowser(t)
	b.base = startAppEnv(t, today, mb.env())

	menu := role("navigation", "Menu principal")
	legal := role("navigation", "Informations légales")
	main := role("main", "")
	const (
		email    = "maelle.lebihan.e2e@example.fr"
		password = "les goélands de Beg-Meil"
		card     = "FOU-E2E-0001"
	)

	// The public pages: home, the three the footer links to, and the login
	// pages a visitor may open before registering.
	b.open("/")
	b.checkA11y("accueil")
	for _, page := range []string{"Données personnelles", "Accessibilité : non conforme", "Mentions légales"} {
		b.click(link(page).in(legal), 200)
		b.checkA11y(page)
	}
	b.click(link("Connexion").in(menu), 200)
	b.checkA11y("connexion")
	b.click(link("Mot de passe oublié ?").in(main), 200)
	b.checkA11y("mot de passe oublié")

	// 1. Register, from the home page's invitation.
	b.click(link("Accueil").in(menu), 200)
	b.click(link("S'inscrire").in(main), 200)
	b.checkA11y("inscription, formulaire vide")
	// Every resource is ticked by default.
	resources := b.names("checkbox", role("group", "Ressources souhaitées"))
	if len(resources) == 0 {
		t.Fatalf("registration form: no resource offered in « Ressources souhaitées »")
	}
	for _, r := range resources {
		if !call[bool](b, b.find(checkbox(r)), `function() { return this.checked; }`) {
			t.Errorf("registration form: « %s » is not ticked by default", r)
		}
	}

	// A first try with mistakes: each is told next to its field, and what
	// was typed stays, except the password.
	b.fill(textbox("Nom"), "Le Bihan")
	b.fill(textbox("Prénom"), "Maëlle")
	b.fill(textbox("E-mail"), "maelle.lebihan@exemple")
	b.fill(textbox("Date de naissance"), "31/02/1990")
	b.fill(textbox("Code postal"), "2917")
	b.fill(textbox("Ville"), "Fouesnant")
	b.fill(textbox("Mot de passe"), "trop court")
	b.click(button("S'inscrire"), 422)
	if alerts := b.live("alert"); len(alerts) == 0 || !strings.Contains(alerts[0], "Le formulaire contient") {
		t.Errorf("bad registration: alerts %q, want the summary of errors", alerts)
	}
	for _, f := range []struct {
		field el
		says  string // how the message starts: the field's name
		kept  string // the value the field holds again
	}{
		{textbox("E-mail"), "E-mail : ", "maelle.lebihan@exemple"},
		{textbox("Date de naissance"), "Date de naissance : ", "31/02/1990"},
		{textbox("Code postal"), "Code postal : ", "2917"},
		{textbox("Mot de passe"), "Mot de passe : ", ""}, // never sent back
		{combobox("Bibliothèque"), "Bibliothèque : ", ""},
		{checkbox("J'ai lu la notice Données personnelles"), "Notice Données personnelles : ", ""},
	} {
		n := b.find(f.field)
		// The message is read with its field, as its description.
		if got := n.description(); !strings.Contains(got, f.says) {
			t.Errorf("bad registration: %s is described as %q, want an error starting « %s»", f.field, got, f.says)
		}
		if inv, _ := n.prop("invalid"); inv != "true" {
			t.Errorf("bad registration: %s invalid = %q, want true", f.field, inv)
		}
		if f.field.role == "textbox" {
			if got := b.value(f.field); got != f.kept {
				t.Errorf("bad registration: %s holds %q, want %q", f.field, got, f.kept)
			}
		}
	}
	for _, f := range []struct{ field, want string }{{"Nom", "Le Bihan"}, {"Prénom", "Maëlle"}, {"Ville", "Fouesnant"}} {
		if got := b.value(textbox(f.field)); got != f.want {
			t.Errorf("bad registration: %s holds %q, want the typed %q kept", f.field, got, f.want)
		}
		if inv, _ := b.find(textbox(f.field)).prop("invalid"); inv == "true" {
			t.Errorf("bad registration: %s, which was right, is marked invalid", f.field)
		}
	}
	b.checkA11y("inscription, formulaire avec erreurs")
	b.screenshot("inscription-erreurs")

	// The right answers.
	b.fill(textbox("E-mail"), email)
	b.fill(textbox("Date de naissance"), "14/07/1990")
	b.fill(textbox("Code postal"), "29170")
	b.choose(combobox("Bibliothèque"), "Fouesnant — Médiathèque de Fouesnant")
	b.fill(textbox("N° d'inscription"), card)
	b.fill(textbox("Mot de passe"), password)
	b.tick(checkbox("J'ai lu la notice Données personnelles"))
	b.click(button("S'inscrire"), 200)
	if got := b.live("status"); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "Vérifiez votre messagerie") }) {
		t.Fatalf("after registering: status %q, want « Vérifiez votre messagerie… »", got)
	}
	b.checkA11y("inscription, vérifiez votre messagerie")
	b.screenshot("inscription-envoyee")

	// 2. The mail, as the SMTP server received it, and its link.
	m := mb.waitFor(email, "Confirmez votre inscription")
	text, html := m.Parts["text/plain"], m.Parts["text/html"]
	if !strings.Contains(text, "Bonjour Maëlle Le Bihan") {
		t.Errorf("confirmation mail: text part does not greet « Maëlle Le Bihan »:\n%s", text)
	}
	confirm := confirmLink.FindString(text)
	if confirm == "" {
		t.Fatalf("confirmation mail: no link in the text part:\n%s", text)
	}
	if !strings.Contains(html, `href="`+confirm+`"`) {
		t.Errorf("confirmation mail: the HTML part does not link to %s:\n%s", confirm, html)
	}
	if !strings.HasPrefix(confirm, b.base+"/") {
		t.Fatalf("confirmation link %s: want it on the app's public address %s", confirm, b.base)
	}
	b.open(strings.TrimPrefix(confirm, b.base))
	b.checkA11y("inscription, confirmer")
	b.click(button("Confirmer mon inscription"), 200)
	if got := b.live("status"); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "Votre inscription est confirmée") }) {
		t.Fatalf("after confirming: status %q, want « Votre inscription est confirmée… »", got)
	}
	b.checkA11y("inscription confirmée")
	// The library hears of it at its contact address (the demo's libraries
	// want one mail per request).
	notice := mb.waitFor("fouesnant@bibliotheques.example", "Nouvelle inscription à traiter")
	if !strings.Contains(notice.Subject, "Le Bihan") {
		t.Errorf("library notice: subject %q, want the patron's name", notice.Subject)
	}

	// The patron can log in already, and reads that the library has to act.
	b.click(link("Connexion").in(menu), 200)
	b.fill(textbox("Votre adresse e-mail"), email)
	b.fill(textbox("Votre mot de passe"), password)
	b.click(button("Accéder à mon compte"), 200)
	if got := b.section("Statut de mon compte"); !strings.Contains(got, "À valider") || !strings.Contains(got, "attend la validation de votre bibliothèque") {
		t.Errorf("Mon compte before validation: status says %q, want À valider, waiting for the library", got)
	}
	b.checkA11y("mon compte, à valider")
	b.click(button("Se déconnecter").in(menu), 200)

	// 3. The library finds the patron in its to-do view and validates them,
	// as the tutorial says: Statut tab, then Ressources tab.
	b.click(link("Connexion").in(menu), 200)
	b.fill(textbox("Identifiant"), "fouesnant")
	b.fill(textbox("Mot de passe"), demo.Password)
	b.click(button("Se connecter"), 200)
	b.click(link("À traiter").startingWith().in(menu), 200)
	b.fill(role("searchbox", "Rechercher un abonné"), card)
	b.click(button("Rechercher"), 200)
	if got := b.live("status"); !slices.Contains(got, "1 abonné") {
		t.Fatalf("to-do view, search %s: status %q, want « 1 abonné »", card, got)
	}
	row := call[string](b, b.find(link("Le Bihan Maëlle")), `function() { return this.closest('tr').innerText; }`)
	if !strings.Contains(row, "À valider") || !strings.Contains(row, "Maëlle") {
		t.Errorf("to-do view: row %q, want Maëlle Le Bihan, À valider", row)
	}
	b.screenshot("a-traiter-inscription")
	b.click(link("Le Bihan Maëlle"), 200)
	tabs := role("navigation", "Onglets de la fiche")
	b.click(link("Statut").in(tabs), 200)
	b.choose(combobox("Statut de l'abonné"), "Validé")
	b.fill(textbox("Date d'inscription dans la bibliothèque"), today.String())
	b.click(button("Enregistrer"), 200)
	if want := "Date de fin de validité : " + end.String(); !strings.Contains(b.text(), want) {
		t.Errorf("after Enregistrer: the record does not show « %s »", want)
	}
	// The patron is told by mail, with the end date.
	mb.waitFor(email, "Votre compte est validé jusqu'au "+end.String())
	b.click(link("Ressources").in(tabs), 200)
	activate := role("group", "Activer des ressources")
	toActivate := b.names("checkbox", activate)
	for _, r := range toActivate {
		b.tick(checkbox(r).in(activate))
	}
	b.click(button("Activer"), 200)
	if !slices.Contains(b.live("status"), "Les ressources cochées ont été activées.") {
		t.Errorf("after Activer %q: status %q", toActivate, b.live("status"))
	}
	b.click(button("Se déconnecter").in(menu), 200)

	// 4. The patron sees Validé and the end date, and can open each resource
	// they asked for.
	b.click(link("Connexion").in(menu), 200)
	b.fill(textbox("Votre adresse e-mail"), email)
	b.fill(textbox("Votre mot de passe"), password)
	b.click(button("Accéder à mon compte"), 200)
	status := b.section("Statut de mon compte")
	if !regexp.MustCompile(`(^|\s)Validé(\s|$)`).MatchString(status) {
		t.Errorf("Mon compte after validation: status says %q, want « Validé »", status)
	}
	if want := "jusqu'au " + end.String(); !strings.Contains(status, want) {
		t.Errorf("Mon compte after validation: status says %q, want « %s »", status, want)
	}
	if !regexp.MustCompile(`jusqu'au \d{2}/\d{2}/\d{4}\b`).MatchString(status) {
		t.Errorf("Mon compte after validation: the end date in %q is not written dd/mm/yyyy", status)
	}
	for _, r := range resources {
		// A link to the resource, or a button that opens it through SSO.
		if n := b.count(link("Accéder à "+r)) + b.count(button("Accéder à "+r)); n != 1 {
			t.Errorf("Mon compte after validation: %d links or buttons « Accéder à %s », want 1", n, r)
		}
	}
	b.checkA11y("mon compte, validé")
	b.screenshot("mon-compte-valide")
}
