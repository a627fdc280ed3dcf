package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// cells returns the text of the cells labelled label (data-label, the name a
// cell carries on a small screen), in the order of the page.
func cells(doc *html.Node, label string) []string {
	var out []string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "td" && attr(n, "data-label") == label {
			out = append(out, text(n))
		}
	})
	return out
}

// TestTodoShowsRequestDates: « À traiter » shows when each request was made,
// in a « Demande du » column that the list is sorted by, oldest first.
func TestTodoShowsRequestDates(t *testing.T) {
	w := newWorld(t) // LEFÈVRE asks on 26/11/2026
	w.clock.Advance(3 * 24 * time.Hour)
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "ABGRALL", FirstName: "Erwan", Email: "erwan@example.org", Status: sesame.StatusToRevalidate}, sesame.GrantValidated)
	w.clock.Advance(2 * 24 * time.Hour)
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "BERNARD", FirstName: "Katell", Email: "katell@example.org", Status: sesame.StatusToValidate}, sesame.GrantPending)
	c := w.login("fouesnant")

	tests := []struct {
		name, query string
		names       []string
		dates       []string
		ariaSort    string // of the « Demande du » header
	}{
		{"oldest request first", "", []string{"LEFÈVRE", "ABGRALL", "BERNARD"}, []string{"26/11/2026", "29/11/2026", "01/12/2026"}, "ascending"},
		{"newest first on request", "?tri=attente&ordre=desc", []string{"BERNARD", "ABGRALL", "LEFÈVRE"}, []string{"01/12/2026", "29/11/2026", "26/11/2026"}, "descending"},
		{"sorted by name", "?tri=nom", []string{"ABGRALL", "BERNARD", "LEFÈVRE"}, []string{"29/11/2026", "01/12/2026", "26/11/2026"}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.get("/abonnes/a-traiter" + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.status)
			}
			if got := patronNames(res); strings.Join(got, ",") != strings.Join(tt.names, ",") {
				t.Errorf("rows %q, want %q", got, tt.names)
			}
			if got := cells(res.doc, "Demande du"); strings.Join(got, ",") != strings.Join(tt.dates, ",") {
				t.Errorf("« Demande du » cells %q, want %q", got, tt.dates)
			}
			header := find(res.doc, func(n *html.Node) bool {
				return n.Type == html.ElementNode && n.Data == "th" && strings.HasPrefix(text(n), "Demande du")
			})
			if header == nil {
				t.Fatalf("no « Demande du » column header")
			}
			if got := attr(header, "aria-sort"); got != tt.ariaSort {
				t.Errorf("« Demande du » aria-sort = %q, want %q", got, tt.ariaSort)
			}
		})
	}

	// The whole list has no such column, and cannot be sorted by it.
	res := c.get("/abonnes?tri=attente")
	if strings.Contains(res.body, "Demande du") {
		t.Errorf("/abonnes shows a « Demande du » column; only « À traiter » has one")
	}
	if got := patronNames(res); strings.Join(got, ",") != "ABGRALL,BERNARD,LEFÈVRE" {
		t.Errorf("/abonnes?tri=attente: rows %q, want them by name", got)
	}
}

// TestListPagePastTheLast: a page past the last (an old bookmark, a list that
// shrank) shows the last page, never « Aucun abonné ne correspond » under a
// count of 25.
func TestListPagePastTheLast(t *testing.T) {
	w := newWorld(t)
	for i := range 24 {
		w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: fmt.Sprintf("GOFF-%02d", i), FirstName: "Maëlle",
			Email: fmt.Sprintf("maelle%d@example.org", i), Status: sesame.StatusValidated,
			LibraryRegisteredOn: sesame.MustDate(2026, 1, 10), ValidUntil: sesame.MustDate(2027, 1, 10)}, sesame.GrantValidated)
	}
	c := w.login("fouesnant")
	tests := []struct {
		name, query string
		total       string
		first       string // the first row's name; "" for none
		rows        int
		prev, next  bool
	}{
		{"last page", "?page=3", "25 abonnés — page 3 sur 3", "GOFF-20", 5, true, false},
		{"past the last: the last", "?page=99", "25 abonnés — page 3 sur 3", "GOFF-20", 5, true, false},
		{"past the last, 25 a page: the only page", "?page=8&par_page=25", "25 abonnés", "GOFF-00", 25, false, false},
		{"nothing found: no page to go to", "?q=zzzz&page=4", "0 abonné", "", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.get("/abonnes" + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.status)
			}
			if got := text(find(res.doc, func(n *html.Node) bool { return attr(n, "class") == "total" })); got != tt.total {
				t.Errorf("count: %q, want %q", got, tt.total)
			}
			names := patronNames(res)
			if len(names) != tt.rows || (tt.rows > 0 && names[0] != tt.first) {
				t.Errorf("rows %q, want %d beginning with %q", names, tt.rows, tt.first)
			}
			if none := strings.Contains(res.body, "Aucun abonné ne correspond"); none != (tt.rows == 0) {
				t.Errorf("« Aucun abonné ne correspond » shown: %v, want %v with %d rows", none, tt.rows == 0, tt.rows)
			}
			if prev := strings.Contains(res.body, `rel="prev"`); prev != tt.prev {
				t.Errorf("link to the previous page: %v, want %v", prev, tt.prev)
			}
			if next := strings.Contains(res.body, `rel="next"`); next != tt.next {
				t.Errorf("link to the next page: %v, want %v", next, tt.next)
			}
		})
	}
}

// TestListSearchTakesTheFocus: the search box takes the focus as the list
// opens, not after a search or a bulk action (the result, or the refusal, is
// read first) nor on « À traiter ».
func TestListSearchTakesTheFocus(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	tests := []struct {
		path      string
		bulk      url.Values // posted to /abonnes/selection instead of opening path
		autofocus bool
	}{
		{path: "/abonnes", autofocus: true},
		{path: "/abonnes?page=1&tri=prenom", autofocus: true},
		{path: "/abonnes?q=lefevre"},
		{path: "/abonnes/a-traiter"},
		{path: "bulk validation done", bulk: url.Values{"abonne": {itoa(w.patronA)}, "action": {"valider"}, "date_bibliotheque": {"20/11/2026"}}},
		{path: "bulk validation refused", bulk: url.Values{"action": {"valider"}, "date_bibliotheque": {"20/11/2026"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var res response
			if tt.bulk != nil {
				res = c.post("/abonnes/selection", tt.bulk)
			} else {
				res = c.get(tt.path)
			}
			box := res.byID("q")
			if box == nil {
				t.Fatalf("no search box on %s", tt.path)
			}
			if got := hasAttr(box, "autofocus"); got != tt.autofocus {
				t.Errorf("search box autofocus = %v, want %v", got, tt.autofocus)
			}
		})
	}
}

// TestListPagesFollowLinks: « Page suivante » and « Page précédente » carry
// a cursor (the patron the page starts after, or ends before), and walking
// them gives the same pages, numbered the same, as ?page=N.
func TestListPagesFollowLinks(t *testing.T) {
	w := newWorld(t)
	for i := range 24 {
		w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: fmt.Sprintf("GOFF-%02d", i), FirstName: "Maëlle",
			Email: fmt.Sprintf("maelle%d@example.org", i), Status: sesame.StatusValidated,
			LibraryRegisteredOn: sesame.MustDate(2026, 1, 10), ValidUntil: sesame.MustDate(2027, 1, 10)}, sesame.GrantValidated)
	}
	c := w.login("fouesnant")
	link := func(res response, rel string) string {
		n := find(res.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == rel })
		if n == nil {
			return ""
		}
		return attr(n, "href")
	}
	wantPages := map[int]string{}
	for n := 1; n <= 3; n++ {
		res := c.get(fmt.Sprintf("/abonnes?page=%d", n))
		wantPages[n] = strings.Join(patronNames(res), ",")
	}
	res := c.get("/abonnes")
	for n := 2; n <= 3; n++ {
		next := link(res, "next")
		if !strings.Contains(next, "apres=") || !strings.Contains(next, fmt.Sprintf("page=%d", n)) {
			t.Fatalf("« Page suivante » to page %d: %q, want page=%d and a cursor « apres »", n, next, n)
		}
		res = c.get(next)
		if got := strings.Join(patronNames(res), ","); got != wantPages[n] {
			t.Errorf("page %d by « Page suivante »: rows %q, want %q", n, got, wantPages[n])
		}
		if got, want := text(find(res.doc, func(n *html.Node) bool { return attr(n, "class") == "total" })), fmt.Sprintf("25 abonnés — page %d sur 3", n); got != want {
			t.Errorf("count: %q, want %q", got, want)
		}
	}
	if next := link(res, "next"); next != "" {
		t.Errorf("last page offers « Page suivante »: %q", next)
	}
	for n := 2; n >= 1; n-- {
		prev := link(res, "prev")
		if n > 1 && !strings.Contains(prev, "avant=") {
			t.Errorf("« Page précédente » to page %d: %q, want a cursor « avant »", n, prev)
		}
		res = c.get(prev)
		if got := strings.Join(patronNames(res), ","); got != wantPages[n] {
			t.Errorf("page %d by « Page précédente »: rows %q, want %q", n, got, wantPages[n])
		}
	}
	// A cursor whose patron is gone falls back to the page's number.
	res = c.get("/abonnes?page=2&apres=999999")
	if got := strings.Join(patronNames(res), ","); got != wantPages[2] {
		t.Errorf("page 2 with a stale cursor: rows %q, want %q", got, wantPages[2])
	}
}
