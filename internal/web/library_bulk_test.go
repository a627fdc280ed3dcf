package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// notice is the page's « what the action did » message.
func (r response) notice() string {
	return text(find(r.doc, func(n *html.Node) bool { return attr(n, "class") == "notice" && attr(n, "role") == "status" }))
}

// history is the patron's audit trail, newest first, as « action: detail ».
func (w *world) history(id int64) []string {
	w.t.Helper()
	events, err := w.store.PatronHistory(context.Background(), store.NetworkScope(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Action+": "+e.Detail)
	}
	return out
}

func (w *world) toValidate(lib int64, last, first string) int64 {
	w.t.Helper()
	return w.addPatron(sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: strings.ToLower(first) + "@example.org",
		CardNumber: "C-" + first, Status: sesame.StatusToValidate}, sesame.GrantPending)
}

func idList(list ...int64) []string {
	var out []string
	for _, id := range list {
		out = append(out, itoa(id))
	}
	return out
}

// A bulk validation goes through each record's own save: same audit, same
// mail as one patron validated alone; Expiré accounts are skipped and
// counted, and another library's patron is not even found.
func TestBulkValidation(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	c := w.login("fouesnant")
	alone := w.toValidate(w.libA, "SEUL", "Solène")
	bulk := []int64{w.patronA, w.toValidate(w.libA, "MORVAN", "Erwan"), w.toValidate(w.libA, "TANGUY", "Soizic")}
	expired := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "PERDU", FirstName: "Paol", Email: "paol@example.org",
		Status: sesame.StatusExpired, LibraryRegisteredOn: sesame.MustDate(2024, 1, 1), ValidUntil: sesame.MustDate(2025, 1, 1)}, sesame.GrantValidated)
	expiredBefore := *w.patron(expired)
	otherBefore := *w.patron(w.patronB)

	w.saveStatus(c, alone, "valide", "20/11/2026", "")
	res := c.post("/abonnes/selection", url.Values{"abonne": idList(append(bulk, expired, w.patronB)...), "action": {"valider"},
		"date_bibliotheque": {"20/11/2026"}, "q": {""}})
	if res.status != http.StatusOK {
		t.Fatalf("bulk validation: got status %d, want 200; body: %.500s", res.status, res.body)
	}
	want := "3 abonnés validés, 2 ignorés : compte expiré (1) ; abonné introuvable (1)."
	if got := res.notice(); got != want {
		t.Errorf("result: got %q, want %q", got, want)
	}
	if title := text(res.all("title")[0]); !strings.HasPrefix(title, strings.TrimSuffix(want, ".")+" – ") {
		t.Errorf("title: got %q, want it to begin with the result", title)
	}
	deliver(t, w.instance("instance-1", in))
	aloneMail := in.to(w.patron(alone).Email)
	if len(aloneMail) != 1 {
		t.Fatalf("mails to the patron validated alone: got %d, want 1", len(aloneMail))
	}
	wantHistory := w.history(alone)
	for _, id := range bulk {
		p := w.patron(id)
		if p.Status != sesame.StatusValidated || p.ValidUntil != sesame.MustDate(2027, 11, 20) {
			t.Errorf("%s: got %s until %s, want Validé until 20/11/2027", p.LastName, p.Status, p.ValidUntil)
		}
		if got := w.history(id); !slices.Equal(got, wantHistory) {
			t.Errorf("%s: history %q, want as when validated alone: %q", p.LastName, got, wantHistory)
		}
		mails := in.to(p.Email)
		if len(mails) != 1 || mails[0].subject != aloneMail[0].subject || !strings.Contains(mails[0].text, "20/11/2027") {
			t.Errorf("%s: got %d mails, want 1 like the one of a patron validated alone (%q)", p.LastName, len(mails), aloneMail[0].subject)
		}
	}
	if got := *w.patron(expired); got != expiredBefore {
		t.Errorf("Expiré account changed: %+v", got)
	}
	if got := *w.patron(w.patronB); got != otherBefore {
		t.Errorf("another library's patron changed: %+v", got)
	}
	if len(in.to(w.patron(expired).Email)) != 0 || len(in.to(w.patron(w.patronB).Email)) != 0 {
		t.Errorf("a skipped patron was sent a mail")
	}
}

// An attacker on library B's staff sends library A's ids to every action:
// nothing of A is touched, exported or even named.
func TestBulkAcrossLibrariesTouchesNothing(t *testing.T) {
	w := newWorld(t)
	other := w.toValidate(w.libA, "AUTRE", "Anna")
	before := map[int64]sesame.Patron{w.patronA: *w.patron(w.patronA), other: *w.patron(other)}
	historyBefore := w.history(w.patronA)
	c := w.login("quimper")
	for _, action := range []url.Values{
		{"action": {"valider"}, "date_bibliotheque": {"20/11/2026"}},
		{"action": {"refuser"}, "motif": {"Non"}},
		{"action": {"activer"}, "ressource": {itoa(w.res[1])}},
		{"action": {"exporter-csv"}},
	} {
		action["abonne"] = idList(w.patronA, other)
		res := c.post("/abonnes/selection", action)
		if strings.Contains(res.body, "LEFÈVRE") || strings.Contains(res.body, "AUTRE") || strings.Contains(res.body, "anne.lefevre") {
			t.Errorf("%s: library A's patrons named in the answer", action.Get("action"))
		}
		if action.Get("action") == "exporter-csv" {
			if rows := csvRows(t, res.body); len(rows) != 1 {
				t.Errorf("export of another library's ids: got %d lines, want the header only", len(rows))
			}
			continue
		}
		if got := res.notice(); !strings.Contains(got, "2 ignorés : abonné introuvable") {
			t.Errorf("%s: result %q, want both ignored as not found", action.Get("action"), got)
		}
	}
	for id, p := range before {
		if got := *w.patron(id); got != p {
			t.Errorf("patron %d of library A changed: %+v", id, got)
		}
	}
	if got := w.history(w.patronA); !slices.Equal(got, historyBefore) {
		t.Errorf("history of library A's patron grew: %q", got)
	}
	if g, err := w.store.PatronGrant(context.Background(), other, w.res[1]); err != nil || g != nil {
		t.Errorf("resource granted across libraries: %+v (%v)", g, err)
	}
}

func TestBulkRefusalAndActivation(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	validated := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "VALIDE", FirstName: "Val", Email: "val@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1), ValidUntil: sesame.MustDate(2027, 6, 1)}, sesame.GrantValidated)
	res := c.post("/abonnes/selection", url.Values{"abonne": idList(w.patronA, validated), "action": {"refuser"}, "motif": {"Carte non renouvelée"}})
	if got, want := res.notice(), "1 abonné refusé, 1 ignoré : Seul un compte « À valider » ou « À revalider » peut être refusé."; got != want {
		t.Errorf("refusal: got %q, want %q", got, want)
	}
	if p := w.patron(w.patronA); p.Status != sesame.StatusRefused || p.RefusalReason != "Carte non renouvelée" {
		t.Errorf("refused patron: got %s « %s »", p.Status, p.RefusalReason)
	}
	if p := w.patron(validated); p.Status != sesame.StatusValidated {
		t.Errorf("a Validé account was refused in bulk")
	}

	res = c.post("/abonnes/selection", url.Values{"abonne": idList(w.patronA, validated), "action": {"activer"}, "ressource": {itoa(w.res[1])}})
	if got, want := res.notice(), "« PressReader » activée pour 2 abonnés."; got != want {
		t.Errorf("activation: got %q, want %q", got, want)
	}
	res = c.post("/abonnes/selection", url.Values{"abonne": idList(w.patronA), "action": {"activer"}, "ressource": {itoa(w.res[1])}})
	if got, want := res.notice(), "« PressReader » activée pour 0 abonné, 1 déjà dans cet état."; got != want {
		t.Errorf("activation again: got %q, want %q", got, want)
	}
	if a := w.lastAction(validated); a != string(sesame.ActionResources) {
		t.Errorf("audit of the activation: got %q, want %q", a, sesame.ActionResources)
	}
}

// Bad input comes back beside its field, with what was typed and the
// selection kept; nothing is changed.
func TestBulkBadInput(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	ctx := context.Background()
	disabled, err := w.store.CreateResource(ctx, sesame.Resource{Slug: "retiree", Name: "Retirée", Description: "d", URL: "https://example.org/", Disabled: true}, sesame.Actor{Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"nothing ticked", url.Values{"action": {"valider"}, "date_bibliotheque": {"20/11/2026"}}, "abonne", "Cochez au moins un abonné"},
		{"impossible date", url.Values{"abonne": idList(w.patronA), "action": {"valider"}, "date_bibliotheque": {"31/02/2026"}}, "date_bibliotheque", "Date d'inscription dans la bibliothèque"},
		{"date in the future", url.Values{"abonne": idList(w.patronA), "action": {"valider"}, "date_bibliotheque": {"27/11/2026"}}, "date_bibliotheque", "futur"},
		{"no date", url.Values{"abonne": idList(w.patronA), "action": {"valider"}, "date_bibliotheque": {""}}, "date_bibliotheque", "Indiquez la date"},
		{"no resource", url.Values{"abonne": idList(w.patronA), "action": {"activer"}}, "ressource", "choisissez une ressource"},
		{"a resource no longer offered", url.Values{"abonne": idList(w.patronA), "action": {"activer"}, "ressource": {itoa(disabled)}}, "ressource", "choisissez une ressource"},
		{"too many", url.Values{"abonne": func() []string {
			var many []string
			for i := range 1001 {
				many = append(many, fmt.Sprint(i+1))
			}
			return many
		}(), "action": {"valider"}, "date_bibliotheque": {"20/11/2026"}}, "abonne", "1000 abonnés au plus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := w.patron(w.patronA).Version
			res := c.post("/abonnes/selection", tt.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.status)
			}
			if got := res.fieldError(tt.field); !strings.Contains(got, tt.want) {
				t.Errorf("message beside %s: got %q, want it to contain %q", tt.field, got, tt.want)
			}
			if tt.field == "date_bibliotheque" && res.value("date_bibliotheque") != tt.form.Get("date_bibliotheque") {
				t.Errorf("typed date not kept: got %q", res.value("date_bibliotheque"))
			}
			box := find(res.doc, func(n *html.Node) bool { return attr(n, "name") == "abonne" && attr(n, "value") == itoa(w.patronA) })
			if box == nil || hasAttr(box, "checked") != slices.Contains(tt.form["abonne"], itoa(w.patronA)) {
				t.Errorf("the selection is not kept")
			}
			if w.patron(w.patronA).Version != version {
				t.Errorf("the patron changed")
			}
		})
	}
	// The list never offers the disabled resource its POST refuses.
	if res := c.get("/abonnes"); find(res.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == itoa(disabled) }) != nil {
		t.Errorf("the list offers a resource no longer offered")
	}
}

// « tous les N abonnés de cette recherche » asks first, stating N, and
// asks again if N changed in between.
func TestBulkOnWholeSearchAsksConfirmation(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	for _, name := range []string{"Ana", "Bea", "Cid"} {
		w.toValidate(w.libA, "GUEGUEN", name)
	}
	w.toValidate(w.libA, "AUTRE", "Dan")
	form := url.Values{"q": {"gueguen"}, "portee": {"recherche"}, "action": {"valider"}, "date_bibliotheque": {"20/11/2026"}}
	res := c.post("/abonnes/selection", form)
	if res.status != http.StatusOK || !strings.Contains(text(res.all("h1")[0]), "Valider les 3 abonnés de cette recherche") {
		t.Fatalf("confirmation: got %d, heading %q", res.status, text(res.all("h1")[0]))
	}
	confirm := url.Values{}
	for _, in := range res.all("input") {
		if attr(in, "type") == "hidden" {
			confirm.Add(attr(in, "name"), attr(in, "value"))
		}
	}
	if confirm.Get("nombre") != "3" || confirm.Get("q") != "gueguen" || confirm.Get("date_bibliotheque") != "20/11/2026" {
		t.Fatalf("confirmation form: %v", confirm)
	}
	// A fourth GUEGUEN arrives before the click: the page asks again.
	w.toValidate(w.libA, "GUEGUEN", "Eva")
	res = c.post("/abonnes/selection", confirm)
	if !strings.Contains(res.body, "La recherche compte maintenant 4 abonnés") {
		t.Fatalf("changed count: want the confirmation again with 4; got %.300s", res.body)
	}
	confirm.Set("nombre", "4")
	res = c.post("/abonnes/selection", confirm)
	if got := res.notice(); got != "4 abonnés validés." {
		t.Errorf("result: got %q, want « 4 abonnés validés. »", got)
	}
	page, err := w.store.ListPatrons(context.Background(), store.LibraryScope(w.libA), store.PatronFilter{Status: sesame.StatusValidated, Limit: 100})
	if err != nil || page.Total != 4 {
		t.Errorf("validated after the action: got %d (%v), want the 4 GUEGUEN only", page.Total, err)
	}
}

// Without JavaScript, « Tout sélectionner » answers the page with every row ticked.
func TestSelectAllWithoutJavaScript(t *testing.T) {
	w := newWorld(t)
	for _, name := range []string{"Ana", "Bea"} {
		w.toValidate(w.libA, "GUEGUEN", name)
	}
	res := w.login("fouesnant").post("/abonnes/selection", url.Values{"action": {"tout-selectionner"}, "q": {"gueguen"}})
	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", res.status)
	}
	var boxes, ticked int
	for _, in := range res.all("input") {
		if attr(in, "name") == "abonne" {
			boxes++
			if hasAttr(in, "checked") {
				ticked++
			}
			if !strings.HasPrefix(attr(in, "aria-label"), "Sélectionner GUEGUEN ") {
				t.Errorf("checkbox name: got %q", attr(in, "aria-label"))
			}
		}
	}
	if boxes != 2 || ticked != 2 {
		t.Errorf("got %d boxes, %d ticked; want the search's 2, ticked", boxes, ticked)
	}
}

// Two patrons of the same last name are two different links.
func TestListLinksNameThePatron(t *testing.T) {
	w := newWorld(t)
	w.toValidate(w.libA, "ANDRÉ", "Anne")
	w.toValidate(w.libA, "ANDRÉ", "Yves")
	res := w.login("fouesnant").get("/abonnes?q=andre")
	var names []string
	for _, a := range res.all("a") {
		if href := attr(a, "href"); strings.HasPrefix(href, "/abonnes/") && !strings.Contains(href, "export") && !strings.Contains(href, "a-traiter") && href != "/abonnes/import" {
			names = append(names, text(a))
		}
	}
	if !slices.Equal(names, []string{"ANDRÉ Anne", "ANDRÉ Yves"}) {
		t.Errorf("links: got %q, want « ANDRÉ Anne », « ANDRÉ Yves »", names)
	}
}

func csvRows(t testing.TB, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("CSV without its byte order mark: %.100q", body)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	return rows
}

// The exports hold exactly what the search and filters show, every page,
// dates dd/mm/yyyy, texts a spreadsheet would run as formulas neutralised.
func TestPatronExports(t *testing.T) {
	w := newWorld(t)
	for i := range 23 {
		w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: fmt.Sprintf("LE GOFF-%02d", i), FirstName: "Maëlle", Email: fmt.Sprintf("m%d@example.org", i),
			CardNumber: fmt.Sprintf("=HYPERLINK(%d)", i), Status: sesame.StatusValidated,
			LibraryRegisteredOn: sesame.MustDate(2026, 1, 10), ValidUntil: sesame.MustDate(2027, 1, 10)}, sesame.GrantValidated)
	}
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "DÉPASSÉ", FirstName: "Dan", Email: "dan@example.org", Status: sesame.StatusValidated,
		LibraryRegisteredOn: sesame.MustDate(2025, 1, 10), ValidUntil: sesame.MustDate(2026, 1, 10)}, sesame.GrantPending)
	c := w.login("fouesnant")
	tests := []struct {
		name, query string
		rows        int
	}{
		{"whole list, three pages", "", 25},
		{"search", "?q=goff", 23},
		{"past the end date", "?filtre=date-depassee", 1},
		{"resource awaiting", "?filtre=ressource-en-attente", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := c.get("/abonnes" + tt.query)
			total := text(find(list.doc, func(n *html.Node) bool { return attr(n, "class") == "total" }))
			if !strings.HasPrefix(total, fmt.Sprintf("%d abonné", tt.rows)) {
				t.Fatalf("list total: got %q, want %d", total, tt.rows)
			}
			res := c.get("/abonnes/export.csv" + tt.query)
			if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("CSV: status %d, %q, %q", res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
			}
			rows := csvRows(t, res.body)
			if len(rows)-1 != tt.rows {
				t.Errorf("CSV rows: got %d, want %d", len(rows)-1, tt.rows)
			}
			want := []string{"Statut", "Fin de validité", "Nom", "Prénom", "E-mail", "N° d'inscription", "Date d'inscription", "Ressources"}
			if !slices.Equal(rows[0], want) {
				t.Errorf("CSV header: got %q, want %q", rows[0], want)
			}
			for _, row := range rows[1:] {
				if strings.HasPrefix(row[5], "=") {
					t.Errorf("CSV cell left as a formula: %q", row[5])
				}
			}
			x := c.get("/abonnes/export.xlsx" + tt.query)
			f, err := excelize.OpenReader(bytes.NewReader([]byte(x.body)))
			if err != nil {
				t.Fatalf("XLSX: %v", err)
			}
			defer f.Close()
			sheetRows, err := f.GetRows("Abonnés")
			if err != nil || len(sheetRows)-1 != tt.rows {
				t.Errorf("XLSX rows: got %d (%v), want %d", len(sheetRows)-1, err, tt.rows)
			}
		})
	}
	rows := csvRows(t, c.get("/abonnes/export.csv?filtre=date-depassee").body)
	if want := []string{"Validé — date dépassée", "10/01/2026", "DÉPASSÉ", "Dan", "dan@example.org", "", "17/12/2021", "Livres numériques (en attente)"}; !slices.Equal(rows[1], want) {
		t.Errorf("CSV row: got %q, want %q", rows[1], want)
	}
	if rows := csvRows(t, c.get("/abonnes/export.csv?q=goff-01").body); rows[1][5] != "'=HYPERLINK(1)" {
		t.Errorf("formula cell: got %q, want it prefixed with an apostrophe", rows[1][5])
	}
	// The selection exports only the ticked rows.
	list := c.get("/abonnes?q=goff")
	var ticked []string
	for _, in := range list.all("input") {
		if attr(in, "name") == "abonne" && len(ticked) < 3 {
			ticked = append(ticked, attr(in, "value"))
		}
	}
	res := c.post("/abonnes/selection", url.Values{"abonne": ticked, "action": {"exporter-csv"}})
	if rows := csvRows(t, res.body); len(rows) != 4 {
		t.Errorf("selection export: got %d rows, want 3 and the header", len(rows)-1)
	}
}
