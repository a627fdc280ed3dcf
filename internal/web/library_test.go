package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

func infoValues(p *sesame.Patron) url.Values {
	return url.Values{
		"version": {strconv.Itoa(p.Version)}, "nom": {p.LastName}, "prenom": {p.FirstName},
		"date_naissance": {p.BirthDate.String()}, "code_postal": {p.PostalCode}, "ville": {p.Town},
		"numero_inscription": {p.CardNumber},
	}
}

func TestPatronListShowsOnlyOwnLibrary(t *testing.T) {
	w := newWorld(t)
	res := w.login("fouesnant").get("/abonnes")
	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", res.status)
	}
	if !strings.Contains(res.body, "LEFÈVRE") {
		t.Errorf("own patron LEFÈVRE missing from the list")
	}
	if strings.Contains(res.body, "KERJEAN") {
		t.Errorf("patron KERJEAN of another library leaked into the list")
	}
	if got := text(find(res.doc, func(n *html.Node) bool { return attr(n, "class") == "total" })); got != "1 abonné" {
		t.Errorf("total: got %q, want %q", got, "1 abonné")
	}
}

func TestPatronListSearchFilterSortAndPages(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 24; i++ {
		w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: fmt.Sprintf("LE GOFF-%02d", i), FirstName: "Maëlle",
			Email: fmt.Sprintf("maelle%d@example.org", i), Status: sesame.StatusValidated,
			LibraryRegisteredOn: sesame.MustDate(2026, 1, 10), ValidUntil: sesame.MustDate(2027, 1, 10)}, sesame.GrantValidated)
	}
	c := w.login("fouesnant")
	tests := []struct {
		name      string
		query     string
		total     string
		firstName string // the first Nom link of the page
		rows      int
	}{
		{"default sort by name, 10 a page", "", "25 abonnés", "LE GOFF-00 Maëlle", 10},
		{"accents and case ignored", "?q=lefevre", "1 abonné", "LEFÈVRE Anne", 1},
		{"search by e-mail", "?q=MAELLE3%40", "1 abonné", "LE GOFF-03 Maëlle", 1},
		{"search by card number", "?q=a-0001", "1 abonné", "LEFÈVRE Anne", 1},
		{"status filter", "?statut=a_valider", "1 abonné", "LEFÈVRE Anne", 1},
		{"status filter validated", "?statut=valide&par_page=25", "24 abonnés", "LE GOFF-00 Maëlle", 24},
		{"descending", "?tri=nom&ordre=desc", "25 abonnés", "LEFÈVRE Anne", 10},
		{"page 3", "?page=3", "25 abonnés", "LE GOFF-20 Maëlle", 5},
		{"page size 25", "?par_page=25", "25 abonnés", "LE GOFF-00 Maëlle", 25},
		{"unknown page size falls back to 10", "?par_page=7", "25 abonnés", "LE GOFF-00 Maëlle", 10},
		{"wildcards are literal", "?q=%25", "0 abonné", "", 0},
		{"unknown status ignored", "?statut=nimportequoi", "25 abonnés", "LE GOFF-00 Maëlle", 10},
		{"page far away shows the last page", "?page=999999", "25 abonnés", "LE GOFF-20 Maëlle", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.get("/abonnes" + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.status)
			}
			total := text(find(res.doc, func(n *html.Node) bool { return attr(n, "class") == "total" }))
			if !strings.HasPrefix(total, tt.total) {
				t.Errorf("total: got %q, want %q", total, tt.total)
			}
			var names []string
			for _, a := range res.all("a") {
				if href := attr(a, "href"); strings.HasPrefix(href, "/abonnes/") && !strings.Contains(href, "a-traiter") && !strings.Contains(href, "/export.") && href != "/abonnes/import" {
					names = append(names, text(a))
				}
			}
			if len(names) != tt.rows {
				t.Fatalf("rows: got %d, want %d", len(names), tt.rows)
			}
			if tt.rows > 0 && names[0] != tt.firstName {
				t.Errorf("first row: got %q, want %q", names[0], tt.firstName)
			}
		})
	}
}

func TestPatronListShowsEndDateAndResources(t *testing.T) {
	w := newWorld(t)
	res := w.login("quimper").get("/abonnes")
	if !strings.Contains(res.body, "Date de fin de validité : 01/06/2027") {
		t.Errorf("end date under the status missing")
	}
	if !strings.Contains(res.body, "Livres numériques") {
		t.Errorf("validated resource missing from the list")
	}
	if strings.Contains(res.body, "En attente :") {
		t.Errorf("a pending request shown before any")
	}
	// The Validé patron asks for one more resource: the library sees it in its list.
	if r := w.patronLogin(w.patronB).post("/mon-compte/ressources", url.Values{"ressource": {itoa(w.res[1])}}); r.status != http.StatusSeeOther {
		t.Fatalf("request: %d", r.status)
	}
	if res := w.login("quimper").get("/abonnes"); !strings.Contains(res.body, "En attente : PressReader") {
		t.Errorf("the pending request is not shown in the list")
	}
}

func TestTodoViewAndMenuCount(t *testing.T) {
	w := newWorld(t)
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "TANGUY", FirstName: "Erwan", Email: "erwan@example.org", Status: sesame.StatusToRevalidate}, sesame.GrantValidated)
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "MORVAN", FirstName: "Soizic", Email: "soizic@example.org", Status: sesame.StatusRefused}, sesame.GrantPending)
	res := w.login("fouesnant").get("/abonnes/a-traiter")
	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", res.status)
	}
	if !strings.Contains(res.body, "LEFÈVRE") || !strings.Contains(res.body, "TANGUY") || strings.Contains(res.body, "MORVAN") {
		t.Errorf("to-do view: want LEFÈVRE and TANGUY only")
	}
	badge := find(res.doc, func(n *html.Node) bool { return attr(n, "class") == "badge" })
	if got := text(badge); got != ": 2 comptes" { // « À traiter : 2 comptes » to a screen reader, « À traiter 2 » on screen
		t.Errorf("menu count: got %q, want « : 2 comptes »", got)
	}
}

func TestRecordTabs(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	id := w.patronA
	res := c.get(fmt.Sprintf("/abonnes/%d", id))
	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", res.status)
	}
	for _, tab := range []string{"Informations", "Statut", "Ressources"} {
		if find(res.doc, func(n *html.Node) bool { return n.Data == "a" && text(n) == tab }) == nil {
			t.Errorf("tab %q missing", tab)
		}
	}
	email := res.byID("f-email")
	if email == nil || !hasAttr(email, "readonly") {
		t.Errorf("E-mail must be shown greyed (read-only) to library staff")
	}
	if lib := res.byID("f-bibliotheque"); lib == nil || !hasAttr(lib, "readonly") || attr(lib, "value") != "FOUESNANT" {
		t.Errorf("Bibliothèque must be shown greyed with the library code")
	}
	if got := attr(res.byID("f-date-inscription"), "value"); got != "17/12/2021" {
		t.Errorf("Date inscription: got %q, want 17/12/2021", got)
	}
	if !strings.Contains(res.body, "Historique de la fiche") {
		t.Errorf("history missing")
	}
}

func TestInformationsSaveAndBadInput(t *testing.T) {
	tests := []struct {
		name   string
		field  string
		value  string
		status int
		msg    string // part of the message next to the field; "" for success
	}{
		{"apostrophe accepted", "nom", "N'GUYEN", http.StatusSeeOther, ""},
		{"hyphen and space accepted", "nom", "Le Goff-Kerjean", http.StatusSeeOther, ""},
		{"accents accepted", "prenom", "Maëlle-Hélène", http.StatusSeeOther, ""},
		{"31 February", "date_naissance", "31/02/1990", http.StatusUnprocessableEntity, "n'existe pas"},
		{"wrong date format", "date_naissance", "12/1990", http.StatusUnprocessableEntity, "jj/mm/aaaa"},
		{"birth date in the future", "date_naissance", "01/01/2030", http.StatusUnprocessableEntity, "futur"},
		{"postal code of 4 digits", "code_postal", "2900", http.StatusUnprocessableEntity, "5 chiffres"},
		{"postal code with letters", "code_postal", "29A00", http.StatusUnprocessableEntity, "5 chiffres"},
		{"empty name", "nom", "", http.StatusUnprocessableEntity, "obligatoire"},
		{"empty town", "ville", "  ", http.StatusUnprocessableEntity, "obligatoire"},
		{"name too long", "nom", strings.Repeat("a", 101), http.StatusUnprocessableEntity, "100 caractères"},
		{"control character", "ville", "Quimper\x07", http.StatusUnprocessableEntity, "contrôle"},
		{"digits in name", "prenom", "R2D2", http.StatusUnprocessableEntity, "n'est pas admis"},
		{"card number too long", "numero_inscription", strings.Repeat("9", 51), http.StatusUnprocessableEntity, "50 caractères"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			before := w.patron(w.patronA)
			form := infoValues(before)
			form.Set(tt.field, tt.value)
			res := w.login("fouesnant").post(fmt.Sprintf("/abonnes/%d", w.patronA), form)
			if res.status != tt.status {
				t.Fatalf("got status %d, want %d; body: %.300s", res.status, tt.status, res.body)
			}
			after := w.patron(w.patronA)
			if tt.msg == "" {
				if after.Version != before.Version+1 {
					t.Errorf("version: got %d, want %d", after.Version, before.Version+1)
				}
				return
			}
			if got := res.fieldError(tt.field); !strings.Contains(got, tt.msg) {
				t.Errorf("message next to %s: got %q, want it to contain %q", tt.field, got, tt.msg)
			}
			if got := res.value(tt.field); got != tt.value {
				t.Errorf("typed value of %s: got %q, want %q kept", tt.field, got, tt.value)
			}
			if after.Version != before.Version || after.LastName != before.LastName {
				t.Errorf("refused input changed the record")
			}
		})
	}
}

func TestLibraryStaffCannotChangeEmailOrLibrary(t *testing.T) {
	w := newWorld(t)
	p := w.patron(w.patronA)
	form := infoValues(p)
	form.Set("email", "pirate@example.org")
	form.Set("bibliotheque", strconv.FormatInt(w.libB, 10))
	form.Set("statut", "valide")
	res := w.login("fouesnant").post(fmt.Sprintf("/abonnes/%d", w.patronA), form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("got status %d, want 303", res.status)
	}
	after := w.patron(w.patronA)
	if after.Email != p.Email || after.LibraryID != p.LibraryID || after.Status != p.Status {
		t.Errorf("mass assignment: e-mail %q, library %d, status %s changed through the Informations form", after.Email, after.LibraryID, after.Status)
	}
}

func TestStatusDecisions(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		status  int
		field   string
		msg     string
		want    sesame.Status
		wantEnd string
	}{
		{"validate with today's date", url.Values{"statut": {"valide"}, "date_bibliotheque": {"26/11/2026"}}, http.StatusSeeOther, "", "", sesame.StatusValidated, "26/11/2027"},
		{"validate with an ISO date", url.Values{"statut": {"valide"}, "date_bibliotheque": {"2026-03-01"}}, http.StatusSeeOther, "", "", sesame.StatusValidated, "01/03/2027"},
		{"validate needs a date", url.Values{"statut": {"valide"}}, http.StatusUnprocessableEntity, "date_bibliotheque", "Indiquez la date", sesame.StatusToValidate, ""},
		{"date in the future", url.Values{"statut": {"valide"}, "date_bibliotheque": {"27/11/2026"}}, http.StatusUnprocessableEntity, "date_bibliotheque", "futur", sesame.StatusToValidate, ""},
		{"validity already over", url.Values{"statut": {"valide"}, "date_bibliotheque": {"25/11/2025"}}, http.StatusUnprocessableEntity, "date_bibliotheque", "25/11/2026", sesame.StatusToValidate, ""},
		{"end date today is fine", url.Values{"statut": {"valide"}, "date_bibliotheque": {"26/11/2025"}}, http.StatusSeeOther, "", "", sesame.StatusValidated, "26/11/2026"},
		{"31 February", url.Values{"statut": {"valide"}, "date_bibliotheque": {"31/02/2026"}}, http.StatusUnprocessableEntity, "date_bibliotheque", "n'existe pas", sesame.StatusToValidate, ""},
		{"refuse with a reason", url.Values{"statut": {"refuse"}, "motif": {"Abonnement introuvable."}}, http.StatusSeeOther, "", "", sesame.StatusRefused, ""},
		{"no status chosen", url.Values{"statut": {""}}, http.StatusUnprocessableEntity, "statut", "Choisissez", sesame.StatusToValidate, ""},
		{"status forged", url.Values{"statut": {"expire"}}, http.StatusUnprocessableEntity, "statut", "Choisissez", sesame.StatusToValidate, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p := w.patron(w.patronA)
			tt.form.Set("version", strconv.Itoa(p.Version))
			res := w.login("fouesnant").post(fmt.Sprintf("/abonnes/%d/statut", w.patronA), tt.form)
			if res.status != tt.status {
				t.Fatalf("got status %d, want %d; body %.400s", res.status, tt.status, res.body)
			}
			after := w.patron(w.patronA)
			if after.Status != tt.want {
				t.Errorf("status: got %s, want %s", after.Status, tt.want)
			}
			if got := after.ValidUntil.String(); got != tt.wantEnd {
				t.Errorf("end date: got %q, want %q", got, tt.wantEnd)
			}
			if tt.field != "" {
				if got := res.fieldError(tt.field); !strings.Contains(got, tt.msg) {
					t.Errorf("message next to %s: got %q, want it to contain %q", tt.field, got, tt.msg)
				}
				if tt.field == "date_bibliotheque" {
					if got := res.value(tt.field); got != tt.form.Get(tt.field) {
						t.Errorf("typed date: got %q, want %q kept", got, tt.form.Get(tt.field))
					}
				}
			}
		})
	}
}

func TestStatusSaveIsAuditedAndShownInHistory(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	p := w.patron(w.patronA)
	c.post(fmt.Sprintf("/abonnes/%d/statut", w.patronA), url.Values{"version": {strconv.Itoa(p.Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}})
	res := c.get(fmt.Sprintf("/abonnes/%d/statut", w.patronA))
	history := res.text("historique")
	if history == "" {
		t.Fatal("history heading missing")
	}
	body := res.body[strings.Index(res.body, `id="historique"`):]
	for _, want := range []string{"fouesnant", "« À valider » → « Validé »", "01/11/2026", "26/11/2026 à 10:00"} {
		if !strings.Contains(body, want) {
			t.Errorf("history: want %q in it", want)
		}
	}
}

func TestExpiredRecordIsReadOnlyForStaff(t *testing.T) {
	w := newWorld(t)
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "QUÉRÉ", FirstName: "Loïc", Email: "loic@example.org", Status: sesame.StatusExpired,
		LibraryRegisteredOn: sesame.MustDate(2024, 1, 1), ValidUntil: sesame.MustDate(2025, 1, 1)}, sesame.GrantValidated)
	c := w.login("fouesnant")
	res := c.get(fmt.Sprintf("/abonnes/%d/statut", id))
	if !strings.Contains(text(res.doc), "seul l'usager peut demander son renouvellement") {
		t.Errorf("the tutorial's explanation is missing on an expired record")
	}
	if find(res.doc, func(n *html.Node) bool { return n.Data == "button" && text(n) == "Enregistrer" }) != nil {
		t.Errorf("an expired record offers Enregistrer")
	}
	p := w.patron(id)
	posts := []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/abonnes/%d/statut", id), url.Values{"version": {strconv.Itoa(p.Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}}},
		{fmt.Sprintf("/abonnes/%d", id), infoValues(p)},
		{fmt.Sprintf("/abonnes/%d/ressources", id), url.Values{"ressource": {strconv.FormatInt(w.res[1], 10)}}},
	}
	for _, post := range posts {
		res := c.post(post.path, post.form)
		if res.status != http.StatusForbidden {
			t.Errorf("POST %s: got status %d, want 403", post.path, res.status)
		}
	}
	if after := w.patron(id); after.Version != p.Version || after.Status != sesame.StatusExpired {
		t.Errorf("expired record changed: version %d→%d, status %s", p.Version, after.Version, after.Status)
	}
}

func TestConcurrentSavesDoNotOverwrite(t *testing.T) {
	w := newWorld(t)
	first, second := w.login("fouesnant"), w.login("fouesnant")
	p := w.patron(w.patronA)
	formA := infoValues(p)
	formA.Set("ville", "Bénodet")
	formB := infoValues(p)
	formB.Set("ville", "Concarneau")
	if res := first.post(fmt.Sprintf("/abonnes/%d", w.patronA), formA); res.status != http.StatusSeeOther {
		t.Fatalf("first save: got status %d, want 303", res.status)
	}
	res := second.post(fmt.Sprintf("/abonnes/%d", w.patronA), formB)
	if res.status != http.StatusConflict {
		t.Fatalf("second save: got status %d, want 409", res.status)
	}
	if !strings.Contains(res.body, "modifiée entre-temps") {
		t.Errorf("the stale notice is missing")
	}
	if got := res.value("ville"); got != "Bénodet" {
		t.Errorf("form shows %q, want the current value Bénodet", got)
	}
	if !strings.Contains(res.body, "« Concarneau »") {
		t.Errorf("what the second user typed is not shown back")
	}
	if got := w.patron(w.patronA).Town; got != "Bénodet" {
		t.Errorf("town: got %q, want Bénodet (no silent overwrite)", got)
	}
}

func TestActivateAndRefuseResources(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	path := fmt.Sprintf("/abonnes/%d/ressources", w.patronA)
	res := c.post(path, url.Values{"ressource": {strconv.FormatInt(w.res[1], 10), strconv.FormatInt(w.res[2], 10)}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("Activer: got status %d, want 303", res.status)
	}
	res = c.post(path, url.Values{"refuser": {strconv.FormatInt(w.res[0], 10)}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("Refuser: got status %d, want 303", res.status)
	}
	grants, err := w.store.PatronGrants(context.Background(), store.NetworkScope(), w.patronA)
	if err != nil {
		t.Fatal(err)
	}
	want := []sesame.GrantState{sesame.GrantRefused, sesame.GrantValidated, sesame.GrantValidated}
	for i, g := range grants {
		if g.State != want[i] {
			t.Errorf("%s: got %s, want %s", g.Resource.Name, g.State, want[i])
		}
	}
	if res := c.post(path, url.Values{}); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("ressource"), "Cochez") {
		t.Errorf("Activer with nothing ticked: got status %d, message %q", res.status, res.fieldError("ressource"))
	}
	if res := c.post(path, url.Values{"ressource": {"abc"}}); res.status != http.StatusNotFound {
		t.Errorf("Activer with a forged id: got status %d, want 404", res.status)
	}
	if res := c.post(path, url.Values{"ressource": {"99999"}}); res.status != http.StatusNotFound {
		t.Errorf("Activer with an unknown resource: got status %d, want 404", res.status)
	}
}

// TestTenantIsolation: staff of library A get 404 on every patron route of
// library B, and the database does not change.
func TestTenantIsolation(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	before := w.patron(w.patronB)
	id := w.patronB
	requests := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", fmt.Sprintf("/abonnes/%d", id), nil},
		{"GET", fmt.Sprintf("/abonnes/%d/statut", id), nil},
		{"GET", fmt.Sprintf("/abonnes/%d/ressources", id), nil},
		{"POST", fmt.Sprintf("/abonnes/%d", id), infoValues(before)},
		{"POST", fmt.Sprintf("/abonnes/%d/statut", id), url.Values{"version": {strconv.Itoa(before.Version)}, "statut": {"refuse"}}},
		{"POST", fmt.Sprintf("/abonnes/%d/ressources", id), url.Values{"ressource": {strconv.FormatInt(w.res[1], 10)}}},
		{"POST", fmt.Sprintf("/abonnes/%d/ressources", id), url.Values{"refuser": {strconv.FormatInt(w.res[0], 10)}}},
		{"POST", fmt.Sprintf("/abonnes/%d/ressources", id), url.Values{}},
	}
	for _, rq := range requests {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			var res response
			if rq.method == "GET" {
				res = c.get(rq.path)
			} else {
				res = c.post(rq.path, rq.form)
			}
			if res.status != http.StatusNotFound {
				t.Errorf("got status %d, want 404", res.status)
			}
			if strings.Contains(res.body, "KERJEAN") {
				t.Errorf("the answer names the other library's patron")
			}
		})
	}
	for _, q := range []string{"kerjean", "yann", "B-0001", "yann.kerjean@example.org"} {
		if res := c.get("/abonnes?q=" + url.QueryEscape(q)); strings.Contains(res.body, "KERJEAN") {
			t.Errorf("search %q leaks the other library's patron", q)
		}
	}
	after := w.patron(w.patronB)
	if after.Version != before.Version || after.Status != before.Status {
		t.Errorf("the other library's patron changed")
	}
	grants, _ := w.store.PatronGrants(context.Background(), store.NetworkScope(), id)
	for _, g := range grants {
		if g.Resource.ID != w.res[0] && g.State != "" {
			t.Errorf("grant %s added across libraries", g.Resource.Name)
		}
	}
}

func TestNetworkAdminOnPatrons(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	p := w.patron(w.patronA)
	form := infoValues(p)
	form.Set("email", "Anne.Nouvelle@Example.org")
	form.Set("bibliotheque", strconv.FormatInt(w.libB, 10))
	if res := admin.post(fmt.Sprintf("/abonnes/%d", w.patronA), form); res.status != http.StatusSeeOther {
		t.Fatalf("admin save: got status %d, want 303; %.300s", res.status, res.body)
	}
	after := w.patron(w.patronA)
	if after.Email != "anne.nouvelle@example.org" || after.LibraryID != w.libB {
		t.Errorf("admin change: got e-mail %q library %d", after.Email, after.LibraryID)
	}
	if res := w.login("fouesnant").get(fmt.Sprintf("/abonnes/%d", w.patronA)); res.status != http.StatusNotFound {
		t.Errorf("moved patron still visible to the old library: status %d", res.status)
	}
	if res := w.login("quimper").get("/abonnes/a-traiter"); !strings.Contains(res.body, "LEFÈVRE") {
		t.Errorf("moved patron missing from the new library's to-do view")
	}
	history := admin.get(fmt.Sprintf("/abonnes/%d", w.patronA)).body
	if !strings.Contains(history, "anne.nouvelle@example.org") || !strings.Contains(history, "admin (Administration)") ||
		!strings.Contains(history, "FOUESNANT") || !strings.Contains(history, "QUIMPER") {
		t.Errorf("the e-mail change is not in the history")
	}

	form = infoValues(after)
	form.Set("email", "yann.kerjean@example.org")
	form.Set("bibliotheque", strconv.FormatInt(w.libB, 10))
	res := admin.post(fmt.Sprintf("/abonnes/%d", w.patronA), form)
	if res.status != http.StatusConflict && res.status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate e-mail: got status %d, want 409 or 422", res.status)
	}

	if res := w.login("fouesnant").post(fmt.Sprintf("/abonnes/%d/supprimer", w.patronB), nil); res.status != http.StatusForbidden {
		t.Errorf("library staff delete: got status %d, want 403", res.status)
	}
	if res := admin.get(fmt.Sprintf("/abonnes/%d/supprimer", w.patronB)); res.status != http.StatusOK {
		t.Errorf("delete confirmation: got status %d, want 200", res.status)
	}
	if res := admin.post(fmt.Sprintf("/abonnes/%d/supprimer", w.patronB), nil); res.status != http.StatusSeeOther {
		t.Fatalf("delete: got status %d, want 303", res.status)
	}
	if _, err := w.store.Patron(context.Background(), store.NetworkScope(), w.patronB); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("deleted patron still there: %v", err)
	}
	counts, _ := w.store.StatusCounts(context.Background(), store.LibraryScope(w.libB))
	if counts[sesame.StatusValidated] != 0 {
		t.Errorf("counts not updated after delete: %v", counts)
	}
}

func TestMalformedIDsAreNotFound(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	for _, path := range []string{"/abonnes/abc", "/abonnes/-1", "/abonnes/0", "/abonnes/99999999999999999999", "/abonnes/424242/statut"} {
		if res := c.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", path, res.status)
		}
	}
}

func TestNamesAreEscaped(t *testing.T) {
	w := newWorld(t)
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "<script>alert(1)</script>", FirstName: `"><img src=x onerror=alert(1)>`,
		Email: "xss@example.org", Status: sesame.StatusToValidate}, sesame.GrantPending)
	res := w.login("fouesnant").get("/abonnes")
	if strings.Contains(res.body, "<script>alert") || strings.Contains(res.body, "<img src=x") {
		t.Errorf("a patron's name was rendered as HTML")
	}
	if !strings.Contains(res.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the escaped name is missing")
	}
}
