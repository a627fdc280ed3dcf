package e2e

import (
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestSAMLConnectorFormOffersDirectLogin opens the SAML connector's form:
// « Connexion directe » is a labelled checkbox with its explanation, and
// the page passes axe.
func TestSAMLConnectorFormOffersDirectLogin(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	b.open("/admin/connecteurs/nouveau?type=saml")
	box := b.find(checkbox("Connexion directe"))
	if d := box.description(); d == "" {
		t.Error("« Connexion directe » has no description saying what it does")
	}
	b.checkA11y("nouveau connecteur SAML")
}
