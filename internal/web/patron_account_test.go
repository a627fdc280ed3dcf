package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

func TestPatronLoginExpiresThenRenews(t *testing.T) {
	tests := []struct {
		name       string
		validUntil sesame.Date
		wantStatus sesame.Status
		wantText   string
	}{
		{"end date passed: expired at login", sesame.MustDate(2026, 11, 25), sesame.StatusExpired, "Votre compte a expiré le 25/11/2026"},
		{"end date today: still valid", sesame.MustDate(2026, 11, 26), sesame.StatusValidated, "Votre compte est validé jusqu'au 26/11/2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "TANGUY", FirstName: "Soizic", Email: "soizic@example.org",
				Status: sesame.StatusValidated, LibraryRegisteredOn: tt.validUntil.AddMonths(-12), ValidUntil: tt.validUntil}, sesame.GrantValidated)
			c := w.patronLogin(id)
			if got := w.patron(id).Status; got != tt.wantStatus {
				t.Fatalf("status after login: got %s, want %s", got, tt.wantStatus)
			}
			page := c.get("/mon-compte")
			if page.status != http.StatusOK || !strings.Contains(text(page.doc), tt.wantText) {
				t.Fatalf("Mon compte: status %d, want the text %q in: %s", page.status, tt.wantText, text(page.doc))
			}
			hasButton := find(page.doc, func(n *html.Node) bool { return n.Data == "button" && text(n) == "Demander le renouvellement" }) != nil
			if hasButton != (tt.wantStatus == sesame.StatusExpired) {
				t.Errorf("renewal button shown: %v, want %v", hasButton, tt.wantStatus == sesame.StatusExpired)
			}
			if tt.wantStatus != sesame.StatusExpired {
				if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusForbidden {
					t.Errorf("renewal of a valid account: got status %d, want 403", res.status)
				}
				return
			}
			staff := w.login("fouesnant")
			if !strings.Contains(staff.get("/abonnes?q=tanguy").body, "Date de fin de validité : 25/11/2026") {
				t.Errorf("the library's list does not show the expired account with its end date")
			}
			if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusSeeOther {
				t.Fatalf("renewal: got status %d, want 303", res.status)
			}
			if got := w.patron(id).Status; got != sesame.StatusToRevalidate {
				t.Fatalf("status after renewal: got %s, want À revalider", got)
			}
			todo := staff.get("/abonnes/a-traiter")
			if !strings.Contains(todo.body, "TANGUY") {
				t.Errorf("the renewal request is not in the library's to-do view")
			}
			history := text(staff.get("/abonnes/" + itoa(id) + "/statut").doc)
			for _, want := range []string{"« Validé » → « Expiré »", "« Expiré » → « À revalider »", "l'usager (soizic@example.org)"} {
				if !strings.Contains(history, want) {
					t.Errorf("history lacks %q", want)
				}
			}
			if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusForbidden {
				t.Errorf("a second renewal request: got status %d, want 403", res.status)
			}
		})
	}
}

func TestPatronLoginSaysNothingAboutAccounts(t *testing.T) {
	w := newWorld(t)
	w.patronLogin(w.patronA) // gives the patron a password
	unknown := w.anonymous().post("/connexion/usager", url.Values{"email": {"personne@example.org"}, "mot_de_passe_usager": {"un mauvais mot de passe"}})
	wrong := w.anonymous().post("/connexion/usager", url.Values{"email": {"anne.lefevre@example.org"}, "mot_de_passe_usager": {"un mauvais mot de passe"}})
	if unknown.status != http.StatusUnauthorized || wrong.status != http.StatusUnauthorized {
		t.Errorf("statuses: unknown %d, wrong %d; want 401 both", unknown.status, wrong.status)
	}
	if a, b := unknown.text("contenu"), wrong.text("contenu"); strings.ReplaceAll(a, "personne@example.org", "") != strings.ReplaceAll(b, "anne.lefevre@example.org", "") {
		t.Errorf("pages differ:\nunknown: %s\nwrong:   %s", a, b)
	}
	if got := wrong.value("email"); got != "anne.lefevre@example.org" {
		t.Errorf("typed e-mail: got %q, want it kept", got)
	}
	empty := w.anonymous().post("/connexion/usager", url.Values{})
	if empty.status != http.StatusUnprocessableEntity || empty.fieldError("email") == "" {
		t.Errorf("empty form: got status %d, message %q", empty.status, empty.fieldError("email"))
	}
}

func TestPatronSessionIsNotStaff(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronA)
	for _, path := range []string{"/abonnes", "/admin", "/abonnes/" + itoa(w.patronA)} {
		res := c.get(path)
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/connexion") {
			t.Errorf("patron on %s: got status %d, want 303 to /connexion", path, res.status)
		}
	}
	c.post("/deconnexion", nil)
	if res := c.get("/mon-compte"); res.status != http.StatusSeeOther {
		t.Errorf("Mon compte after logout: got status %d, want 303", res.status)
	}
}
