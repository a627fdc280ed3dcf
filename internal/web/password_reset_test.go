package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

const resetSentText = "Si un compte existe pour cette adresse, un courriel vient de lui être envoyé. Le lien est valable une heure."

// mailsTo returns the outbox's messages to that address, newest first, as
// the sender would send them: with their personal links.
func (w *world) mailsTo(to string) []store.Mail {
	w.t.Helper()
	all, err := w.store.RecentMail(context.Background(), 1000)
	if err != nil {
		w.t.Fatalf("read outbox: %v", err)
	}
	var out []store.Mail
	for _, m := range all {
		if m.To == to {
			full, err := w.store.Mail(context.Background(), m.ID)
			if err != nil {
				w.t.Fatalf("read mail %d: %v", m.ID, err)
			}
			msg, _ := mail.Compose(full)
			m.Text, m.HTML = msg.Text, msg.HTML
			out = append(out, m)
		}
	}
	return out
}

// requestReset asks for a reset link for email and checks the one answer.
func (w *world) requestReset(email string) response {
	w.t.Helper()
	res := w.anonymous().post("/mot-de-passe-oublie", url.Values{"email": {email}})
	if res.status != http.StatusOK || res.text("envoye") != resetSentText {
		w.t.Fatalf("reset request for %q: got status %d and %q, want 200 and the one message", email, res.status, res.text("envoye"))
	}
	w.runJobs()
	return res
}

// resetLink asks for a link for the patron's address and returns the path
// of the link of the mail it yields.
func (w *world) resetLink(id int64) string {
	w.t.Helper()
	email := w.patron(id).Email
	before := len(w.mailsTo(email))
	w.requestReset(email)
	mails := w.mailsTo(email)
	if len(mails) != before+1 {
		w.t.Fatalf("mails to %s: got %d, want %d", email, len(mails), before+1)
	}
	return linkPath(w.t, mails[0].Text)
}

// linkPath finds the absolute reset link in a mail's text and returns its path.
func linkPath(t testing.TB, text string) string {
	t.Helper()
	prefix := testBaseURL + "/mot-de-passe/"
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("no link starting with %s in the mail: %s", prefix, text)
	}
	link := strings.Fields(text[i:])[0]
	if token := strings.TrimPrefix(link, prefix); len(token) < 43 { // 256 bits in base64url
		t.Fatalf("token %q: got %d characters, want at least 43", token, len(token))
	}
	return strings.TrimPrefix(link, testBaseURL)
}

func setPassword(pw, confirm string) url.Values {
	return url.Values{"mot_de_passe": {pw}, "confirmation": {confirm}}
}

const newPassword = "une toute nouvelle phrase secrète"

func TestLoginPageLinksToPasswordReset(t *testing.T) {
	w := newWorld(t)
	page := w.anonymous().get("/connexion")
	link := find(page.byID("espace-usager").Parent, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == "/mot-de-passe-oublie"
	})
	if link == nil || text(link) != "Mot de passe oublié ?" {
		t.Fatalf("the Espace usagers has no « Mot de passe oublié ? » link")
	}
	form := w.anonymous().get("/mot-de-passe-oublie")
	if form.status != http.StatusOK || form.byID("f-email") == nil ||
		find(form.doc, func(n *html.Node) bool {
			return n.Data == "button" && text(n) == "Recevoir un lien de réinitialisation"
		}) == nil {
		t.Fatalf("reset request form: got status %d, want 200 with the e-mail field and the button", form.status)
	}
}

func TestPasswordResetRequestSaysNothingAboutAccounts(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name      string
		typed     string
		to        string
		wantMails int
	}{
		{"unknown address", "personne@example.org", "personne@example.org", 0},
		{"known address", "anne.lefevre@example.org", "anne.lefevre@example.org", 1},
		{"known address typed in capitals", " Yann.Kerjean@Example.org ", "yann.kerjean@example.org", 1},
	}
	var pages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.requestReset(tt.typed)
			pages = append(pages, res.text("contenu"))
			mails := w.mailsTo(tt.to)
			if len(mails) != tt.wantMails {
				t.Fatalf("mails to %s: got %d, want %d", tt.to, len(mails), tt.wantMails)
			}
			if tt.wantMails == 0 {
				return
			}
			path := linkPath(t, mails[0].Text)
			if !strings.Contains(mails[0].HTML, `href="`+testBaseURL+path+`"`) {
				t.Errorf("the HTML part lacks the link %s: %s", path, mails[0].HTML)
			}
			if !strings.Contains(mails[0].Subject, "mot de passe") {
				t.Errorf("subject: got %q, want it to speak of the password", mails[0].Subject)
			}
		})
	}
	for i := 1; i < len(pages); i++ {
		if pages[i] != pages[0] {
			t.Errorf("pages differ:\n%s\n%s", pages[0], pages[i])
		}
	}
	if res := w.anonymous().post("/mot-de-passe-oublie", url.Values{"email": {""}}); res.status != http.StatusUnprocessableEntity || res.fieldError("email") == "" {
		t.Errorf("empty address: got status %d and message %q, want 422 with a message", res.status, res.fieldError("email"))
	}
}

func TestPasswordResetChangesPasswordOnce(t *testing.T) {
	w := newWorld(t)
	session := w.patronLogin(w.patronA) // logged in before the reset
	path := w.resetLink(w.patronA)
	c := w.anonymous()
	form := c.get(path)
	if form.status != http.StatusOK || form.byID("f-mot_de_passe") == nil || form.byID("f-confirmation") == nil {
		t.Fatalf("reset form: got status %d, want 200 with both fields", form.status)
	}

	refused := []struct {
		name, pw, confirm, field string
	}{
		{"too short", "court", "court", "mot_de_passe"},
		{"common", "azertyazerty", "azertyazerty", "mot_de_passe"},
		{"the e-mail itself", "anne.lefevre@example.org", "anne.lefevre@example.org", "mot_de_passe"},
		{"confirmation differs", newPassword, newPassword + " !", "confirmation"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			res := c.post(path, setPassword(tt.pw, tt.confirm))
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.status)
			}
			if res.fieldError(tt.field) == "" {
				t.Errorf("no message next to %s", tt.field)
			}
			if res.value("mot_de_passe") != "" || res.value("confirmation") != "" || strings.Contains(res.body, tt.pw) {
				t.Errorf("what was typed comes back in the page")
			}
			if !strings.HasPrefix(text(find(res.doc, func(n *html.Node) bool { return n.Data == "title" })), "Erreur") {
				t.Errorf("the title does not announce the error")
			}
		})
	}

	res := c.post(path, setPassword(newPassword, newPassword))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/connexion?ok=motdepasseusager" {
		t.Fatalf("reset: got status %d to %q, want 303 to /connexion?ok=motdepasseusager", res.status, res.header.Get("Location"))
	}
	if got := session.get("/mon-compte"); got.status != http.StatusSeeOther {
		t.Errorf("the session opened before the reset: got status %d on /mon-compte, want 303 to the login page", got.status)
	}
	login := func(pw string) int {
		return w.anonymous().post("/connexion/usager", url.Values{"email": {"anne.lefevre@example.org"}, "mot_de_passe_usager": {pw}}).status
	}
	if got := login(testPassword); got != http.StatusUnauthorized {
		t.Errorf("old password: got status %d, want 401", got)
	}
	if got := login(newPassword); got != http.StatusSeeOther {
		t.Errorf("new password: got status %d, want 303", got)
	}
	for _, again := range []response{c.get(path), c.post(path, setPassword("encore une autre phrase", "encore une autre phrase"))} {
		if again.status != http.StatusGone || again.byID("lien-perime") == nil {
			t.Errorf("second use: got status %d, want 410 and the expired-or-used page", again.status)
		}
	}
	if got := login(newPassword); got != http.StatusSeeOther {
		t.Errorf("the second use changed the password: got status %d, want 303", got)
	}
	history := text(w.login("fouesnant").get("/abonnes/" + itoa(w.patronA) + "/statut").doc)
	if !strings.Contains(history, "Mot de passe réinitialisé par l'usager") {
		t.Errorf("history lacks the reset: %s", history)
	}
}

func TestPasswordResetLinkFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world) string // returns the path to try
	}{
		{"expired after an hour", func(w *world) string {
			path := w.resetLink(w.patronB)
			w.clock.Advance(61 * time.Minute)
			return path
		}},
		{"voided by a newer link", func(w *world) string {
			path := w.resetLink(w.patronB)
			w.resetLink(w.patronB)
			return path
		}},
		{"unknown token", func(w *world) string { return "/mot-de-passe/" + strings.Repeat("A", 43) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.patronLogin(w.patronB)
			path := tt.setup(w)
			c := w.anonymous()
			for _, res := range []response{c.get(path), c.post(path, setPassword(newPassword, newPassword))} {
				if res.status != http.StatusGone || res.byID("lien-perime") == nil {
					t.Errorf("got status %d, want 410 and the expired-or-used page", res.status)
				}
				if find(res.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/mot-de-passe-oublie" }) == nil {
					t.Errorf("the page does not offer to ask again")
				}
			}
			if got := w.anonymous().post("/connexion/usager", url.Values{"email": {"yann.kerjean@example.org"}, "mot_de_passe_usager": {testPassword}}); got.status != http.StatusSeeOther {
				t.Errorf("the password changed: login with the old one got status %d, want 303", got.status)
			}
		})
	}
	t.Run("newer link still works", func(t *testing.T) {
		w := newWorld(t)
		w.resetLink(w.patronB)
		path := w.resetLink(w.patronB)
		if res := w.anonymous().get(path); res.status != http.StatusOK {
			t.Errorf("newer link: got status %d, want 200", res.status)
		}
	})
}

func TestPasswordResetRequestsAreLimited(t *testing.T) {
	w := newWorld(t)
	const email = "anne.lefevre@example.org"
	for range 7 {
		w.requestReset(email)
	}
	if got := len(w.mailsTo(email)); got != 5 {
		t.Fatalf("mails after 7 requests: got %d, want 5", got)
	}
	w.clock.Advance(16 * time.Minute)
	w.requestReset(email)
	if got := len(w.mailsTo(email)); got != 6 {
		t.Fatalf("mails after the window: got %d, want 6", got)
	}
}

func TestPasswordResetMailHeadersCannotBeForged(t *testing.T) {
	w := newWorld(t)
	for _, typed := range []string{
		"anne.lefevre@example.org\r\nBcc: victime@example.net",
		"anne.lefevre@example.org\nBcc: victime@example.net",
		"anne.lefevre@example.org%0d%0aBcc:victime@example.net",
	} {
		// Refused as no address at all, before anything is stored.
		if res := w.anonymous().post("/mot-de-passe-oublie", url.Values{"email": {typed}}); res.status >= 500 || res.status == http.StatusOK {
			t.Errorf("%q: got %d, want the address refused", typed, res.status)
		}
		w.runJobs()
	}
	list, err := w.store.RecentMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("outbox: got %d mails, want none: %+v", len(list), list)
	}
}
