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

	"github.com/chromedp/chromedp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/demo/vendor"
	"github.com/bdf29/sesame/internal/store"
)

// TestDemoVendorThroughEachProtocol: in the demo, Eric's « Accéder » on each
// of the tutorial's four resources really goes through a protocol (OpenID
// Connect, signed link, SAML, CAS) to the demo vendor, whose page says who
// arrived, how, and what it received; that page is accessible too.
func TestDemoVendorThroughEachProtocol(t *testing.T) {
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
			if _, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 300, Today: today}); err != nil {
				return err
			}
			if _, err := v.Register(ctx, a.Store); err != nil {
				return err
			}
			// Eric as the tutorial leaves him, with all four resources.
			return grantTutorialResources(ctx, a.Store)
		})

	b.open("/connexion")
	b.fill(textbox("Votre adresse e-mail"), "eric.mediateur@example.org")
	b.fill(textbox("Votre mot de passe"), demo.Password)
	b.click(button("Accéder à mon compte"), 200)
	for _, r := range []struct {
		resource, protocol, shot string
		want                     []string
	}{
		{"Livres numériques", "OpenID Connect", "oidc", []string{"family_name", "MEDIATEUR-NUM", "FOUESNANT"}},
		{"Médiathèque Numérique", "Lien signé", "lien-signe", []string{"COMPTE-TEST", "FOUESNANT"}},
		{"PressReader", "SAML 2.0", "saml", []string{"givenName", "MEDIATEUR-NUM", "FOUESNANT"}},
		{"Tout apprendre", "CAS", "cas", []string{"lastName", "MEDIATEUR-NUM", "FOUESNANT"}},
	} {
		b.open("/mon-compte")
		b.click(button("Accéder à "+r.resource), 200)
		// SAML passes through Sésame's answer page, which a script posts.
		page := b.waitForText("Vous êtes arrivé par " + r.protocol)
		if !strings.HasPrefix(b.location(), vendor.Prefix) {
			t.Errorf("« Accéder à %s »: ended on %s, want the demo vendor", r.resource, b.location())
		}
		for _, w := range append([]string{"Bienvenue, Eric MEDIATEUR-NUM"}, r.want...) {
			if !strings.Contains(page, w) {
				t.Errorf("« Accéder à %s »: the vendor page lacks %q:\n%s", r.resource, w, page)
			}
		}
		b.checkA11y("fournisseur de démonstration, " + r.protocol)
		b.screenshot("fournisseur-demo-" + r.shot)
	}
}

// grantTutorialResources validates for Eric the two resources the
// tutorial's librarian activates.
func grantTutorialResources(ctx context.Context, st *store.Store) error {
	page, err := st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Query: "mediateur"})
	if err != nil {
		return err
	}
	var ids []int64
	for _, slug := range []string{"pressreader", "tout-apprendre"} {
		res, err := st.ResourceBySlug(ctx, slug)
		if err != nil {
			return err
		}
		ids = append(ids, res.ID)
	}
	_, err = st.SetGrants(ctx, store.NetworkScope(), page.Rows[0].ID, ids, sesame.GrantValidated, sesame.Actor{Label: "test"})
	return err
}

// waitForText waits until the page shown says want, and returns its text:
// for the pages a script leads to after a click.
func (b *browser) waitForText(want string) string {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		// A navigation under way may make the script fail: try again.
		text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil && strings.Contains(text, want) {
			b.shown()
			return text
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited for « %s » on %s; the page says:\n%s", want, b.location(), text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
