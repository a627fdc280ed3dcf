package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// consentLink is the link of a parental-consent mail.
var consentLink = regexp.MustCompile(`https?://[^\s"<>]+/inscription/accord/[A-Za-z0-9_-]+`)

// TestMinorRegistersWithParentalConsent follows a patron of 12 through the
// three steps of their registration in a real Chromium: the form, which
// asks for a parent; their own confirmation; the parent's consent from the
// link of a mail of their own. axe-core checks every page on the way, and
// the « Renvoyer le lien de confirmation » page.
func TestMinorRegistersWithParentalConsent(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	mb := newMailbox(t)
	b := newBrowser(t)
	b.base = startAppEnv(t, today, mb.env())
	const (
		email  = "youenn.cariou.e2e@example.fr"
		parent = "gaelle.cariou.e2e@example.fr"
	)
	status := func(prefix string) bool {
		return slices.ContainsFunc(b.live("status"), func(s string) bool { return strings.HasPrefix(s, prefix) })
	}

	b.open("/inscription")
	b.fill(textbox("Nom"), "Cariou")
	b.fill(textbox("Prénom"), "Youenn")
	b.fill(textbox("E-mail"), email)
	b.fill(textbox("Date de naissance"), today.AddMonths(-12*12).String())
	b.fill(textbox("Code postal"), "29170")
	b.fill(textbox("Ville"), "Fouesnant")
	b.choose(combobox("Bibliothèque"), "Fouesnant — Médiathèque de Fouesnant")
	b.fill(textbox("Mot de passe"), "les phoques de Glénan")
	b.tick(checkbox("J'ai lu la notice Données personnelles"))
	b.click(button("S'inscrire"), 422)
	for _, field := range []string{"Nom du parent ou tuteur légal", "E-mail du parent ou tuteur légal"} {
		n := b.find(textbox(field))
		if got := n.description(); !strings.Contains(got, field+" : obligatoire avant 15 ans.") {
			t.Errorf("no parent given: %s is described as %q, want its error", field, got)
		}
		if inv, _ := n.prop("invalid"); inv != "true" {
			t.Errorf("no parent given: %s invalid = %q, want true", field, inv)
		}
	}
	b.checkA11y("inscription d'un mineur, parent manquant")

	b.fill(textbox("Nom du parent ou tuteur légal"), "Gaëlle Cariou")
	b.fill(textbox("E-mail du parent ou tuteur légal"), parent)
	b.fill(textbox("Mot de passe"), "les phoques de Glénan")
	b.click(button("S'inscrire"), 200)
	if !status("Vérifiez votre messagerie") {
		t.Fatalf("after registering: status %q, want « Vérifiez votre messagerie… »", b.live("status"))
	}

	b.click(link("renvoyez le lien de confirmation"), 200)
	b.checkA11y("renvoyer le lien de confirmation")
	b.fill(textbox("Adresse e-mail de votre inscription"), "inconnu.e2e@example.fr")
	b.click(button("Renvoyer le lien de confirmation"), 200)
	if !status("Si une inscription attend d'être confirmée") {
		t.Errorf("after asking for a new link: status %q, want the one answer", b.live("status"))
	}
	b.checkA11y("renvoyer le lien, envoyé")

	confirm := confirmLink.FindString(mb.waitFor(email, "Confirmez votre inscription").Parts["text/plain"])
	if confirm == "" {
		t.Fatalf("no link in the child's mail")
	}
	b.open(strings.TrimPrefix(confirm, b.base))
	b.checkA11y("inscription d'un mineur, confirmer")
	b.click(button("Confirmer mon inscription"), 200)
	if !status("Votre adresse est confirmée. Nous avons écrit à votre parent ou tuteur légal") {
		t.Fatalf("after confirming: status %q, want the parent asked", b.live("status"))
	}
	b.checkA11y("inscription d'un mineur, accord demandé")

	m := mb.waitFor(parent, "Accord parental pour l'inscription de Youenn Cariou")
	consent := consentLink.FindString(m.Parts["text/plain"])
	if consent == "" || !strings.Contains(m.Parts["text/html"], `href="`+consent+`"`) {
		t.Fatalf("parent's mail: no link in both parts:\n%s", m.Parts["text/plain"])
	}
	b.open(strings.TrimPrefix(consent, b.base))
	if got := b.text(); !strings.Contains(got, "Youenn Cariou") || !strings.Contains(got, "Médiathèque de Fouesnant") {
		t.Errorf("consent page: want the child's name and the library")
	}
	b.checkA11y("accord parental")
	b.screenshot("accord-parental")
	b.click(button("Je donne mon accord"), 200)
	if !status("Merci : votre accord est enregistré") {
		t.Fatalf("after consenting: status %q, want the consent recorded", b.live("status"))
	}
	b.checkA11y("accord parental enregistré")
	mb.waitFor("fouesnant@bibliotheques.example", "Nouvelle inscription à traiter")
}
