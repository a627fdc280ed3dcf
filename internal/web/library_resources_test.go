package web_test

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// resourceRows returns the rows of the Ressources tab's table by resource
// name: the text of each row.
func resourceRows(t testing.TB, r response) map[string][]string {
	t.Helper()
	table := find(r.doc, func(n *html.Node) bool { return n.Data == "table" && strings.Contains(attr(n, "class"), "grants") })
	if table == nil {
		t.Fatalf("no table of resources on the Ressources tab: %.500s", r.body)
	}
	rows := map[string][]string{}
	walk(table, func(n *html.Node) {
		if n.Data != "tr" || n.Parent == nil || n.Parent.Data != "tbody" {
			return
		}
		cell := find(n, func(c *html.Node) bool { return c.Data == "td" })
		name := text(cell)
		rows[name] = append(rows[name], text(n))
	})
	return rows
}

// checkedBoxes lists the values of the ticked « Activer » boxes.
func checkedBoxes(r response) []string {
	var out []string
	walk(r.doc, func(n *html.Node) {
		if n.Data == "input" && attr(n, "name") == "ressource" && hasAttr(n, "checked") {
			out = append(out, attr(n, "value"))
		}
	})
	return out
}

// Each resource stands on one line of the Ressources tab, with its state,
// its « Activer » box when it may be activated, and its button: a pending
// request is no longer listed twice.
func TestResourcesTabOneLinePerResource(t *testing.T) {
	w := newWorld(t)
	page := w.login("fouesnant").get("/abonnes/" + itoa(w.patronA) + "/ressources")
	if page.status != http.StatusOK {
		t.Fatalf("got %d", page.status)
	}
	rows := resourceRows(t, page)
	want := map[string]string{
		"Livres numériques": "Livres numériques En attente Refuser Livres numériques",
		"PressReader":       "PressReader Non demandée",
		"Tout apprendre":    "Tout apprendre Non demandée",
	}
	if len(rows) != len(want) {
		t.Errorf("rows: got %v, want one per resource", rows)
	}
	for name, line := range want {
		if got := rows[name]; len(got) != 1 || got[0] != line {
			t.Errorf("%s: got rows %q, want one « %s »", name, got, line)
		}
	}
	activate := find(page.doc, func(n *html.Node) bool {
		return n.Data == "fieldset" && strings.Contains(text(n), "Activer des ressources")
	})
	if activate == nil || find(activate, func(n *html.Node) bool { return n.Data == "button" && text(n) == "Tout cocher" }) == nil {
		t.Errorf("no « Tout cocher » under « Activer des ressources »")
	}
	if n := strings.Count(page.body, `name="ressource" value="`+itoa(w.res[0])+`"`); n != 1 {
		t.Errorf("the pending resource's box: got %d, want 1", n)
	}
}

// « Tout cocher » works without JavaScript: the tab comes back with every
// box ticked, and nothing changes until « Activer ».
func TestResourcesTickAll(t *testing.T) {
	w := newWorld(t)
	before := w.grantStates(w.patronA)
	c := w.login("fouesnant")
	res := c.post("/abonnes/"+itoa(w.patronA)+"/ressources", url.Values{"tout_cocher": {"1"}})
	if res.status != http.StatusOK {
		t.Fatalf("Tout cocher: got %d, want 200", res.status)
	}
	if got, want := checkedBoxes(res), []string{itoa(w.res[0]), itoa(w.res[1]), itoa(w.res[2])}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ticked: got %v, want %v", got, want)
	}
	if after := w.grantStates(w.patronA); !maps.Equal(before, after) {
		t.Errorf("Tout cocher changed the grants: %v, then %v", before, after)
	}
	if page := c.get("/abonnes/" + itoa(w.patronA) + "/ressources"); len(checkedBoxes(page)) != 0 {
		t.Errorf("the tab opened again keeps boxes ticked")
	}
}

// « Retirer » takes a validated resource back, audited; the page offers it
// exactly when the POST accepts it, under the Expiré rule of every grant
// change.
func TestWithdrawResource(t *testing.T) {
	tests := []struct {
		name    string
		status  sesame.Status
		staff   string
		offered bool
		want    int
	}{
		{"library staff, Validé", sesame.StatusValidated, "fouesnant", true, http.StatusSeeOther},
		{"network admin, Validé", sesame.StatusValidated, "admin", true, http.StatusSeeOther},
		{"library staff, Expiré", sesame.StatusExpired, "fouesnant", false, http.StatusForbidden},
		{"network admin, Expiré", sesame.StatusExpired, "admin", true, http.StatusSeeOther},
		{"another library", sesame.StatusValidated, "quimper", false, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "MORVAN", FirstName: "Gaëlle", Email: "gaelle.morvan@example.org",
				Status: tt.status, LibraryRegisteredOn: sesame.MustDate(2025, 6, 1), ValidUntil: sesame.MustDate(2026, 6, 1)}, sesame.GrantValidated)
			c := w.login(tt.staff)
			path := "/abonnes/" + itoa(id) + "/ressources"
			page := c.get(path)
			if got := hasButton(page, "Retirer Livres numériques"); got != tt.offered {
				t.Errorf("« Retirer Livres numériques » offered: got %v, want %v", got, tt.offered)
			}
			res := c.post(path, url.Values{"retirer": {itoa(w.res[0])}})
			if res.status != tt.want {
				t.Fatalf("Retirer: got %d, want %d; %.300s", res.status, tt.want, res.body)
			}
			_, granted := w.grantStates(id)[w.res[0]]
			if granted == (tt.want == http.StatusSeeOther) {
				t.Errorf("still granted after Retirer: %v", granted)
			}
			if tt.want != http.StatusSeeOther {
				return
			}
			if to := res.header.Get("Location"); !strings.HasSuffix(to, "?ok=retire") {
				t.Errorf("Retirer: went to %q, want the tab with « retirée »", to)
			}
			if h := w.history(id); len(h) == 0 || !strings.Contains(h[0], "Ressources retirées : Livres numériques") {
				t.Errorf("history: got %q, want « Ressources retirées : Livres numériques » first", h)
			}
			// Not validated any more: neither offered nor accepted.
			if page := c.get(path); hasButton(page, "Retirer Livres numériques") {
				t.Errorf("« Retirer » still offered once withdrawn")
			}
			if again := c.post(path, url.Values{"retirer": {itoa(w.res[0])}}); again.status != http.StatusConflict {
				t.Errorf("Retirer again: got %d, want 409", again.status)
			}
		})
	}
}
