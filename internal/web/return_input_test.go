package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// attackReturnPaths are « suite » values that a browser may read as
// another site, raw and percent-encoded (finding 2 of issue #9).
var attackReturnPaths = []string{
	`/../\evil.example/steal`, "/%2E%2E%2F%5Cevil.example%2Fsteal", `/\evil.example`, "/%5Cevil", `/\/evil`,
	"/\tevil", "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0D%0A/evil.example",
	"//evil.example", "///evil.example", "/%2F/evil.example", "https://evil.example/x", "/x/../..//evil",
	"javascript:alert(1)", "/\u200b/evil.example",
}

// localLocation reports whether a Location header keeps a browser on the
// portal: a path with exactly one leading slash, nothing a browser drops.
func localLocation(loc string) bool {
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		return false
	}
	if strings.ContainsFunc(loc, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return false
	}
	base, _ := url.Parse("https://portal.example/connexion")
	ref, err := url.Parse(loc)
	return err == nil && base.ResolveReference(ref).Host == "portal.example"
}

// TestLoginReturnPathStaysOnSite logs staff and patrons in through the real
// router with each attack in « suite »: the answer sends them to a path of
// the site, and the login form never carries the attack in its field.
func TestLoginReturnPathStaysOnSite(t *testing.T) {
	w := newWorld(t)
	w.patronLogin(w.patronB) // gives Yann the test password
	email := w.patron(w.patronB).Email
	for _, next := range attackReturnPaths {
		t.Run(fmt.Sprintf("%q", next), func(t *testing.T) {
			form := w.anonymous().get("/connexion?suite=" + url.QueryEscape(next))
			if v := form.value("suite"); v != "" && !localLocation(v) {
				t.Errorf("login form keeps suite %q", v)
			}
			staff := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}, "suite": {next}})
			if loc := staff.header.Get("Location"); staff.status != http.StatusSeeOther || !localLocation(loc) {
				t.Errorf("staff login: got %d to %q, want 303 to a path of the site", staff.status, loc)
			}
			patron := w.anonymous().post("/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}, "suite": {next}})
			if loc := patron.header.Get("Location"); patron.status != http.StatusSeeOther || !localLocation(loc) {
				t.Errorf("patron login: got %d to %q, want 303 to a path of the site", patron.status, loc)
			}
		})
	}
	// A return path of the site itself still works.
	staff := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}, "suite": {"/abonnes?q=le%20bihan"}})
	if loc := staff.header.Get("Location"); loc != "/abonnes?q=le%20bihan" {
		t.Errorf("staff login with a local suite: got %q, want /abonnes?q=le%%20bihan", loc)
	}
	patron := w.anonymous().post("/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}, "suite": {"/cas/login?service=https%3A%2F%2Fv.example%2F"}})
	if loc := patron.header.Get("Location"); loc != "/cas/login?service=https%3A%2F%2Fv.example%2F" {
		t.Errorf("patron login with a local suite: got %q, want it kept", loc)
	}
}

// formFields are the names of the fields Sésame's forms and protocol
// endpoints read.
var formFields = []string{
	"q", "suite", "identifiant", "mot_de_passe", "mot_de_passe_usager", "confirmation", "email", "nom", "prenom",
	"date_naissance", "code_postal", "ville", "numero_inscription", "bibliotheque", "ressources", "ressource", "resource",
	"notice", "nom_parent", "email_parent", "code", "version", "statut", "refuser", "motif", "role", "desactive", "login",
	"name", "town", "site_web", "contact", "url", "description", "slug", "client_id", "client_secret", "redirect_uris",
	"secret", "service_prefix", "metadata", "release_email", "id_token_signed_response_alg", "type", "cle", "notification",
	"double_authentification", "token", "grant_type", "redirect_uri", "code_verifier", "refresh_token", "SAMLRequest",
	"RelayState", "service", "ticket", "annee", "periode", "preset", "tri", "ordre", "par_page",
}

// TestControlCharactersNeverAnswer500 walks the route table as each role
// (finding 5 of issue #9): a NUL or another control character in the query
// gets the French 400 page before any handler or database sees it; a NUL
// in any posted field, alone or in every field at once, gets the route's
// own answer, never a 500. Run with SESAME_TEST_ENGINE=postgres as well:
// PostgreSQL refuses a NUL in any text.
func TestControlCharactersNeverAnswer500(t *testing.T) {
	w := newWorld(t)
	clients := map[string]*client{"anonymous": w.anonymous(), "library": w.login("fouesnant"), "admin": w.login("admin"), "patron": w.patronLogin(w.patronA)}
	for _, rt := range w.web.Routes() {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			method, path = http.MethodGet, "/une-page-inconnue"
		}
		path = strings.NewReplacer("{id}", fmt.Sprint(w.patronA), "{name}", "style.css", "{$}", "", "{token}", "jeton", "{slug}", "livres-numeriques").Replace(path)
		for who, c := range clients {
			t.Run(who+" "+method+" "+path, func(t *testing.T) {
				for _, q := range []string{"q=ab%00cd", "q=a%09b", "q=a%0Ab", "q=a%7Fb", "suite=%2Fx%00", "a%00=b"} {
					res := c.get(path + "?" + q)
					if res.status != http.StatusBadRequest || !strings.Contains(res.text("contenu"), "Caractère non autorisé dans l'adresse") {
						t.Errorf("GET ?%s: got %d, want 400 « Caractère non autorisé dans l'adresse »: %.300s", q, res.status, res.text("contenu"))
					}
				}
				// Bytes that are not UTF-8, which PostgreSQL refuses too.
				if res := c.get(path + "?q=ab%FFcd&suite=%2F%FF"); res.status >= 500 {
					t.Errorf("GET ?q=ab%%FFcd: got %d: %.300s", res.status, res.text("contenu"))
				}
				if method != http.MethodPost || path == "/deconnexion" || path == "/cas/logout" {
					return
				}
				for _, bad := range []string{"ab\x00cd", "ab\xffcd"} {
					all := url.Values{}
					for _, field := range formFields {
						all.Set(field, bad)
						if res := c.post(path, url.Values{field: {bad}}); res.status >= 500 {
							t.Errorf("POST %s=%q: got %d: %.300s", field, bad, res.status, res.text("contenu"))
						}
					}
					if res := c.post(path, all); res.status >= 500 {
						t.Errorf("POST with %q in every field: got %d: %.300s", bad, res.status, res.text("contenu"))
					}
				}
			})
		}
	}
	// The search box that answered 500.
	staff := clients["library"]
	for _, path := range []string{"/abonnes?q=ab%00cd", "/abonnes/a-traiter?q=ab%00cd"} {
		if res := staff.get(path); res.status != http.StatusBadRequest {
			t.Errorf("GET %s: got %d, want 400", path, res.status)
		}
	}
}

// TestSecretTokenPagesAreNotStored checks that every page whose address
// carries a secret token (password reset, confirmation, parent's consent)
// is kept by no cache, like an authenticated page.
func TestSecretTokenPagesAreNotStored(t *testing.T) {
	w := newWorld(t)
	seen := map[string]bool{}
	for _, rt := range w.web.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if method != http.MethodGet || !strings.Contains(path, "{token}") {
			continue
		}
		seen[path] = true
		res := w.anonymous().get(strings.Replace(path, "{token}", "jeton-inconnu", 1))
		if got := res.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, got)
		}
	}
	for _, path := range []string{"/mot-de-passe/{token}", "/inscription/confirmer/{token}", "/inscription/accord/{token}"} {
		if !seen[path] {
			t.Errorf("no route GET %s", path)
		}
	}
}
