package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// TestAPIKeysPage: the admin makes a key, sees it once, finds it on the
// list with its last use, and revokes it; a refused form keeps what was
// typed; library staff cannot reach the page.
func TestAPIKeysPage(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")

	page := admin.get("/admin/cles-api")
	if page.status != http.StatusOK {
		t.Fatalf("GET: got %d", page.status)
	}
	for _, label := range []string{"Bibliothèque", "Nom de la clé"} {
		if !hasLabel(page, label) {
			t.Errorf("no visible label %q", label)
		}
	}
	if !strings.Contains(page.text("contenu"), "Aucune clé") {
		t.Errorf("empty list: want « Aucune clé »")
	}

	tests := []struct {
		name        string
		form        url.Values
		field, want string
	}{
		{"no library", url.Values{"bibliotheque": {""}, "nom": {"Koha nuit"}}, "bibliotheque", "Choisissez"},
		{"unknown library", url.Values{"bibliotheque": {"999"}, "nom": {"Koha nuit"}}, "bibliotheque", "n'existe pas"},
		{"no name", url.Values{"bibliotheque": {fmt.Sprint(w.libA)}, "nom": {"  "}}, "nom", "Indiquez"},
		{"name too long", url.Values{"bibliotheque": {fmt.Sprint(w.libA)}, "nom": {strings.Repeat("é", 81)}}, "nom", "80 caractères"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.post("/admin/cles-api", tt.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", res.status)
			}
			if got := res.fieldError(tt.field); !strings.Contains(got, tt.want) {
				t.Errorf("error next to %s: got %q, want %q", tt.field, got, tt.want)
			}
			if got := res.value("nom"); got != tt.form.Get("nom") {
				t.Errorf("typed name: got %q, want %q kept", got, tt.form.Get("nom"))
			}
		})
	}

	created := admin.post("/admin/cles-api", url.Values{"bibliotheque": {fmt.Sprint(w.libA)}, "nom": {"Koha nuit"}})
	if created.status != http.StatusOK {
		t.Fatalf("create: got %d", created.status)
	}
	secret := created.text("cle-api")
	if !sesame.WellFormedAPIKey(secret) || !strings.Contains(created.text("contenu"), "ne sera plus affichée") {
		t.Fatalf("the new key %q is not shown with its note", secret)
	}
	if cc := created.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q: want no-store on the page with the key", cc)
	}
	again := admin.post("/admin/cles-api", url.Values{"bibliotheque": {fmt.Sprint(w.libA)}, "nom": {"Koha nuit"}})
	if again.status != http.StatusUnprocessableEntity || !strings.Contains(again.fieldError("nom"), "déjà") {
		t.Errorf("same name again: got %d %q", again.status, again.fieldError("nom"))
	}

	// The key opens the API, which records its use on the list.
	req, _ := http.NewRequest(http.MethodGet, w.server.URL+"/api/v1/libraries/FOUESNANT/patrons", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("API with the new key: got %d", res.StatusCode)
	}
	list := admin.get("/admin/cles-api")
	body := list.text("contenu")
	if strings.Contains(list.body, secret) {
		t.Errorf("the list shows the whole key")
	}
	if !strings.Contains(body, secret[:10]) || !strings.Contains(body, "FOUESNANT") || strings.Contains(body, "Jamais") {
		t.Errorf("list: want the key's start, its library and its last use:\n%s", body)
	}
	revoke := findButton(list, "Révoquer la clé Koha nuit")
	if revoke == nil {
		t.Fatalf("no « Révoquer la clé Koha nuit » button")
	}
	revoked := admin.post(formAction(revoke), url.Values{})
	if revoked.status != http.StatusSeeOther {
		t.Fatalf("revoke: got %d, want 303", revoked.status)
	}
	done := admin.get(revoked.header.Get("Location"))
	if !strings.Contains(done.body, "est révoquée") {
		t.Errorf("after revoke: no notice")
	}
	if findButton(done, "Révoquer la clé Koha nuit") != nil {
		t.Errorf("a revoked key still offers « Révoquer »")
	}
	if _, err := w.store.APIKeyBySecret(context.Background(), secret); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("revoked key still found: %v", err)
	}
	if res := admin.post("/admin/cles-api/999/revoquer", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("revoke an unknown key: got %d, want 404", res.status)
	}

	if res := w.login("fouesnant").get("/admin/cles-api"); res.status != http.StatusForbidden {
		t.Errorf("library staff: got %d, want 403", res.status)
	}
}

func hasLabel(r response, label string) bool {
	for _, n := range r.all("label") {
		if strings.HasPrefix(strings.TrimSpace(text(n)), label) {
			return true
		}
	}
	return false
}

func findButton(r response, name string) *html.Node {
	for _, n := range r.all("button") {
		if strings.TrimSpace(text(n)) == name {
			return n
		}
	}
	return nil
}

// formAction is the action of the form around n.
func formAction(n *html.Node) string {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Data == "form" {
			return attr(p, "action")
		}
	}
	return ""
}
