package web_test

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// patronNames lists the last names of the list's rows, in order.
func patronNames(res response) []string {
	var names []string
	for _, a := range res.all("a") {
		if href := attr(a, "href"); strings.HasPrefix(href, "/abonnes/") && strings.Trim(href[len("/abonnes/"):], "0123456789") == "" {
			names = append(names, strings.Fields(text(a))[0])
		}
	}
	return names
}

// options returns the options of the select with that id: value and text.
func options(t testing.TB, res response, id string) (values, labels []string, selected string) {
	t.Helper()
	sel := res.byID(id)
	if sel == nil || sel.Data != "select" {
		t.Fatalf("no select #%s", id)
	}
	walk(sel, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			values, labels = append(values, attr(n, "value")), append(labels, text(n))
			if hasAttr(n, "selected") {
				selected = attr(n, "value")
			}
		}
	})
	return values, labels, selected
}

// « Abonnés du réseau » sorts across every library, and a list of the
// libraries, in French order, narrows it to one; a library's staff has
// no such list, and the parameter changes nothing for them.
func TestNetworkPatronList(t *testing.T) {
	w := newWorld(t)
	w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: "ABGRALL", FirstName: "Jeanne", Email: "jeanne@example.org", Status: sesame.StatusToValidate}, sesame.GrantPending)
	w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "ZÉNON", FirstName: "Paul", Email: "paul@example.org", Status: sesame.StatusToValidate}, sesame.GrantPending)
	admin := w.login("admin")

	tests := []struct {
		name, query string
		want        []string
	}{
		{"whole network, by name", "", []string{"ABGRALL", "KERJEAN", "LEFÈVRE", "ZÉNON"}},
		{"whole network, descending", "?tri=nom&ordre=desc", []string{"ZÉNON", "LEFÈVRE", "KERJEAN", "ABGRALL"}},
		{"Fouesnant only", "?bibliotheque=" + itoa(w.libA), []string{"LEFÈVRE", "ZÉNON"}},
		{"Quimper only, searched", "?q=abgrall&bibliotheque=" + itoa(w.libB), []string{"ABGRALL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.get("/abonnes" + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("got %d", res.status)
			}
			if got := patronNames(res); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
		})
	}

	res := admin.get("/abonnes?bibliotheque=" + itoa(w.libB))
	values, labels, selected := options(t, res, "bibliotheque")
	if want := []string{"", itoa(w.libA), itoa(w.libB)}; strings.Join(values, ",") != strings.Join(want, ",") {
		t.Errorf("library options %q, want %q", values, want)
	}
	if labels[1] != "Médiathèque de Fouesnant (FOUESNANT)" || selected != itoa(w.libB) {
		t.Errorf("labels %q, selected %q", labels, selected)
	}
	if total := text(find(res.doc, func(n *html.Node) bool { return attr(n, "class") == "total" })); total != "2 abonnés" {
		t.Errorf("narrowed total: %q, want 2 abonnés", total)
	}

	staff := w.login("fouesnant")
	own := staff.get("/abonnes?bibliotheque=" + itoa(w.libB))
	if own.byID("bibliotheque") != nil {
		t.Error("library staff get a list of libraries")
	}
	if got := patronNames(own); strings.Join(got, " ") != "LEFÈVRE ZÉNON" {
		t.Errorf("library staff asking for another library: rows %q, want their own", got)
	}
}

// The network statistics choose their library from a list of the
// network's libraries, by name; the choice stays selected.
func TestNetworkStatsLibraryList(t *testing.T) {
	w := newWorld(t)
	res := w.login("admin").get("/admin/statistiques?bibliotheque=quimper")
	if res.status != http.StatusOK {
		t.Fatalf("got %d: %.300s", res.status, res.body)
	}
	values, labels, selected := options(t, res, "f-bibliotheque")
	if strings.Join(values, ",") != ",FOUESNANT,QUIMPER" || labels[0] != "Tout le réseau" || selected != "QUIMPER" {
		t.Errorf("options %q %q, selected %q", values, labels, selected)
	}
}
