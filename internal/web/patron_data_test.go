package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// exported mirrors the parts of the JSON file the tests look at.
type exported struct {
	Identite struct {
		Nom, Prenom, Email string
		DateNaissance      struct{ Date, ISO string } `json:"date_naissance"`
		NumeroCarte        string                     `json:"numero_carte"`
	} `json:"identite"`
	Bibliotheque struct{ Code, Nom string } `json:"bibliotheque"`
	Compte       struct {
		Statut          string
		DateFinValidite struct{ Date, ISO string } `json:"date_fin_validite"`
	} `json:"compte"`
	Ressources []struct{ Ressource, Etat string }                `json:"ressources"`
	Historique []struct{ Date, ISO, Par, Action, Detail string } `json:"historique"`
	Acces      []struct{ Date, ISO, Ressource string }           `json:"acces_aux_ressources"`
}

func TestMyDataExport(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronB)
	if res := c.post("/acceder/livres-numeriques", nil); res.status != http.StatusSeeOther {
		t.Fatalf("launch: %d", res.status)
	}
	res := c.get("/mon-compte/donnees")
	if res.status != http.StatusOK {
		t.Fatalf("export: got status %d, want 200; body: %.300s", res.status, res.body)
	}
	for header, want := range map[string]string{
		"Content-Type":        "application/json; charset=utf-8",
		"Content-Disposition": `attachment; filename="mes-donnees-sesame.json"`,
		"Cache-Control":       "no-store",
	} {
		if got := res.header.Get(header); got != want {
			t.Errorf("%s: got %q, want %q", header, got, want)
		}
	}
	var got exported
	if err := json.Unmarshal([]byte(res.body), &got); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	checks := []struct {
		name      string
		got, want string
	}{
		{"last name", got.Identite.Nom, "KERJEAN"},
		{"first name", got.Identite.Prenom, "Yann"},
		{"e-mail", got.Identite.Email, "yann.kerjean@example.org"},
		{"card number", got.Identite.NumeroCarte, "B-0001"},
		{"birth date", got.Identite.DateNaissance.Date, "17/05/1980"},
		{"birth date ISO", got.Identite.DateNaissance.ISO, "1980-05-17"},
		{"library code", got.Bibliotheque.Code, "QUIMPER"},
		{"library name", got.Bibliotheque.Nom, "Médiathèque de Quimper"},
		{"status", got.Compte.Statut, string(sesame.StatusValidated)},
		{"end date", got.Compte.DateFinValidite.Date, "01/06/2027"},
		{"end date ISO", got.Compte.DateFinValidite.ISO, "2027-06-01"},
	}
	for _, tt := range checks {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if len(got.Ressources) != 1 || got.Ressources[0].Ressource != "Livres numériques" || got.Ressources[0].Etat != string(sesame.GrantValidated) {
		t.Errorf("resources: got %+v, want Livres numériques, validated", got.Ressources)
	}
	if len(got.Historique) == 0 || got.Historique[len(got.Historique)-1].Action != "creation" || got.Historique[0].Par == "" {
		t.Errorf("history: got %+v, want the record's events ending with its creation", got.Historique)
	}
	if len(got.Acces) != 1 || got.Acces[0].Ressource != "Livres numériques" || got.Acces[0].Date != "26/11/2026 10:00" {
		t.Errorf("launches: got %+v, want one of Livres numériques on 26/11/2026 10:00", got.Acces)
	}
	_, hash, err := w.store.PatronCredentials(context.Background(), "yann.kerjean@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{hash, "$argon2id", "password", "mot_de_passe", "token", "anne.lefevre@example.org", "LEFÈVRE"} {
		if strings.Contains(res.body, secret) {
			t.Errorf("export contains %q", secret)
		}
	}

	page := c.get("/mon-compte")
	if find(page.doc, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == "/mon-compte/donnees" && text(n) == "Télécharger mes données"
	}) == nil {
		t.Errorf("Mon compte has no link « Télécharger mes données »")
	}
}

func TestMyDataNeedsPatronSession(t *testing.T) {
	w := newWorld(t)
	clients := []struct {
		name string
		c    *client
	}{
		{"anonymous", w.anonymous()},
		{"library staff", w.login("quimper")},
		{"network admin", w.login("admin")},
	}
	for _, tt := range clients {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/mon-compte/donnees", "/mon-compte/supprimer"} {
				res := tt.c.get(path)
				if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/connexion") {
					t.Errorf("GET %s: got status %d to %q, want 303 to /connexion", path, res.status, res.header.Get("Location"))
				}
			}
			res := tt.c.post("/mon-compte/supprimer", url.Values{"mot_de_passe": {testPassword}})
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/connexion") {
				t.Errorf("POST: got status %d to %q, want 303 to /connexion", res.status, res.header.Get("Location"))
			}
		})
	}
}

func TestDeleteOwnAccountRefusesWrongPassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{"wrong password", "un mauvais mot de passe"},
		{"empty password", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.patronLogin(w.patronB)
			form := c.get("/mon-compte/supprimer")
			if form.status != http.StatusOK || form.byID("f-mot_de_passe") == nil ||
				find(form.doc, func(n *html.Node) bool {
					return n.Data == "button" && text(n) == "Supprimer définitivement mon compte"
				}) == nil {
				t.Fatalf("confirmation page: status %d, want 200 with the password field and the button", form.status)
			}
			res := c.post("/mon-compte/supprimer", url.Values{"mot_de_passe": {tt.password}})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.status)
			}
			if res.fieldError("mot_de_passe") == "" {
				t.Errorf("no message next to the password field")
			}
			if strings.Contains(res.body, "un mauvais mot de passe") {
				t.Errorf("the typed password is echoed back")
			}
			w.patron(w.patronB) // fails the test if the account is gone
			if page := c.get("/mon-compte"); page.status != http.StatusOK {
				t.Errorf("Mon compte after a refused deletion: got status %d, want 200", page.status)
			}
		})
	}
}

func TestDeleteOwnAccountIsThrottled(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronB)
	var last int
	for range 10 {
		last = c.post("/mon-compte/supprimer", url.Values{"mot_de_passe": {"un mauvais mot de passe"}}).status
		if last == http.StatusTooManyRequests {
			break
		}
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("after repeated wrong passwords: got status %d, want 429", last)
	}
	if res := c.post("/mon-compte/supprimer", url.Values{"mot_de_passe": {testPassword}}); res.status != http.StatusTooManyRequests {
		t.Errorf("right password while blocked: got status %d, want 429", res.status)
	}
	w.patron(w.patronB)
}

func TestDeleteOwnAccount(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	before, err := w.store.StatusCounts(ctx, store.LibraryScope(w.libB))
	if err != nil {
		t.Fatal(err)
	}
	c := w.patronLogin(w.patronB)
	other := w.patronLogin(w.patronB) // a second device: its session must end too
	oldCookies := c.http.Jar.Cookies(mustURL(t, w.server.URL))

	res := c.post("/mon-compte/supprimer", url.Values{"mot_de_passe": {testPassword}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/?ok=compte-supprime" {
		t.Fatalf("deletion: got status %d to %q, want 303 to /?ok=compte-supprime", res.status, res.header.Get("Location"))
	}
	if _, err := w.store.Patron(ctx, store.NetworkScope(), w.patronB); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("patron after deletion: got error %v, want not found", err)
	}
	if home := c.get(res.header.Get("Location")); !strings.Contains(text(home.doc), "Votre compte a été supprimé.") {
		t.Errorf("home page lacks the notice")
	}

	replay := w.anonymous()
	replay.http.Jar.SetCookies(mustURL(t, w.server.URL), oldCookies)
	for name, cl := range map[string]*client{"old cookie": replay, "other device": other} {
		if page := cl.get("/mon-compte"); page.status != http.StatusSeeOther {
			t.Errorf("%s on Mon compte: got status %d, want 303", name, page.status)
		}
	}

	after, err := w.store.StatusCounts(ctx, store.LibraryScope(w.libB))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after[sesame.StatusValidated], before[sesame.StatusValidated]-1; got != want {
		t.Errorf("validated count of library B: got %d, want %d", got, want)
	}
	staff := w.login("quimper")
	if list := staff.get("/abonnes?q=kerjean"); strings.Contains(list.body, "KERJEAN") {
		t.Errorf("the search still finds the deleted patron")
	}

	events, err := w.store.PatronTrail(ctx, store.NetworkScope(), w.patronB)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Action != "suppression" {
		t.Fatalf("audit: got %+v, want a deletion event first", events)
	}
	e := events[0]
	if e.PatronID != w.patronB || e.ActorLabel != "usager supprimé" {
		t.Errorf("deletion event: got patron %d by %q, want patron %d by « usager supprimé »", e.PatronID, e.ActorLabel, w.patronB)
	}
	if len(events) < 2 {
		t.Errorf("the trail before the deletion is gone: %+v; want it kept, pseudonymised", events)
	}
	for _, e := range events { // every event of the trail, the older ones too
		for _, personal := range []string{"KERJEAN", "Kerjean", "Yann", "yann.kerjean@example.org"} {
			if strings.Contains(e.ActorLabel+" "+e.Detail, personal) {
				t.Errorf("event %q / %q contains %q", e.ActorLabel, e.Detail, personal)
			}
		}
	}
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
