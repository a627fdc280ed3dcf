package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

const (
	minorEmail  = "lena.le-goff@example.org"
	parentEmail = "anne.le-goff@example.org"
	parentName  = "Anne Le Goff"
)

// minorForm is registrationForm for a patron of 13, born 03/04/2013, with
// their parent's name and e-mail.
func (w *world) minorForm(email string) url.Values {
	f := w.registrationForm(email)
	f.Set("prenom", "Léna")
	f.Set("date_naissance", "03/04/2013")
	f.Set("nom_parent", parentName)
	f.Set("email_parent", parentEmail)
	return f
}

// mailLink finds the absolute link to route in a received mail's text,
// checks that its HTML part carries the same link, and returns its path.
func mailLink(t testing.TB, m receivedMail, route string) string {
	t.Helper()
	prefix := testBaseURL + route
	i := strings.Index(m.text, prefix)
	if i < 0 {
		t.Fatalf("mail %q: no link starting with %s in the text:\n%s", m.subject, prefix, m.text)
	}
	link := strings.Fields(m.text[i:])[0]
	if token := strings.TrimPrefix(link, prefix); len(token) < 43 { // 256 bits in base64url
		t.Fatalf("token %q: got %d characters, want at least 43", token, len(token))
	}
	if !strings.Contains(m.html, `href="`+link+`"`) {
		t.Errorf("mail %q: the HTML part lacks the link %s", m.subject, link)
	}
	return strings.TrimPrefix(link, testBaseURL)
}

// onlyMail delivers the due mail and returns the one message received for
// to since want-1 earlier ones.
func (w *world) onlyMail(in *inbox, to string, want int) receivedMail {
	w.t.Helper()
	deliver(w.t, w.instance("test", in))
	got := in.to(to)
	if len(got) != want {
		w.t.Fatalf("mails to %s: got %d, want %d: %+v", to, len(got), want, got)
	}
	return got[want-1]
}

func hasButton(r response, label string) bool {
	return find(r.doc, func(n *html.Node) bool { return n.Data == "button" && text(n) == label }) != nil
}

func hasLink(r response, href string) bool {
	return find(r.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == href }) != nil
}

func TestRegistrationParentFieldsInForm(t *testing.T) {
	w := newWorld(t)
	page := w.anonymous().get("/inscription")
	legend := find(page.byID("f-nom_parent").Parent.Parent, func(n *html.Node) bool { return n.Data == "legend" })
	if legend == nil || !strings.Contains(text(legend), "obligatoire si vous avez moins de 15 ans") {
		t.Errorf("the parent's fields are not in a fieldset whose legend says they are required under 15")
	}
	for name, label := range map[string]string{"nom_parent": "Nom du parent ou tuteur légal", "email_parent": "E-mail du parent ou tuteur légal"} {
		l := find(page.doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "f-"+name })
		if l == nil || text(l) != label {
			t.Errorf("field %s: got label %q, want %q", name, text(l), label)
		}
	}
	if got := attr(page.byID("f-email_parent"), "type"); got != "email" {
		t.Errorf("parent's e-mail: got type %q, want email", got)
	}
}

func TestRegistrationParentRequiredUnder15(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		change func(url.Values)
		errors map[string]string // field → message; none: the registration goes through
	}{
		{"13, parent given", func(url.Values) {}, nil},
		{"13, no parent's name", func(f url.Values) { f.Set("nom_parent", " ") },
			map[string]string{"nom_parent": "Nom du parent ou tuteur légal : obligatoire avant 15 ans."}},
		{"13, no parent's e-mail", func(f url.Values) { f.Del("email_parent") },
			map[string]string{"email_parent": "E-mail du parent ou tuteur légal : obligatoire avant 15 ans."}},
		{"13, neither", func(f url.Values) { f.Del("nom_parent"); f.Del("email_parent") }, map[string]string{
			"nom_parent": "Nom du parent ou tuteur légal : obligatoire avant 15 ans.", "email_parent": "E-mail du parent ou tuteur légal : obligatoire avant 15 ans."}},
		{"13, parent's e-mail malformed", func(f url.Values) { f.Set("email_parent", "anne@exemple") },
			map[string]string{"email_parent": "E-mail du parent ou tuteur légal : l'adresse doit être de la forme nom@exemple.fr."}},
		{"13, parent's e-mail is the child's", func(f url.Values) { f.Set("email_parent", " Minor@Example.org ") },
			map[string]string{"email_parent": "E-mail du parent ou tuteur légal : c'est votre propre adresse ; indiquez celle de votre parent ou tuteur, qui recevra la demande d'accord."}},
		{"13, control character in the parent's name", func(f url.Values) { f.Set("nom_parent", "Anne\x07") },
			map[string]string{"nom_parent": "Nom du parent ou tuteur légal : le texte contient des caractères de contrôle."}},
		{"15 tomorrow", func(f url.Values) { f.Set("date_naissance", "27/11/2011"); f.Del("nom_parent") },
			map[string]string{"nom_parent": "Nom du parent ou tuteur légal : obligatoire avant 15 ans."}},
		{"15 today, no parent", func(f url.Values) { f.Set("date_naissance", "26/11/2011"); f.Del("nom_parent"); f.Del("email_parent") }, nil},
		{"adult, no parent", func(f url.Values) { f.Set("date_naissance", "03/04/1990"); f.Del("nom_parent"); f.Del("email_parent") }, nil},
		{"adult, malformed parent's e-mail ignored", func(f url.Values) { f.Set("date_naissance", "03/04/1990"); f.Set("email_parent", "x") }, nil},
		{"birth date wrong: its own message only", func(f url.Values) { f.Set("date_naissance", "31/02/2013"); f.Del("nom_parent") },
			map[string]string{"date_naissance": "Date de naissance : La date « 31/02/2013 » n'existe pas."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := w.minorForm("minor@example.org")
			tt.change(f)
			res := w.anonymous().post("/inscription", f)
			if tt.errors == nil {
				if res.status != http.StatusOK || res.text("envoye") != registrationSentText {
					t.Fatalf("got status %d, want 200 and the one message; errors: %s", res.status, res.text("f-nom_parent-erreur")+res.text("f-email_parent-erreur"))
				}
				return
			}
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.status)
			}
			for _, field := range []string{"nom_parent", "email_parent", "date_naissance"} {
				if got, want := res.fieldError(field), tt.errors[field]; got != want {
					t.Errorf("message next to %s: got %q, want %q", field, got, want)
				}
			}
			for _, field := range []string{"nom_parent", "email_parent"} {
				if got := res.value(field); got != f.Get(field) {
					t.Errorf("field %s: got %q, want what was typed, %q", field, got, f.Get(field))
				}
			}
		})
	}
}

// TestRegistrationAgeInParis: the age is counted on the civil date in
// Europe/Paris, not in UTC. At 00:30 in Paris on 27/11/2026, it is still
// 26/11 in UTC, and one born on 27/11/2011 is 15.
func TestRegistrationAgeInParis(t *testing.T) {
	w := newWorld(t)
	w.clock.Advance(14*time.Hour + 30*time.Minute) // 27/11/2026 00:30 in Paris, 26/11 23:30 UTC
	f := w.registrationForm("quinze@example.org")
	f.Set("date_naissance", "27/11/2011")
	w.register(f)
}

func TestRegistrationWithParentalConsent(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	w.register(w.minorForm(minorEmail))

	childMail := w.onlyMail(in, minorEmail, 1)
	if !strings.Contains(childMail.text, "Comme vous avez moins de 15 ans, nous demanderons ensuite l'accord de votre parent ou tuteur légal") {
		t.Errorf("the child's mail does not announce the parent's step:\n%s", childMail.text)
	}
	confirm := mailLink(t, childMail, "/inscription/confirmer/")
	if res := w.anonymous().get(confirm); res.status != http.StatusOK || !hasButton(res, "Confirmer mon inscription") ||
		!strings.Contains(res.body, "l'accord de votre parent ou tuteur légal") {
		t.Fatalf("the child's link: got status %d, want 200, a button and the parent's step announced", res.status)
	}
	res := w.anonymous().post(confirm, nil)
	if res.status != http.StatusOK || !strings.Contains(res.text("accord-demande"), parentEmail) {
		t.Fatalf("the child's confirmation: got status %d and %q, want 200 and the parent asked", res.status, res.text("accord-demande"))
	}
	if w.patronWith(minorEmail) != 0 {
		t.Fatalf("a patron exists before the parent's consent")
	}
	if res := w.login("fouesnant").get("/abonnes/a-traiter"); strings.Contains(res.body, "Léna") {
		t.Errorf("the child is in the library's queue before the parent's consent")
	}

	parentMail := w.onlyMail(in, parentEmail, 1)
	if parentMail.subject != "Accord parental pour l'inscription de Léna Le Goff — Réseau de test" {
		t.Errorf("parent's mail: got subject %q", parentMail.subject)
	}
	for _, want := range []string{"Bonjour Anne Le Goff,", "Léna Le Goff demande à s'inscrire", "Médiathèque de Fouesnant", "valable 48 heures et ne sert qu'une fois"} {
		if !strings.Contains(parentMail.text, want) || !strings.Contains(parentMail.html, want) {
			t.Errorf("parent's mail lacks %q in both parts:\n%s\n%s", want, parentMail.text, parentMail.html)
		}
	}
	consent := mailLink(t, parentMail, "/inscription/accord/")

	for range 2 { // opening the page, even twice, changes nothing
		page := w.anonymous().get(consent)
		if page.status != http.StatusOK || !hasButton(page, "Je donne mon accord") {
			t.Fatalf("the parent's link: got status %d, want 200 and « Je donne mon accord »", page.status)
		}
		if got := page.text("demande"); !strings.Contains(got, "Léna Le Goff") || !strings.Contains(got, "né(e) le 03/04/2013") ||
			!strings.Contains(got, "Médiathèque de Fouesnant") {
			t.Errorf("the consent page: got %q, want the child's name and birth date and the library", got)
		}
		var resources []string
		walk(page.byID("ressources"), func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "li" {
				resources = append(resources, text(n))
			}
		})
		if got := strings.Join(resources, ", "); got != "Livres numériques, PressReader" {
			t.Errorf("resources on the consent page: got %q, want the two asked for", got)
		}
		if !hasLink(page, "/donnees-personnelles") {
			t.Errorf("the consent page does not link to /donnees-personnelles")
		}
		form := find(page.doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == consent })
		if form == nil || attr(form, "method") != "post" {
			t.Errorf("the button's form does not POST to the link")
		}
	}
	if w.patronWith(minorEmail) != 0 {
		t.Fatalf("opening the parent's link created the account: a GET must change nothing")
	}

	again := w.anonymous().post(confirm, nil)
	if again.status != http.StatusOK || !strings.Contains(again.text("accord-attendu"), parentEmail) {
		t.Errorf("the child's button pressed again: got status %d and %q, want 200 and « waiting for the parent »", again.status, again.text("accord-attendu"))
	}

	res = w.anonymous().post(consent, nil)
	if res.status != http.StatusOK || !strings.Contains(res.text("accord-enregistre"), "Léna Le Goff part vers sa bibliothèque, Médiathèque de Fouesnant, qui la validera") {
		t.Fatalf("consent: got status %d and %q, want 200 and the consent recorded", res.status, res.text("accord-enregistre"))
	}
	consentAt := w.clock.Now()
	id := w.patronWith(minorEmail)
	if id == 0 {
		t.Fatalf("no patron after the parent's consent")
	}
	if p := w.patron(id); p.Status != sesame.StatusToValidate || p.LibraryID != w.libA || p.FirstName != "Léna" || p.BirthDate != sesame.MustDate(2013, 4, 3) {
		t.Errorf("patron: got %+v, want Léna, À valider in A", *p)
	}
	if res := w.anonymous().post(consent, nil); res.status != http.StatusOK || res.byID("accord-deja") == nil {
		t.Errorf("the parent's button pressed again: got status %d, want 200 and « already given »", res.status)
	}
	if res := w.anonymous().get(consent); res.status != http.StatusOK || res.byID("accord-deja") == nil {
		t.Errorf("the parent's link opened again: got status %d, want 200 and « already given »", res.status)
	}
	if res := w.anonymous().post(confirm, nil); res.status != http.StatusOK || res.byID("deja-confirmee") == nil {
		t.Errorf("the child's button after the consent: got status %d, want 200 and « already confirmed »", res.status)
	}
	if id2 := w.patronWith(minorEmail); id2 != id {
		t.Errorf("patron after the second presses: got %d, want %d", id2, id)
	}
	deliver(t, w.instance("test", in))
	if got := in.to("a@example.org"); len(got) != 1 || !strings.Contains(got[0].text, "Léna") {
		t.Errorf("mails to library A: got %d, want 1 telling of Léna's registration", len(got))
	}
	if got := in.to(parentEmail); len(got) != 1 {
		t.Errorf("mails to the parent: got %d, want 1", len(got))
	}

	staff := w.login("fouesnant")
	if todo := staff.get("/abonnes/a-traiter"); !strings.Contains(todo.body, "Léna") {
		t.Errorf("the patron is not in library A's to-do view after the consent")
	}
	record := staff.get("/abonnes/" + itoa(id))
	wantConsent := "Inscription faite avant 15 ans, avec l'accord de son parent ou tuteur légal : Anne Le Goff (anne.le-goff@example.org), donné le " +
		consentAt.In(w.paris).Format("02/01/2006 à 15:04") + "."
	if got := record.text("accord-parental-detail"); got != wantConsent {
		t.Errorf("the record's Informations: got %q, want %q", got, wantConsent)
	}
	if res := w.login("quimper").get("/abonnes/" + itoa(id)); res.status != http.StatusNotFound {
		t.Errorf("library B opens the record: got status %d, want 404", res.status)
	}
	if other := staff.get("/abonnes/" + itoa(w.patronA)); other.byID("accord-parental") != nil {
		t.Errorf("a patron registered without consent shows one")
	}

	var data struct {
		AccordParental *struct {
			NomParent   string `json:"nom_parent"`
			EmailParent string `json:"email_parent"`
			ISO         string `json:"iso"`
		} `json:"accord_parental"`
	}
	export := w.patronLogin(id).get("/mon-compte/donnees")
	if err := json.Unmarshal([]byte(export.body), &data); err != nil {
		t.Fatalf("export: %v", err)
	}
	if c := data.AccordParental; c == nil || c.NomParent != parentName || c.EmailParent != parentEmail ||
		c.ISO != consentAt.In(w.paris).Format(time.RFC3339) {
		t.Errorf("export's accord_parental: got %+v, want %s, %s at %s", c, parentName, parentEmail, consentAt.In(w.paris).Format(time.RFC3339))
	}
	adult := w.patronLogin(w.patronB).get("/mon-compte/donnees")
	if !strings.Contains(adult.body, `"accord_parental": null`) {
		t.Errorf("an adult's export: want accord_parental null")
	}
}

func TestParentalConsentLinkExpires(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	w.register(w.minorForm(minorEmail))
	w.clock.Advance(47 * time.Hour) // the child confirms near the end of their 48 hours
	if res := w.anonymous().post(mailLink(t, w.onlyMail(in, minorEmail, 1), "/inscription/confirmer/"), nil); res.status != http.StatusOK {
		t.Fatalf("the child's confirmation: got status %d, want 200", res.status)
	}
	consent := mailLink(t, w.onlyMail(in, parentEmail, 1), "/inscription/accord/")
	w.clock.Advance(47 * time.Hour) // the parent's 48 hours run from the child's confirmation
	if res := w.anonymous().get(consent); res.status != http.StatusOK {
		t.Fatalf("the parent's link after 47 hours: got status %d, want 200", res.status)
	}
	w.clock.Advance(2 * time.Hour)
	for _, res := range []response{w.anonymous().get(consent), w.anonymous().post(consent, nil)} {
		if res.status != http.StatusGone || res.byID("lien-perime") == nil || !hasLink(res, "/inscription/renvoyer") {
			t.Errorf("the parent's link after 49 hours: got status %d, want 410, the expired page and a link to /inscription/renvoyer", res.status)
		}
	}
	if w.patronWith(minorEmail) != 0 {
		t.Errorf("an expired consent link created a patron")
	}
	if res := w.anonymous().get("/inscription/accord/inconnu"); res.status != http.StatusGone {
		t.Errorf("unknown consent link: got status %d, want 410", res.status)
	}
}
