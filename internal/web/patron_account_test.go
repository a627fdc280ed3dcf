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
		// wantButton: an Expiré account, or a Validé one within
		// sesame.MaxReminderDays of its end, may ask for renewal.
		wantButton bool
	}{
		{"end date passed: expired at login", sesame.MustDate(2026, 11, 25), sesame.StatusExpired, "Votre compte a expiré le 25/11/2026", true},
		{"end date today: still valid, renewable", sesame.MustDate(2026, 11, 26), sesame.StatusValidated, "Votre compte est validé jusqu'au 26/11/2026", true},
		{"end date in 95 days: not renewable yet", sesame.MustDate(2027, 3, 1), sesame.StatusValidated, "Votre compte est validé jusqu'au 01/03/2027", false},
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
			if hasButton != tt.wantButton {
				t.Errorf("renewal button shown: %v, want %v", hasButton, tt.wantButton)
			}
			if !tt.wantButton {
				if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusForbidden {
					t.Errorf("renewal of a valid account far from its end: got status %d, want 403", res.status)
				}
				return
			}
			if tt.wantStatus != sesame.StatusExpired {
				return // TestRenewalPage follows a Validé account's renewal
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

// A registrant who logs in before confirming their address is told so, with
// « Renvoyer le lien » to the resend form filled with their address, but
// only with the right password: a wrong one gets the answer of an unknown
// address. Once the holder confirmed, the wait is the parent's.
func TestPatronLoginOfAWaitingRegistration(t *testing.T) {
	tests := []struct {
		name, email string
		form        func(w *world, email string) url.Values
		confirm     bool   // the holder follows their link first
		want        string // in the message
	}{
		{"holder to confirm", "attente@example.org", (*world).registrationForm, false, "pas encore confirmée"},
		{"parent to consent", minorEmail, (*world).minorForm, true, "l'accord de votre parent ou tuteur légal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			in := newInbox(t)
			w.register(tt.form(w, tt.email))
			if tt.confirm {
				link := mailLink(t, w.onlyMail(in, tt.email, 1), "/inscription/confirmer/")
				if res := w.anonymous().post(link, nil); res.status != http.StatusOK {
					t.Fatalf("confirmation: got %d", res.status)
				}
			}
			login := func(password string) response {
				return w.anonymous().post("/connexion/usager", url.Values{"email": {tt.email}, "mot_de_passe_usager": {password}})
			}

			wrong := login("un mauvais mot de passe")
			unknown := w.anonymous().post("/connexion/usager", url.Values{"email": {"personne@example.org"}, "mot_de_passe_usager": {"un mauvais mot de passe"}})
			if wrong.status != http.StatusUnauthorized || wrong.byID("renvoyer-lien") != nil ||
				strings.ReplaceAll(wrong.text("contenu"), tt.email, "") != strings.ReplaceAll(unknown.text("contenu"), "personne@example.org", "") {
				t.Errorf("wrong password: got %d, %q; want 401 and the page of an unknown address", wrong.status, wrong.text("connexion-usager-erreur"))
			}

			right := login(registrationPassword)
			if right.status != http.StatusForbidden || !strings.Contains(right.text("connexion-usager-erreur"), tt.want) {
				t.Fatalf("right password: got %d, %q; want 403 and %q", right.status, right.text("connexion-usager-erreur"), tt.want)
			}
			resend := find(right.doc, func(n *html.Node) bool { return n.Data == "a" && text(n) == "Renvoyer le lien" })
			wantHref := "/inscription/renvoyer?email=" + url.QueryEscape(tt.email)
			if resend == nil || attr(resend, "href") != wantHref {
				t.Fatalf("« Renvoyer le lien »: got %v, want a link to %s", resend, wantHref)
			}
			if got := right.value("email"); got != tt.email {
				t.Errorf("typed e-mail: got %q, want it kept", got)
			}
			if c := w.anonymous().get("/mon-compte"); c.status == http.StatusOK {
				t.Errorf("a waiting registration opened « Mon compte »")
			}
			form := w.anonymous().get(wantHref)
			if form.status != http.StatusOK || form.value("email") != tt.email {
				t.Errorf("the resend form from the link: got %d, e-mail %q; want it filled with %s", form.status, form.value("email"), tt.email)
			}
		})
	}
}
