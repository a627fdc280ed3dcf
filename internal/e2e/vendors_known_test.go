package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/demo/vendor"
)

// TestWhatVendorsKnowAboutMePage: in the demo, Eric opens three resources
// through the demo vendor (signed link, SAML, CAS), then reads « Ce que les
// fournisseurs savent de moi » from « Mon compte »: one section per
// resource, with its protocol, what it received and when; axe-core checks
// the page, empty and full.
func TestWhatVendorsKnowAboutMePage(t *testing.T) {
	b := newBrowser(t)
	today := sesame.DateOf(time.Now(), app.Paris())
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1}, Random: rand.Reader}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	var v *vendor.Vendor
	_, b.base = apptest.ServeMounted(t, map[string]string{"SESAME_SECRET_KEY": base64.StdEncoding.EncodeToString(key)}, hasher,
		func(cfg config.Config) map[string]http.Handler {
			v = vendor.New(cfg.BaseURL, cfg.SecretKey, time.Now, rand.Reader, slog.New(slog.NewTextHandler(t.Output(), nil)))
			return map[string]http.Handler{vendor.Prefix: v.Handler()}
		},
		func(ctx context.Context, a *app.App) error {
			if _, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 20, Today: today}); err != nil {
				return err
			}
			if _, err := v.Register(ctx, a.Store); err != nil {
				return err
			}
			return grantTutorialResources(ctx, a.Store)
		})

	b.open("/connexion")
	b.fill(textbox("Votre adresse e-mail"), "eric.mediateur@example.org")
	b.fill(textbox("Votre mot de passe"), demo.Password)
	b.click(button("Accéder à mon compte"), 200)
	b.click(link("Ce que les fournisseurs savent de moi"), 200)
	if got := b.text(); !strings.Contains(got, "Vous n'avez ouvert aucune ressource") {
		t.Errorf("before any launch, the page says %q", got)
	}
	b.checkA11y("ce que les fournisseurs savent de moi, vide")

	opened := []struct{ resource, protocol string }{
		{"Médiathèque Numérique", "Lien signé"}, {"PressReader", "SAML 2.0"}, {"Tout apprendre", "CAS"},
	}
	for _, r := range opened {
		b.open("/mon-compte")
		b.click(button("Accéder à "+r.resource), 200)
		b.waitForText("Vous êtes arrivé par " + r.protocol)
	}
	b.open("/mon-compte")
	b.click(link("Ce que les fournisseurs savent de moi"), 200)
	page := b.text()
	for _, r := range opened {
		for _, want := range []string{"Informations transmises au fournisseur de " + r.resource + " — " + r.protocol, "Derniers accès à " + r.resource} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q:\n%s", want, page)
			}
		}
	}
	for _, want := range []string{"MEDIATEUR-NUM", "Pseudonyme (identifiant propre à ce fournisseur)", "FOUESNANT"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	b.checkA11y("ce que les fournisseurs savent de moi")
	b.screenshot("ce-que-les-fournisseurs-savent")
}
