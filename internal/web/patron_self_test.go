package web_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// grantStates returns the patron's grants by resource id; a resource never
// asked for is absent.
func (w *world) grantStates(id int64) map[int64]sesame.GrantState {
	w.t.Helper()
	views, err := w.store.PatronGrants(context.Background(), store.NetworkScope(), id)
	if err != nil {
		w.t.Fatalf("grants of %d: %v", id, err)
	}
	out := map[int64]sesame.GrantState{}
	for _, v := range views {
		if v.State != "" {
			out[v.Resource.ID] = v.State
		}
	}
	return out
}

// unchanged fails the test when the patron differs from before in anything.
func unchanged(t testing.TB, what string, before, after *sesame.Patron, beforeGrants, afterGrants map[int64]sesame.GrantState) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Errorf("%s changed:\nbefore %+v\nafter  %+v", what, before, after)
	}
	if !reflect.DeepEqual(beforeGrants, afterGrants) {
		t.Errorf("grants of %s changed: before %v, after %v", what, beforeGrants, afterGrants)
	}
}

func ids(list ...int64) []string {
	var out []string
	for _, id := range list {
		out = append(out, strconv.FormatInt(id, 10))
	}
	return out
}

func TestMyInfoPage(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronA)
	account := c.get("/mon-compte")
	for _, href := range []string{"/mon-compte/informations", "/mon-compte/mot-de-passe", "/mon-compte/changer-adresse-ou-bibliotheque"} {
		if find(account.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == href }) == nil {
			t.Errorf("Mon compte has no link to %s", href)
		}
	}
	res := c.get("/mon-compte/informations")
	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", res.status)
	}
	fields := []struct{ name, autocomplete, value string }{
		{"nom", "family-name", "LEFÈVRE"}, {"prenom", "given-name", "Anne"}, {"date_naissance", "bday", "17/05/1980"},
		{"code_postal", "postal-code", "29000"}, {"ville", "address-level2", "Quimper"}, {"numero_inscription", "", "A-0001"},
	}
	for _, f := range fields {
		input := res.byID("f-" + f.name)
		if input == nil {
			t.Errorf("no field %s", f.name)
			continue
		}
		if got := attr(input, "autocomplete"); got != f.autocomplete {
			t.Errorf("%s: autocomplete %q, want %q", f.name, got, f.autocomplete)
		}
		if got := attr(input, "value"); got != f.value {
			t.Errorf("%s: value %q, want %q", f.name, got, f.value)
		}
		if find(res.doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "f-"+f.name && text(n) != "" }) == nil {
			t.Errorf("%s has no visible label", f.name)
		}
	}
	for _, id := range []string{"f-email", "f-bibliotheque", "f-numero_inscription"} {
		n := res.byID(id)
		if n == nil || !hasAttr(n, "readonly") || hasAttr(n, "name") {
			t.Errorf("%s: want a read-only input that the form does not send", id)
		}
	}
	if got := attr(res.byID("f-email"), "value"); got != "anne.lefevre@example.org" {
		t.Errorf("e-mail shown: %q", got)
	}
	if got := attr(res.byID("f-bibliotheque"), "value"); got != "Médiathèque de Fouesnant" {
		t.Errorf("library shown: %q", got)
	}
	if find(res.doc, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == "/mon-compte/changer-adresse-ou-bibliotheque"
	}) == nil {
		t.Errorf("no link to the page on changing e-mail or library")
	}
}

func TestMyInfoSaveAndBadInput(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value string
		msg   string // part of the message next to the field; "" for success
	}{
		{"apostrophe and hyphen", "nom", "N'Guyen-Le Goff", ""},
		{"new town", "ville", "Bénodet", ""},
		{"empty name", "nom", "", "obligatoire"},
		{"empty first name", "prenom", " ", "obligatoire"},
		{"digits in first name", "prenom", "R2D2", "n'est pas admis"},
		{"name too long", "nom", strings.Repeat("a", 101), "100 caractères"},
		{"31 February", "date_naissance", "31/02/1990", "n'existe pas"},
		{"wrong date format", "date_naissance", "12/1990", "jj/mm/aaaa"},
		{"birth date in the future", "date_naissance", "01/01/2030", "futur"},
		{"birth date before 1900", "date_naissance", "31/12/1899", "1900"},
		{"empty birth date", "date_naissance", "", "Indiquez une date"},
		{"postal code of 4 digits", "code_postal", "2900", "5 chiffres"},
		{"postal code with letters", "code_postal", "29A00", "5 chiffres"},
		{"empty town", "ville", "", "obligatoire"},
		{"control character in town", "ville", "Quimper\x07", "contrôle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.patronLogin(w.patronA)
			before := w.patron(w.patronA)
			other, otherGrants := w.patron(w.patronB), w.grantStates(w.patronB)
			form := infoValues(before)
			form.Set(tt.field, tt.value)
			res := c.post("/mon-compte/informations", form)
			after := w.patron(w.patronA)
			unchanged(t, "the other patron", other, w.patron(w.patronB), otherGrants, w.grantStates(w.patronB))
			if tt.msg == "" {
				if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=informations" {
					t.Fatalf("got status %d to %q, want 303 to /mon-compte?ok=informations; body: %.300s", res.status, res.header.Get("Location"), res.body)
				}
				if got := infoValues(after).Get(tt.field); got != tt.value {
					t.Errorf("%s after save: got %q, want %q", tt.field, got, tt.value)
				}
				want := *before
				want.Version, want.UpdatedAt = before.Version+1, after.UpdatedAt
				switch tt.field {
				case "nom":
					want.LastName = tt.value
				case "ville":
					want.Town = tt.value
				}
				unchanged(t, "the patron beyond the field", &want, after, nil, nil)
				if after.Version != before.Version+1 {
					t.Errorf("version: got %d, want %d", after.Version, before.Version+1)
				}
				history := text(w.login("fouesnant").get("/abonnes/" + itoa(w.patronA)).doc)
				for _, want := range []string{"l'usager (anne.lefevre@example.org)", "Modifié par l'usager depuis « Mon compte »", strings.Join(strings.Fields("« "+tt.value+" »"), " ")} {
					if !strings.Contains(history, want) {
						t.Errorf("the record's history lacks %q: %s", want, history)
					}
				}
				return
			}
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422; body: %.300s", res.status, res.body)
			}
			if got := res.fieldError(tt.field); !strings.Contains(got, tt.msg) {
				t.Errorf("message next to %s: got %q, want it to contain %q", tt.field, got, tt.msg)
			}
			if got := res.value(tt.field); got != tt.value {
				t.Errorf("typed value of %s: got %q, want %q kept", tt.field, got, tt.value)
			}
			if n := res.byID("f-" + tt.field); n == nil || attr(n, "aria-invalid") != "true" {
				t.Errorf("the field is not marked invalid")
			}
			if !strings.HasPrefix(text(find(res.doc, func(n *html.Node) bool { return n.Data == "title" })), "Erreur") {
				t.Errorf("the title does not announce the error")
			}
			unchanged(t, "the refused patron", before, after, nil, nil)
		})
	}
}

func TestMyInfoNothingChanged(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronA)
	before := w.patron(w.patronA)
	res := c.post("/mon-compte/informations", infoValues(before))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=inchange" {
		t.Fatalf("got status %d to %q, want 303 to /mon-compte?ok=inchange", res.status, res.header.Get("Location"))
	}
	unchanged(t, "the patron", before, w.patron(w.patronA), nil, nil)
}

// TestMyInfoIgnoresOtherFields: whatever fields a patron adds to the form,
// only their own details change.
func TestMyInfoIgnoresOtherFields(t *testing.T) {
	w := newWorld(t)
	// A patron of A whose record has everything a form might try to reach.
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "MOAL", FirstName: "Katell", Email: "katell.moal@example.org",
		Status: sesame.StatusRefused, RefusalReason: "Abonnement non réglé", RegisteredOn: sesame.MustDate(2025, 1, 2)}, sesame.GrantRefused)
	c := w.patronLogin(id)
	before := w.patron(id)
	other, otherGrants := w.patron(w.patronB), w.grantStates(w.patronB)
	form := infoValues(before)
	form.Set("ville", "Bénodet")
	for k, v := range map[string]string{
		"email": "pirate@example.org", "bibliotheque": itoa(w.libB), "library_id": itoa(w.libB),
		"statut": string(sesame.StatusValidated), "status": string(sesame.StatusValidated),
		"date_bibliotheque": "01/11/2026", "fin_validite": "01/11/2030", "valid_until": "2030-11-01",
		"motif": "", "date_inscription": "01/01/2000", "id": itoa(w.patronB), "patron_id": itoa(w.patronB),
		"ressource": itoa(w.res[0]), "etat": string(sesame.GrantValidated), "mot_de_passe": "un autre mot de passe",
	} {
		form.Set(k, v)
	}
	res := c.post("/mon-compte/informations", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("got status %d, want 303; body: %.300s", res.status, res.body)
	}
	after := w.patron(id)
	want := *before
	want.Town, want.Version, want.UpdatedAt = "Bénodet", before.Version+1, after.UpdatedAt
	unchanged(t, "the patron beyond the town", &want, after, map[int64]sesame.GrantState{w.res[0]: sesame.GrantRefused}, w.grantStates(id))
	unchanged(t, "the other patron", other, w.patron(w.patronB), otherGrants, w.grantStates(w.patronB))
	if got := w.anonymous().post("/connexion/usager", url.Values{"email": {"katell.moal@example.org"}, "mot_de_passe_usager": {testPassword}}); got.status != http.StatusSeeOther {
		t.Errorf("the password changed through the details form: login with the old one got %d", got.status)
	}
}

func TestMyInfoVersionConflict(t *testing.T) {
	tests := []struct {
		name    string
		version func(read *sesame.Patron) string
	}{
		{"the library saved meanwhile", func(read *sesame.Patron) string { return strconv.Itoa(read.Version) }},
		{"no version sent", func(*sesame.Patron) string { return "" }},
		{"a version from nowhere", func(*sesame.Patron) string { return "abc" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.patronLogin(w.patronA)
			read := w.patron(w.patronA)
			page := c.get("/mon-compte/informations")
			if got := attr(find(page.doc, func(n *html.Node) bool { return attr(n, "name") == "version" }), "value"); got != strconv.Itoa(read.Version) {
				t.Fatalf("version in the form: got %q, want %d", got, read.Version)
			}
			staff := infoValues(read)
			staff.Set("ville", "Concarneau")
			if res := w.login("fouesnant").post("/abonnes/"+itoa(w.patronA), staff); res.status != http.StatusSeeOther {
				t.Fatalf("staff save: got status %d, want 303", res.status)
			}
			saved := w.patron(w.patronA)
			mine := infoValues(read)
			mine.Set("ville", "Bénodet")
			mine.Set("version", tt.version(read))
			res := c.post("/mon-compte/informations", mine)
			if res.status != http.StatusConflict {
				t.Fatalf("got status %d, want 409; body: %.300s", res.status, res.body)
			}
			if !strings.Contains(res.body, "modifiée entre-temps") || !strings.Contains(res.body, "« Bénodet »") {
				t.Errorf("the page does not say the record changed, or lost what was typed")
			}
			if got := res.value("ville"); got != "Concarneau" {
				t.Errorf("form shows %q, want the current value Concarneau", got)
			}
			unchanged(t, "the record saved by the library", saved, w.patron(w.patronA), nil, nil)
			// The page carries the current version: saving again now works.
			mine.Set("version", attr(find(res.doc, func(n *html.Node) bool { return attr(n, "name") == "version" }), "value"))
			if again := c.post("/mon-compte/informations", mine); again.status != http.StatusSeeOther || w.patron(w.patronA).Town != "Bénodet" {
				t.Errorf("saving again from the refreshed form: got status %d, town %q", again.status, w.patron(w.patronA).Town)
			}
		})
	}
}

func TestMyAddressHelpNamesTheLibrary(t *testing.T) {
	w := newWorld(t)
	res := w.patronLogin(w.patronA).get("/mon-compte/changer-adresse-ou-bibliotheque")
	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", res.status)
	}
	body := text(res.byID("contenu"))
	for _, want := range []string{"Médiathèque de Fouesnant", "à Fouesnant", "a@example.org", "anne.lefevre@example.org", "vérifie", "Pourquoi"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q: %s", want, body)
		}
	}
	if find(res.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "mailto:a@example.org" }) == nil {
		t.Errorf("no mailto link to the library")
	}
	if strings.Contains(body, "b@example.org") || strings.Contains(body, "Quimper") {
		t.Errorf("the page names another library")
	}
}

// The patron's page on changing e-mail or library and the librarian's
// record say who changes them in the same words, the domain's; the
// network admin, who changes them, is not told to ask someone.
func TestWhoChangesEmailAndLibrarySaidOnce(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		get   func() response
		shown bool
	}{
		{"patron's page", func() response { return w.patronLogin(w.patronA).get("/mon-compte/changer-adresse-ou-bibliotheque") }, true},
		{"librarian's record", func() response { return w.login("fouesnant").get("/abonnes/" + itoa(w.patronA)) }, true},
		{"network admin's record", func() response { return w.login("admin").get("/abonnes/" + itoa(w.patronA)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.get()
			if res.status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.status)
			}
			if got := strings.Contains(res.text("qui-change-email"), sesame.EmailAndLibraryNotice); got != tt.shown {
				t.Errorf("shows « %s »: got %v, want %v (%q)", sesame.EmailAndLibraryNotice, got, tt.shown, res.text("qui-change-email"))
			}
		})
	}
}

func TestMyResourcesStates(t *testing.T) {
	tests := []struct {
		name   string
		status sesame.Status
		grant  sesame.GrantState
		want   string
		access bool
	}{
		{"pending", sesame.StatusToValidate, sesame.GrantPending, "En attente — Votre bibliothèque doit valider cette demande.", false},
		{"validated, account valid", sesame.StatusValidated, sesame.GrantValidated, "Validée — Vous pouvez y accéder.", true},
		{"validated, account waiting", sesame.StatusToValidate, sesame.GrantValidated, "Validée — Vous y accéderez dès que votre bibliothèque aura validé votre compte.", false},
		{"validated, account expired", sesame.StatusExpired, sesame.GrantValidated, "Validée — Vous y accéderez de nouveau quand votre bibliothèque aura renouvelé votre compte.", false},
		{"refused", sesame.StatusValidated, sesame.GrantRefused, "Refusée — Votre bibliothèque a refusé cette ressource.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p := sesame.Patron{LibraryID: w.libA, LastName: "MOAL", FirstName: "Katell", Email: "katell.moal@example.org", Status: tt.status}
			if tt.status == sesame.StatusValidated || tt.status == sesame.StatusExpired {
				p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2026, 6, 1), sesame.MustDate(2027, 6, 1)
			}
			if tt.status == sesame.StatusExpired {
				p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2025, 6, 1), sesame.MustDate(2026, 6, 1)
			}
			c := w.patronLogin(w.addPatron(p, tt.grant))
			res := c.get("/mon-compte")
			card := find(res.doc, func(n *html.Node) bool { return n.Data == "li" && attr(n, "class") == "card" })
			if card == nil {
				t.Fatalf("no resource card on Mon compte")
			}
			if got := text(card); !strings.Contains(got, "Livres numériques "+tt.want) {
				t.Errorf("card: got %q, want %q", got, tt.want)
			}
			hasAccess := find(card, func(n *html.Node) bool {
				return (n.Data == "a" || n.Data == "button") && strings.HasPrefix(text(n), "Accéder")
			}) != nil
			if hasAccess != tt.access {
				t.Errorf("Accéder shown: %v, want %v", hasAccess, tt.access)
			}
		})
	}
}

// TestMyResourcesRequest: who may ask for more resources, and what the
// library then sees.
func TestMyResourcesRequest(t *testing.T) {
	tests := []struct {
		name     string
		status   sesame.Status
		until    sesame.Date
		allowed  bool
		wantText string // on Mon compte when not allowed
	}{
		{"À valider", sesame.StatusToValidate, sesame.Date{}, true, ""},
		{"Validé", sesame.StatusValidated, sesame.MustDate(2027, 6, 1), true, ""},
		{"À revalider", sesame.StatusToRevalidate, sesame.MustDate(2026, 6, 1), true, ""},
		{"Expiré", sesame.StatusExpired, sesame.MustDate(2026, 6, 1), false, "demandez d'abord le renouvellement"},
		{"Refusé", sesame.StatusRefused, sesame.Date{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p := sesame.Patron{LibraryID: w.libA, LastName: "MOAL", FirstName: "Katell", Email: "katell.moal@example.org", Status: tt.status, ValidUntil: tt.until}
			if !tt.until.IsZero() {
				p.LibraryRegisteredOn = tt.until.AddMonths(-12)
			}
			id := w.addPatron(p, sesame.GrantValidated)
			c := w.patronLogin(id)
			account := c.get("/mon-compte")
			legend := find(account.doc, func(n *html.Node) bool { return n.Data == "legend" && text(n) == "Ressources que vous pouvez demander" })
			other, otherGrants := w.patron(w.patronA), w.grantStates(w.patronA)
			before := w.patron(id)
			mailsBefore := len(w.mailsTo("a@example.org"))
			res := c.post("/mon-compte/ressources", url.Values{"ressource": ids(w.res[1], w.res[2])})
			mails := w.mailsTo("a@example.org")
			unchanged(t, "the other patron", other, w.patron(w.patronA), otherGrants, w.grantStates(w.patronA))
			if !tt.allowed {
				if legend != nil {
					t.Errorf("the request form is offered")
				}
				if !strings.Contains(text(account.doc), tt.wantText) {
					t.Errorf("Mon compte lacks %q", tt.wantText)
				}
				if res.status != http.StatusForbidden || res.text("f-ressource") == "" {
					t.Errorf("request: got status %d, message %q; want 403 with a message", res.status, res.text("f-ressource"))
				}
				unchanged(t, "the patron", before, w.patron(id), map[int64]sesame.GrantState{w.res[0]: sesame.GrantValidated}, w.grantStates(id))
				if len(mails) != mailsBefore {
					t.Errorf("a refused request mailed the library")
				}
				return
			}
			if legend == nil {
				t.Fatalf("no fieldset with the legend « Ressources que vous pouvez demander »")
			}
			fieldset := legend.Parent
			var offered []string
			walk(fieldset, func(n *html.Node) {
				if n.Data == "input" && attr(n, "type") == "checkbox" {
					offered = append(offered, attr(n, "value"))
					if find(fieldset, func(l *html.Node) bool { return l.Data == "label" && attr(l, "for") == attr(n, "id") }) == nil {
						t.Errorf("checkbox %s has no label", attr(n, "value"))
					}
				}
			})
			if want := ids(w.res[1], w.res[2]); !reflect.DeepEqual(offered, want) {
				t.Errorf("offered: got %v, want %v (not the validated one)", offered, want)
			}
			if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=ressourcesdemandees" {
				t.Fatalf("request: got status %d to %q, want 303 to /mon-compte?ok=ressourcesdemandees; body %.300s", res.status, res.header.Get("Location"), res.body)
			}
			want := map[int64]sesame.GrantState{w.res[0]: sesame.GrantValidated, w.res[1]: sesame.GrantPending, w.res[2]: sesame.GrantPending}
			if got := w.grantStates(id); !reflect.DeepEqual(got, want) {
				t.Errorf("grants: got %v, want %v", got, want)
			}
			if len(mails) != mailsBefore+1 {
				t.Fatalf("mails to the library: got %d, want %d", len(mails), mailsBefore+1)
			}
			if m := mails[0]; !strings.Contains(m.Subject, "Demande de ressources") || !strings.Contains(m.Text, "MOAL Katell") ||
				!strings.Contains(m.Text, "PressReader") || !strings.Contains(m.Text, "Tout apprendre") || strings.Contains(m.Text, "Livres numériques") {
				t.Errorf("the library's mail does not name the patron and exactly the resources asked for: %s\n%s", m.Subject, m.Text)
			}
			after := w.patron(id)
			if after.Status != before.Status || after.Version != before.Version+1 {
				t.Errorf("status %s, version %d; want %s and %d", after.Status, after.Version, before.Status, before.Version+1)
			}
			if page := c.get("/mon-compte"); strings.Count(text(page.doc), "En attente — Votre bibliothèque doit valider cette demande.") != 2 {
				t.Errorf("Mon compte does not show both resources en attente: %s", text(page.doc))
			}
			// The library sees them on the record's Ressources tab, with the request in the history.
			staff := w.login("fouesnant").get("/abonnes/" + itoa(id) + "/ressources")
			rows := map[string]string{}
			for _, tr := range staff.all("tr") {
				var cells []string
				for td := tr.FirstChild; td != nil; td = td.NextSibling {
					if td.Data == "td" {
						cells = append(cells, text(td))
					}
				}
				if len(cells) >= 2 {
					rows[cells[0]] = cells[1]
				}
			}
			for name, state := range map[string]string{"Livres numériques": "Validé", "PressReader": "En attente", "Tout apprendre": "En attente"} {
				if rows[name] != state {
					t.Errorf("Ressources tab: %s is %q, want %q", name, rows[name], state)
				}
			}
			if history := text(staff.byID("historique").Parent); !strings.Contains(history, "l'usager (katell.moal@example.org)") ||
				!strings.Contains(history, "Ressources demandées par l'usager, passées à « En attente » : PressReader, Tout apprendre.") {
				t.Errorf("history lacks the request: %s", history)
			}
		})
	}
}

func TestMyResourcesRequestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		sent   func(w *world) []string
		status int
		msg    string
	}{
		{"nothing ticked", func(*world) []string { return nil }, http.StatusUnprocessableEntity, "Cochez au moins une ressource"},
		{"not a number", func(*world) []string { return []string{"abc"} }, http.StatusUnprocessableEntity, "n'est pas proposée"},
		{"negative id", func(*world) []string { return []string{"-3"} }, http.StatusUnprocessableEntity, "n'est pas proposée"},
		{"unknown resource", func(*world) []string { return []string{"99999"} }, http.StatusUnprocessableEntity, "n'est pas proposée"},
		{"a good one with an unknown one", func(w *world) []string { return append(ids(w.res[1]), "99999") }, http.StatusUnprocessableEntity, "n'est pas proposée"},
		{"disabled resource", func(w *world) []string {
			r, err := w.store.Resource(context.Background(), w.res[2])
			if err != nil {
				w.t.Fatal(err)
			}
			r.Disabled = true
			if err := w.store.UpdateResource(context.Background(), *r, sesame.Actor{Label: "test"}); err != nil {
				w.t.Fatal(err)
			}
			return ids(w.res[2])
		}, http.StatusUnprocessableEntity, "n'est pas proposée"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.patronLogin(w.patronA)
			sent := tt.sent(w)
			before, grants := w.patron(w.patronA), w.grantStates(w.patronA)
			res := c.post("/mon-compte/ressources", url.Values{"ressource": sent})
			if res.status != tt.status {
				t.Fatalf("got status %d, want %d; body: %.300s", res.status, tt.status, res.body)
			}
			if got := res.fieldError("ressource"); !strings.Contains(got, tt.msg) {
				t.Errorf("message: got %q, want it to contain %q", got, tt.msg)
			}
			if n := res.byID("f-ressource"); n == nil || attr(n, "type") != "checkbox" {
				t.Errorf("the error summary's link has no checkbox to land on")
			}
			for _, v := range sent {
				if n := find(res.doc, func(n *html.Node) bool { return attr(n, "name") == "ressource" && attr(n, "value") == v }); n != nil && !hasAttr(n, "checked") {
					t.Errorf("ticked box %s not kept", v)
				}
			}
			unchanged(t, "the patron", before, w.patron(w.patronA), grants, w.grantStates(w.patronA))
		})
	}
}

// TestMyResourcesRequestNeverTakesBack: a request naming a resource already
// validated or pending leaves it as it is; a refused one may be asked again.
func TestMyResourcesRequestNeverTakesBack(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	lib := sesame.Actor{Label: "test"}
	if _, err := w.store.SetGrants(ctx, store.NetworkScope(), w.patronB, ids64(w.res[1]), sesame.GrantPending, lib); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.SetGrants(ctx, store.NetworkScope(), w.patronB, ids64(w.res[2]), sesame.GrantRefused, lib); err != nil {
		t.Fatal(err)
	}
	c := w.patronLogin(w.patronB)
	before := w.patron(w.patronB)
	res := c.post("/mon-compte/ressources", url.Values{"ressource": ids(w.res[0], w.res[1])})
	if n := len(w.mailsTo("b@example.org")); n != 0 {
		t.Errorf("a request that changed nothing mailed the library %d times", n)
	}
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=dejademandees" {
		t.Errorf("validated and pending asked again: got status %d to %q, want 303 to /mon-compte?ok=dejademandees", res.status, res.header.Get("Location"))
	}
	unchanged(t, "the patron", before, w.patron(w.patronB),
		map[int64]sesame.GrantState{w.res[0]: sesame.GrantValidated, w.res[1]: sesame.GrantPending, w.res[2]: sesame.GrantRefused}, w.grantStates(w.patronB))
	label := find(c.get("/mon-compte").doc, func(n *html.Node) bool { return n.Data == "label" && strings.HasPrefix(text(n), "Tout apprendre") })
	if label == nil || !strings.Contains(text(label), "refusée précédemment") {
		t.Fatalf("the refused resource is not offered again, saying so")
	}
	res = c.post("/mon-compte/ressources", url.Values{"ressource": ids(w.res[0], w.res[2])})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=ressourcesdemandees" {
		t.Fatalf("refused asked again: got status %d to %q", res.status, res.header.Get("Location"))
	}
	want := map[int64]sesame.GrantState{w.res[0]: sesame.GrantValidated, w.res[1]: sesame.GrantPending, w.res[2]: sesame.GrantPending}
	if got := w.grantStates(w.patronB); !reflect.DeepEqual(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
}

func ids64(list ...int64) []int64 { return list }

// TestMyResourcesRequestPastEndDate: a Validé account whose end date has
// passed since login asks for renewal, not for resources.
func TestMyResourcesRequestPastEndDate(t *testing.T) {
	w := newWorld(t)
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "MOAL", FirstName: "Katell", Email: "katell.moal@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2025, 11, 26), ValidUntil: sesame.MustDate(2026, 11, 26)}, sesame.GrantValidated)
	w.clock.Advance(13 * time.Hour) // 23:00 in Paris on the end date: still valid at login
	c := w.patronLogin(id)
	for i := 0; i < 6; i++ { // past midnight, the session kept alive
		w.clock.Advance(20 * time.Minute)
		if res := c.get("/mon-compte"); res.status != http.StatusOK {
			t.Fatalf("Mon compte at %s: got status %d", w.clock.Now().In(w.paris).Format("15:04"), res.status)
		}
	}
	if res := c.get("/mon-compte"); find(res.doc, func(n *html.Node) bool { return n.Data == "legend" }) != nil {
		t.Errorf("the request form is offered to an account past its end date")
	}
	res := c.post("/mon-compte/ressources", url.Values{"ressource": ids(w.res[1])})
	if res.status != http.StatusForbidden || !strings.Contains(res.text("f-ressource"), "expiré") {
		t.Errorf("request past the end date: got status %d, message %q; want 403 saying the account expired", res.status, res.text("f-ressource"))
	}
	if got := w.grantStates(id); len(got) != 1 {
		t.Errorf("grants: got %v, want only the validated one", got)
	}
}

func TestMyPasswordChangeRefusesBadInput(t *testing.T) {
	const fresh = "une nouvelle phrase bien à moi"
	tests := []struct {
		name                 string
		current, pw, confirm string
		field, msg           string
	}{
		{"no current password", "", fresh, fresh, "mot_de_passe_actuel", "obligatoire"},
		{"wrong current password", "ce n'est pas le mien", fresh, fresh, "mot_de_passe_actuel", "ne correspond pas"},
		{"too short", testPassword, "court", "court", "nouveau_mot_de_passe", "12 caractères au minimum"},
		{"empty", testPassword, "", "", "nouveau_mot_de_passe", "12 caractères au minimum"},
		{"common", testPassword, "azertyazerty", "azertyazerty", "nouveau_mot_de_passe", "plus courants"},
		{"the e-mail itself", testPassword, "anne.lefevre@example.org", "anne.lefevre@example.org", "nouveau_mot_de_passe", "adresse e-mail"},
		{"confirmation differs", testPassword, fresh, fresh + " !", "confirmation", "différentes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.patronLogin(w.patronA)
			res := c.post("/mon-compte/mot-de-passe", url.Values{"mot_de_passe_actuel": {tt.current}, "nouveau_mot_de_passe": {tt.pw}, "confirmation": {tt.confirm}})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422; body: %.300s", res.status, res.body)
			}
			if got := res.fieldError(tt.field); !strings.Contains(got, tt.msg) {
				t.Errorf("message next to %s: got %q, want it to contain %q", tt.field, got, tt.msg)
			}
			for _, f := range []string{"mot_de_passe_actuel", "nouveau_mot_de_passe", "confirmation"} {
				if res.value(f) != "" {
					t.Errorf("%s comes back filled", f)
				}
			}
			for _, typed := range []string{tt.current, tt.confirm} {
				if len(typed) >= 12 && strings.Contains(res.body, typed) {
					t.Errorf("what was typed comes back in the page")
				}
			}
			if got := w.anonymous().post("/connexion/usager", url.Values{"email": {"anne.lefevre@example.org"}, "mot_de_passe_usager": {testPassword}}); got.status != http.StatusSeeOther {
				t.Errorf("the password changed: login with the old one got %d", got.status)
			}
		})
	}
}

func TestMyPasswordChangeIsThrottled(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronA)
	wrong := url.Values{"mot_de_passe_actuel": {"ce n'est pas le mien"}, "nouveau_mot_de_passe": {"une nouvelle phrase bien à moi"}, "confirmation": {"une nouvelle phrase bien à moi"}}
	for i := 0; i < auth.FreeFailures; i++ {
		if res := c.post("/mon-compte/mot-de-passe", wrong); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: got status %d, want 422", i+1, res.status)
		}
	}
	right := url.Values{"mot_de_passe_actuel": {testPassword}, "nouveau_mot_de_passe": wrong["nouveau_mot_de_passe"], "confirmation": wrong["confirmation"]}
	if res := c.post("/mon-compte/mot-de-passe", right); res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "Trop de tentatives") {
		t.Errorf("after %d failures, the right password: got status %d, want 429", auth.FreeFailures, res.status)
	}
}

func TestMyPasswordChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const fresh = "une nouvelle phrase bien à moi"
	here := w.patronLogin(w.patronA)
	elsewhere := w.anonymous()
	if res := elsewhere.post("/connexion/usager", url.Values{"email": {"anne.lefevre@example.org"}, "mot_de_passe_usager": {testPassword}}); res.status != http.StatusSeeOther {
		t.Fatalf("second login: got status %d", res.status)
	}
	otherPatron := w.patronLogin(w.patronB)
	// A reset link asked for earlier, still unused.
	token := "jeton-de-test-pour-un-lien-de-reinitialisat" // the form of auth.NewToken's
	if err := w.store.Update(ctx, func(tx *store.Tx) error {
		return tx.CreatePasswordReset(ctx, auth.HashToken(token), w.patronA, w.clock.Now().Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	if got := w.anonymous().get("/mot-de-passe/" + token); got.status != http.StatusOK {
		t.Fatalf("the reset link before the change: got status %d, want 200", got.status)
	}
	form := here.get("/mon-compte/mot-de-passe")
	for _, f := range []struct{ id, autocomplete string }{
		{"f-mot_de_passe_actuel", "current-password"}, {"f-nouveau_mot_de_passe", "new-password"}, {"f-confirmation", "new-password"},
	} {
		if n := form.byID(f.id); n == nil || attr(n, "type") != "password" || attr(n, "autocomplete") != f.autocomplete {
			t.Errorf("%s: want a password field with autocomplete %s", f.id, f.autocomplete)
		}
	}
	res := here.post("/mon-compte/mot-de-passe", url.Values{"mot_de_passe_actuel": {testPassword}, "nouveau_mot_de_passe": {fresh}, "confirmation": {fresh}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=motdepassechange" {
		t.Fatalf("got status %d to %q, want 303 to /mon-compte?ok=motdepassechange; body: %.300s", res.status, res.header.Get("Location"), res.body)
	}
	if got := here.get("/mon-compte"); got.status != http.StatusOK {
		t.Errorf("the session that changed the password: got status %d, want 200", got.status)
	}
	mails, err := w.store.RecentMail(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	told := false
	for _, m := range mails {
		if m.To == "anne.lefevre@example.org" && m.Subject == "Votre mot de passe a été changé" && strings.Contains(m.Text, "/mot-de-passe-oublie") {
			told = true
		}
	}
	if !told {
		t.Error("the patron got no mail saying their password changed, with the way to take the account back")
	}
	if got := elsewhere.get("/mon-compte"); got.status != http.StatusSeeOther {
		t.Errorf("the patron's other session: got status %d, want 303 to the login page", got.status)
	}
	if got := otherPatron.get("/mon-compte"); got.status != http.StatusOK {
		t.Errorf("another patron's session: got status %d, want 200", got.status)
	}
	if got := w.anonymous().get("/mot-de-passe/" + token); got.status != http.StatusGone {
		t.Errorf("the reset link asked for before: got status %d, want 410", got.status)
	}
	login := func(email, pw string) int {
		return w.anonymous().post("/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {pw}}).status
	}
	if got := login("anne.lefevre@example.org", testPassword); got != http.StatusUnauthorized {
		t.Errorf("old password: got status %d, want 401", got)
	}
	if got := login("anne.lefevre@example.org", fresh); got != http.StatusSeeOther {
		t.Errorf("new password: got status %d, want 303", got)
	}
	if got := login("yann.kerjean@example.org", testPassword); got != http.StatusSeeOther {
		t.Errorf("the other patron's password: got status %d, want 303", got)
	}
	history := text(w.login("fouesnant").get("/abonnes/" + itoa(w.patronA) + "/statut").doc)
	if !strings.Contains(history, "Mot de passe changé par l'usager depuis « Mon compte »") {
		t.Errorf("history lacks the change: %s", history)
	}
}
