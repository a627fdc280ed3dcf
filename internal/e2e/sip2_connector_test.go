package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestAdminAddsSIP2Connector adds a SIP2 vendor account as the network
// admin: a short password comes back beside its field, never typed back;
// the account is then listed with its login.
func TestAdminAddsSIP2Connector(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	b.open("/admin/connecteurs")
	b.click(link("Ajouter un connecteur SIP2 à Brief.me"), 200)
	b.checkA11y("nouveau connecteur SIP2")
	b.fill(textbox("Identifiant SIP2"), "briefme-bdf29")
	b.fill(textbox("Mot de passe SIP2"), "court")
	b.click(button("Ajouter le connecteur"), 422)
	b.checkA11y("nouveau connecteur SIP2, erreur")
	if msg := b.find(textbox("Mot de passe SIP2")).description(); !strings.Contains(msg, "12 à 64 caractères") {
		t.Errorf("the password field is not described by its error: %q", msg)
	}
	if got := b.value(textbox("Identifiant SIP2")); got != "briefme-bdf29" {
		t.Errorf("the login typed is not kept: %q", got)
	}
	if got := b.value(textbox("Mot de passe SIP2")); got != "" {
		t.Errorf("the password is typed back: %q", got)
	}
	b.fill(textbox("Mot de passe SIP2"), "un-mot-de-passe-sip2-assez-long")
	b.click(button("Ajouter le connecteur"), 200)
	if text := b.section("Brief.me"); !strings.Contains(text, "SIP2") || !strings.Contains(text, "briefme-bdf29") || strings.Contains(text, "assez-long") {
		t.Errorf("the list does not show the SIP2 account, or shows its password:\n%s", text)
	}
	b.checkA11y("connecteurs, avec un compte SIP2")
}
