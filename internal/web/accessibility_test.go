package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// title is the page's <title>.
func (r response) title() string {
	if n := find(r.doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "title" }); n != nil {
		return text(n)
	}
	return ""
}

// named returns the value of the first input named name, hidden ones included.
func (r response) named(name string) string {
	if n := find(r.doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == name }); n != nil {
		return attr(n, "value")
	}
	return ""
}

// cookieNamed reports whether c holds a cookie of that name for the site.
func (c *client) cookieNamed(name string) bool {
	u, _ := url.Parse(c.w.server.URL)
	for _, k := range c.http.Jar.Cookies(u) {
		if k.Name == name {
			return true
		}
	}
	return false
}

// TestFormSentAfterTheSessionEndedComesBackAfterLogin follows a librarian
// who typed a correction, answered the phone for 31 minutes, then clicked
// Enregistrer: the login page says why, and after logging in they are back
// on the record with what they had typed, for them to send again.
func TestFormSentAfterTheSessionEndedComesBackAfterLogin(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	record := "/abonnes/" + itoa(w.patronA)
	before := c.get(record)
	typed := url.Values{"version": {before.named("version")}, "nom": {"LEFÈVRE-CARADEC"}, "prenom": {"Anne"},
		"email": {before.value("email")}, "date_naissance": {before.value("date_naissance")}, "code_postal": {"29170"}, "ville": {"Fouesnant"}}

	w.clock.Advance(31 * time.Minute)
	res := c.post(record, typed)
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/connexion?") {
		t.Fatalf("late save: got %d to %q, want 303 to /connexion", res.status, loc)
	}
	if strings.Contains(loc, "CARADEC") {
		t.Errorf("late save: the address %q carries what was typed", loc)
	}
	if got := w.patron(w.patronA).LastName; got != "LEFÈVRE" {
		t.Fatalf("late save: the record's name is %q, want it unchanged", got)
	}
	login := c.get(loc)
	if msg := login.text("session-expiree"); !strings.Contains(msg, "Votre session a expiré") || !strings.Contains(msg, "ce que vous aviez saisi vous y attend") {
		t.Errorf("login page: says %q, want « Votre session a expiré », and that what was typed waits", msg)
	}
	next := login.named("suite")
	if next != record {
		t.Errorf("login page: comes back to %q, want %q", next, record)
	}
	res = c.post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}, "suite": {next}})
	if got := res.header.Get("Location"); got != record {
		t.Fatalf("login: goes to %q, want %q", got, record)
	}
	back := c.get(record)
	if got := back.value("nom"); got != "LEFÈVRE-CARADEC" {
		t.Errorf("record after login: Nom holds %q, want what was typed", got)
	}
	if got := back.named("version"); got != typed.Get("version") {
		t.Errorf("record after login: version %q, want the one the form was typed on, %q", got, typed.Get("version"))
	}
	if !strings.HasPrefix(back.title(), "Saisie retrouvée – ") {
		t.Errorf("record after login: title %q, want it to start with « Saisie retrouvée – »", back.title())
	}
	if got := w.patron(w.patronA).LastName; got != "LEFÈVRE" {
		t.Errorf("after login: the record's name is %q, want it still unchanged: the form is shown, never replayed", got)
	}
	if again := c.get(record); again.value("nom") != "LEFÈVRE" {
		t.Errorf("record, second visit: Nom holds %q, want the saved value: what was typed comes back once", again.value("nom"))
	}
}

func TestKeptFormIsForItsAuthorOnly(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	record := "/abonnes/" + itoa(w.patronA)
	version := c.get(record).named("version")
	w.clock.Advance(31 * time.Minute)
	c.post(record, url.Values{"version": {version}, "nom": {"AUTRE NOM"}})
	// Someone else logs in on the same browser.
	c.post("/connexion", url.Values{"identifiant": {"admin"}, "mot_de_passe": {testPassword}})
	if got := c.get(record).value("nom"); got != "LEFÈVRE" {
		t.Errorf("another account: Nom holds %q, want the saved value, not someone else's typing", got)
	}
}

func TestFormsWithSecretsAreNotKept(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronA)
	w.clock.Advance(31 * time.Minute)
	res := c.post("/mon-compte/mot-de-passe", url.Values{"mot_de_passe_actuel": {testPassword}, "nouveau_mot_de_passe": {"un autre mot de passe"}})
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.Contains(loc, "expiree=1") {
		t.Fatalf("late password change: got %d to %q, want 303 to the login page saying the session ended", res.status, loc)
	}
	if c.cookieNamed("sesame-saisie") {
		t.Error("late password change: a kept-form cookie was set, want passwords never kept")
	}
	if msg := c.get(res.header.Get("Location")).text("session-expiree"); strings.Contains(msg, "vous y attend") {
		t.Errorf("login page: says %q, want no promise of a kept form", msg)
	}
}

func TestKeepAliveExtendsTheSession(t *testing.T) {
	tests := []struct {
		name      string
		login     func(w *world) *client
		keepAlive string
		page      string
	}{
		{"staff", func(w *world) *client { return w.login("fouesnant") }, "/session/prolonger", "/abonnes"},
		{"patron", func(w *world) *client { return w.patronLogin(w.patronA) }, "/mon-compte/session/prolonger", "/mon-compte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prolong := range []bool{true, false} {
				w := newWorld(t)
				c := tt.login(w)
				w.clock.Advance(25 * time.Minute)
				if prolong {
					if res := c.post(tt.keepAlive, url.Values{}); res.status != http.StatusNoContent {
						t.Fatalf("keep-alive: got %d, want 204", res.status)
					}
				}
				w.clock.Advance(25 * time.Minute)
				res := c.get(tt.page)
				if stillIn := res.status == http.StatusOK; stillIn != prolong {
					t.Errorf("prolonged %v, 50 minutes later: got %d (%s), want logged in %v", prolong, res.status, res.header.Get("Location"), prolong)
				}
			}
		})
	}
}

func TestPagesOfSomeoneLoggedInHoldTheSessionWarning(t *testing.T) {
	w := newWorld(t)
	res := w.login("fouesnant").get("/abonnes")
	d := res.byID("session-fin")
	if d == nil {
		t.Fatal("no session warning on a logged-in page")
	}
	if got := attr(d, "role"); got != "alertdialog" {
		t.Errorf("warning: role %q, want alertdialog", got)
	}
	if got, want := attr(d, "data-idle"), "1800"; got != want {
		t.Errorf("warning: idle %s s, want %s", got, want)
	}
	if got, want := attr(d, "data-warn"), "120"; got != want {
		t.Errorf("warning: opens %s s before the end, want %s", got, want)
	}
	if w.anonymous().get("/connexion").byID("session-fin") != nil {
		t.Error("the login page, for nobody logged in, holds a session warning")
	}
}

// TestFailedLoginsAreMarked checks both login forms the same way: an
// « Erreur : » title, fields invalid and described by the message, and the
// message taking the focus.
func TestFailedLoginsAreMarked(t *testing.T) {
	tests := []struct {
		name, path, message string
		sent                url.Values
		fields              []string
	}{
		{"staff", "/connexion", "connexion-erreur", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {"pas le bon"}}, []string{"identifiant", "mot_de_passe"}},
		{"patron", "/connexion/usager", "connexion-usager-erreur", url.Values{"email": {"anne.lefevre@example.org"}, "mot_de_passe_usager": {"pas le bon"}}, []string{"email", "mot_de_passe_usager"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			res := w.anonymous().post(tt.path, tt.sent)
			if !strings.HasPrefix(res.title(), "Erreur : Connexion") {
				t.Errorf("title %q, want « Erreur : Connexion… »", res.title())
			}
			msg := res.byID(tt.message)
			if msg == nil || !hasAttr(msg, "autofocus") {
				t.Fatalf("message #%s: missing or without autofocus", tt.message)
			}
			for _, name := range tt.fields {
				f := res.byID("f-" + name)
				if attr(f, "aria-invalid") != "true" || !slices.Contains(strings.Fields(attr(f, "aria-describedby")), tt.message) {
					t.Errorf("field %s: aria-invalid %q, aria-describedby %q; want true, and the message", name, attr(f, "aria-invalid"), attr(f, "aria-describedby"))
				}
			}
		})
	}
}

// TestErrorSummaryFollowsTheFormAndTakesTheFocus sends empty forms and
// checks the summary lists the errors in the order of the form's fields.
func TestErrorSummaryFollowsTheFormAndTakesTheFocus(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		client *client
		path   string
		sent   url.Values
	}{
		{"registration", w.anonymous(), "/inscription", url.Values{}},
		{"new library", w.login("admin"), "/admin/bibliotheques/nouvelle", url.Values{}},
		{"new staff account", w.login("admin"), "/admin/personnel/nouveau", url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.client.post(tt.path, tt.sent)
			summary := find(res.doc, func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "error-summary") })
			if summary == nil {
				t.Fatalf("status %d: no error summary", res.status)
			}
			if !hasAttr(summary, "autofocus") || attr(summary, "tabindex") != "-1" {
				t.Error("summary: want tabindex=-1 and autofocus, so that it takes the focus")
			}
			var listed []string
			walk(summary, func(n *html.Node) {
				if n.Data == "a" {
					listed = append(listed, strings.TrimPrefix(attr(n, "href"), "#"))
				}
			})
			var form []string
			walk(res.doc, func(n *html.Node) {
				if id := attr(n, "id"); strings.HasPrefix(id, "f-") && slices.Contains(listed, id) {
					form = append(form, id)
				}
			})
			if len(listed) < 2 || !slices.Equal(listed, form) {
				t.Errorf("summary lists %q, want at least two, in the form's order %q", listed, form)
			}
		})
	}
}

func TestTitlesSayTheResult(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	if got := c.get("/abonnes?q=lefevre").title(); !strings.HasPrefix(got, "Recherche « lefevre » : 1 abonné – ") {
		t.Errorf("search: title %q, want « Recherche « lefevre » : 1 abonné – … »", got)
	}
	if got := c.get("/abonnes/" + itoa(w.patronA) + "?ok=enregistre").title(); !strings.HasPrefix(got, "Les modifications ont été enregistrées – ") {
		t.Errorf("after a save: title %q, want it to start with what the save did", got)
	}
	res := w.anonymous().post("/inscription", w.registrationForm("titre.inscription@example.org"))
	if got := res.title(); !strings.HasPrefix(got, "Inscription envoyée – ") {
		t.Errorf("registration: title %q, want « Inscription envoyée – … »", got)
	}
}
