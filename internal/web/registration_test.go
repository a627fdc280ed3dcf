package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

const registrationSentText = "Vérifiez votre messagerie : nous vous avons envoyé un lien de confirmation, valable 48 heures."

const registrationPassword = "une phrase pour mes livres"

// registrationForm is a right registration to library A for email, with the
// first two resources wanted.
func (w *world) registrationForm(email string) url.Values {
	return url.Values{
		"nom": {"Le Goff"}, "prenom": {"Maël"}, "email": {email}, "date_naissance": {"03/04/1990"},
		"code_postal": {"29170"}, "ville": {"Fouesnant"}, "bibliotheque": {itoa(w.libA)}, "numero_inscription": {"F-1234"},
		"mot_de_passe": {registrationPassword}, "ressources": {itoa(w.res[0]), itoa(w.res[1])}, "notice": {"1"},
	}
}

// register posts the form and checks the one answer.
func (w *world) register(f url.Values) response {
	w.t.Helper()
	res := w.anonymous().post("/inscription", f)
	if res.status != http.StatusOK || res.text("envoye") != registrationSentText {
		w.t.Fatalf("registration of %q: got status %d and %q, want 200 and the one message; body: %.500s",
			f.Get("email"), res.status, res.text("envoye"), res.body)
	}
	return res
}

// confirmationPath finds the absolute confirmation link in a mail's text and
// returns its path.
func confirmationPath(t testing.TB, text string) string {
	t.Helper()
	prefix := testBaseURL + "/inscription/confirmer/"
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("no link starting with %s in the mail: %s", prefix, text)
	}
	link := strings.Fields(text[i:])[0]
	if token := strings.TrimPrefix(link, prefix); len(token) < 43 {
		t.Fatalf("token %q: got %d characters, want at least 43", token, len(token))
	}
	return strings.TrimPrefix(link, testBaseURL)
}

// patronWith returns the id of the patron with that e-mail, 0 when none.
func (w *world) patronWith(email string) int64 {
	w.t.Helper()
	id, _, err := w.store.PatronCredentials(context.Background(), email)
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return 0
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func TestRegistrationPage(t *testing.T) {
	w := newWorld(t)
	home := w.anonymous().get("/")
	for _, where := range []string{"Menu principal", ""} {
		found := find(home.doc, func(n *html.Node) bool {
			return n.Data == "a" && attr(n, "href") == "/inscription" && text(n) == "S'inscrire" &&
				(where == "" || attr(n.Parent.Parent.Parent, "aria-label") == where)
		})
		if found == nil {
			t.Errorf("home page: no « S'inscrire » link (%q)", where)
		}
	}
	if staffHome := w.login("fouesnant").get("/"); strings.Contains(staffHome.body, `href="/inscription"`) {
		t.Errorf("logged-in staff see « S'inscrire »")
	}

	page := w.anonymous().get("/inscription")
	if page.status != http.StatusOK {
		t.Fatalf("GET /inscription: got status %d, want 200", page.status)
	}
	for name, want := range map[string]string{
		"nom": "family-name", "prenom": "given-name", "email": "email", "date_naissance": "bday",
		"code_postal": "postal-code", "ville": "address-level2", "mot_de_passe": "new-password",
	} {
		in := page.byID("f-" + name)
		if in == nil {
			t.Errorf("no field %s", name)
			continue
		}
		if got := attr(in, "autocomplete"); got != want {
			t.Errorf("field %s: got autocomplete %q, want %q", name, got, want)
		}
		if find(page.doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "f-"+name }) == nil {
			t.Errorf("field %s has no visible label", name)
		}
	}
	var options []string
	walk(page.byID("f-bibliotheque"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" && attr(n, "value") != "" {
			options = append(options, text(n))
		}
	})
	if got, want := strings.Join(options, " | "), "Fouesnant — Médiathèque de Fouesnant | Quimper — Médiathèque de Quimper"; got != want {
		t.Errorf("libraries: got %q, want %q", got, want)
	}
	checked := 0
	for _, in := range page.all("input") {
		if attr(in, "name") == "ressources" && hasAttr(in, "checked") {
			checked++
		}
	}
	if checked != len(w.res) {
		t.Errorf("resources ticked by default: got %d, want %d", checked, len(w.res))
	}
	if n := page.byID("f-notice"); n == nil || hasAttr(n, "checked") {
		t.Errorf("the notice box: missing or ticked by default")
	}
	hp := page.byID("f-site_web")
	if hp == nil || attr(hp, "tabindex") != "-1" || attr(hp.Parent, "aria-hidden") != "true" || attr(hp.Parent, "class") != "visually-hidden" {
		t.Errorf("the honeypot field is missing or not hidden from people")
	}
}

func TestRegistrationCreatesPatronOnlyOnConfirmation(t *testing.T) {
	w := newWorld(t)
	const email = "mael.legoff@example.org"
	f := w.registrationForm(" Mael.LeGoff@Example.org ")
	w.register(f)
	w.runJobs()
	if id := w.patronWith(email); id != 0 {
		t.Fatalf("a patron exists before the link is followed")
	}
	mails := w.mailsTo(email)
	if len(mails) != 1 {
		t.Fatalf("mails to %s: got %d, want 1", email, len(mails))
	}
	path := confirmationPath(t, mails[0].Text)
	if !strings.Contains(mails[0].HTML, `href="`+testBaseURL+path+`"`) {
		t.Errorf("the HTML part lacks the link %s", path)
	}

	if res := w.anonymous().get(path); res.status != http.StatusOK ||
		find(res.doc, func(n *html.Node) bool { return n.Data == "button" && text(n) == "Confirmer mon inscription" }) == nil {
		t.Fatalf("the link: got status %d, want 200 and a « Confirmer mon inscription » button", res.status)
	}
	if p := w.patronWith(email); p != 0 {
		t.Fatalf("following the link alone created the account: a GET must change nothing")
	}
	res := w.anonymous().post(path, nil)
	if res.status != http.StatusOK || res.text("confirmee") != "Votre inscription est confirmée : votre bibliothèque va la valider." {
		t.Fatalf("confirmation: got status %d and %q, want 200 and the confirmation", res.status, res.text("confirmee"))
	}
	if find(res.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/connexion" }) == nil {
		t.Errorf("the confirmation page does not link to /connexion")
	}
	id := w.patronWith(email)
	if id == 0 {
		t.Fatalf("no patron after confirmation")
	}
	p := w.patron(id)
	if p.Status != sesame.StatusToValidate || p.LibraryID != w.libA || p.LastName != "Le Goff" || p.FirstName != "Maël" ||
		p.BirthDate != sesame.MustDate(1990, 4, 3) || p.CardNumber != "F-1234" || p.RegisteredOn != sesame.MustDate(2026, 11, 26) {
		t.Errorf("patron: got %+v, want Le Goff Maël, À valider in A, registered on 26/11/2026", *p)
	}
	grants, err := w.store.PatronGrants(context.Background(), store.LibraryScope(w.libA), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		want := sesame.GrantState("")
		if g.Resource.ID == w.res[0] || g.Resource.ID == w.res[1] {
			want = sesame.GrantPending
		}
		if g.State != want {
			t.Errorf("resource %s: got %q, want %q", g.Resource.Name, g.State, want)
		}
	}
	history, err := w.store.PatronHistory(context.Background(), store.NetworkScope(), id)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range history {
		details = append(details, e.Detail)
	}
	if !strings.Contains(strings.Join(details, "\n"), "Inscription confirmée par l'usager.") {
		t.Errorf("history: got %q, want the confirmation", details)
	}

	login := w.anonymous().post("/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {registrationPassword}})
	if login.status != http.StatusSeeOther || login.header.Get("Location") != "/mon-compte" {
		t.Errorf("login: got status %d to %q, want 303 to /mon-compte", login.status, login.header.Get("Location"))
	}
	if todo := w.login("fouesnant").get("/abonnes/a-traiter"); !strings.Contains(todo.body, "Le Goff") {
		t.Errorf("the new patron is not in library A's to-do view")
	}
	if again := w.anonymous().post(path, nil); again.status != http.StatusOK || again.byID("deja-confirmee") == nil {
		t.Errorf("second use: got status %d, want 200 and the « already confirmed » page", again.status)
	}
}

func TestRegistrationOfKnownAddress(t *testing.T) {
	w := newWorld(t)
	const email = "anne.lefevre@example.org"
	fresh := w.register(w.registrationForm("nouvelle@example.org"))
	known := w.register(w.registrationForm(email))
	if fresh.text("contenu") != known.text("contenu") {
		t.Errorf("pages differ:\n%s\n%s", fresh.text("contenu"), known.text("contenu"))
	}
	mails := w.mailsTo(email)
	if len(mails) != 1 {
		t.Fatalf("mails to %s: got %d, want 1", email, len(mails))
	}
	m := mails[0]
	if !strings.Contains(m.Subject, "Vous avez déjà un compte") || strings.Contains(m.Text, "/inscription/confirmer/") ||
		!strings.Contains(m.Text, testBaseURL+"/connexion") || !strings.Contains(m.Text, testBaseURL+"/mot-de-passe-oublie") {
		t.Errorf("mail: got %q\n%s\nwant « Vous avez déjà un compte » with links to /connexion and /mot-de-passe-oublie", m.Subject, m.Text)
	}
	if p := w.patron(w.patronA); p.LastName != "LEFÈVRE" {
		t.Errorf("the known patron changed: %+v", *p)
	}
}

func TestRegistrationRefusesBadInput(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		change func(url.Values)
		field  string
		kept   string // the value that must come back in field, when it is a text input
	}{
		{"31 February", func(f url.Values) { f.Set("date_naissance", "31/02/1990") }, "date_naissance", "31/02/1990"},
		{"birth date in the future", func(f url.Values) { f.Set("date_naissance", "01/01/2030") }, "date_naissance", "01/01/2030"},
		{"postal code of 4 digits", func(f url.Values) { f.Set("code_postal", "2917") }, "code_postal", "2917"},
		{"empty Nom", func(f url.Values) { f.Set("nom", "") }, "nom", ""},
		{"Nom of 101 characters", func(f url.Values) { f.Set("nom", strings.Repeat("a", 101)) }, "nom", strings.Repeat("a", 101)},
		{"control character", func(f url.Values) { f.Set("ville", "Fouesnant\x07") }, "ville", "Fouesnant\x07"},
		{"bad e-mail", func(f url.Values) { f.Set("email", "mael@exemple") }, "email", "mael@exemple"},
		{"short password", func(f url.Values) { f.Set("mot_de_passe", "court") }, "mot_de_passe", ""},
		{"common password", func(f url.Values) { f.Set("mot_de_passe", "azertyazerty") }, "mot_de_passe", ""},
		{"no library", func(f url.Values) { f.Del("bibliotheque") }, "bibliotheque", ""},
		{"unknown library", func(f url.Values) { f.Set("bibliotheque", "999999") }, "bibliotheque", ""},
		{"no resource", func(f url.Values) { f.Del("ressources") }, "ressources", ""},
		{"unknown resource", func(f url.Values) { f.Set("ressources", "999999") }, "ressources", ""},
		{"notice unticked", func(f url.Values) { f.Del("notice") }, "notice", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := w.registrationForm("refus@example.org")
			tt.change(f)
			res := w.anonymous().post("/inscription", f)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.status)
			}
			if res.fieldError(tt.field) == "" {
				t.Errorf("no message next to %s", tt.field)
			}
			if !strings.HasPrefix(text(find(res.doc, func(n *html.Node) bool { return n.Data == "title" })), "Erreur") {
				t.Errorf("the title does not announce the error")
			}
			for _, name := range []string{"nom", "prenom", "email", "date_naissance", "code_postal", "ville", "numero_inscription"} {
				want := f.Get(name)
				if name == tt.field && tt.kept != "" {
					want = tt.kept
				}
				if got := res.value(name); got != want {
					t.Errorf("field %s: got %q, want what was typed, %q", name, got, want)
				}
			}
			if res.value("mot_de_passe") != "" || strings.Contains(res.body, f.Get("mot_de_passe")) {
				t.Errorf("the password comes back in the page")
			}
			if tt.field != "bibliotheque" {
				sel := find(res.byID("f-bibliotheque"), func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") })
				if sel == nil || attr(sel, "value") != itoa(w.libA) {
					t.Errorf("the chosen library is not kept")
				}
			}
		})
	}
	if mails := w.mailsTo("refus@example.org"); len(mails) != 0 {
		t.Errorf("mails to a refused registration: got %d, want 0", len(mails))
	}
}

func TestRegistrationIgnoresRobots(t *testing.T) {
	w := newWorld(t)
	f := w.registrationForm("robot@example.org")
	f.Set("site_web", "https://spam.example")
	w.register(f)
	w.runJobs()
	if mails := w.mailsTo("robot@example.org"); len(mails) != 0 {
		t.Errorf("honeypot filled: got %d mails, want 0", len(mails))
	}

	// Ten registrations an hour from one address, then a 429, and nothing done.
	for i := range 10 {
		w.register(w.registrationForm("personne" + itoa(int64(i)) + "@example.org"))
	}
	if res := w.anonymous().post("/inscription", w.registrationForm("onzieme@example.org")); res.status != http.StatusTooManyRequests {
		t.Errorf("the client's 11th registration: got %d, want 429", res.status)
	}
	if mails := w.mailsTo("onzieme@example.org"); len(mails) != 0 {
		t.Errorf("over the quota: got %d mails, want 0", len(mails))
	}
	w.clock.Advance(61 * time.Minute)
	w.register(w.registrationForm("onzieme@example.org"))
	if mails := w.mailsTo("onzieme@example.org"); len(mails) != 1 {
		t.Errorf("an hour later: got %d mails, want 1", len(mails))
	}
}

func TestRegistrationLinkExpires(t *testing.T) {
	w := newWorld(t)
	const email = "tardif@example.org"
	w.register(w.registrationForm(email))
	path := confirmationPath(t, w.mailsTo(email)[0].Text)
	w.clock.Advance(49 * time.Hour)
	if res := w.anonymous().get(path); res.status != http.StatusGone {
		t.Errorf("expired link, opened: got status %d, want 410", res.status)
	}
	res := w.anonymous().post(path, nil)
	if res.status != http.StatusGone || res.byID("lien-perime") == nil {
		t.Fatalf("expired link: got status %d, want 410 and the expired page", res.status)
	}
	if find(res.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/inscription" }) == nil {
		t.Errorf("the expired page does not offer to register again")
	}
	if w.patronWith(email) != 0 {
		t.Errorf("an expired link created a patron")
	}
	if res := w.anonymous().get("/inscription/confirmer/inconnu"); res.status != http.StatusGone {
		t.Errorf("unknown link: got status %d, want 410", res.status)
	}
}

func TestRegistrationTwiceMakesOneAccount(t *testing.T) {
	w := newWorld(t)
	const email = "double@example.org"
	w.register(w.registrationForm(email))
	w.register(w.registrationForm(email))
	mails := w.mailsTo(email)
	if len(mails) != 2 {
		t.Fatalf("mails: got %d, want 2", len(mails))
	}
	first, latest := confirmationPath(t, mails[1].Text), confirmationPath(t, mails[0].Text)
	if res := w.anonymous().post(first, nil); res.status != http.StatusGone {
		t.Errorf("the replaced link: got status %d, want 410", res.status)
	}
	if res := w.anonymous().post(latest, nil); res.status != http.StatusOK {
		t.Fatalf("the latest link: got status %d, want 200", res.status)
	}
	page, err := w.store.ListPatrons(context.Background(), store.NetworkScope(), store.PatronFilter{Query: email, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 {
		t.Errorf("accounts with %s: got %d, want 1", email, page.Total)
	}
}

func TestRegistrationConfirmedAfterAddressTaken(t *testing.T) {
	w := newWorld(t)
	const email = "entre.temps@example.org"
	w.register(w.registrationForm(email))
	path := confirmationPath(t, w.mailsTo(email)[0].Text)
	w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: "TEMPS", FirstName: "Entre", Email: email, Status: sesame.StatusToValidate}, sesame.GrantPending)
	res := w.anonymous().post(path, nil)
	if res.status != http.StatusConflict || res.byID("deja-inscrit") == nil {
		t.Fatalf("got status %d, want 409 and the « already have an account » page", res.status)
	}
	if p := w.patron(w.patronWith(email)); p.LibraryID != w.libB {
		t.Errorf("the existing account changed: %+v", *p)
	}
	if res := w.anonymous().post(path, nil); res.status != http.StatusGone {
		t.Errorf("the link again: got status %d, want 410", res.status)
	}
}
