package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// legalPages are the three pages every page links to from its footer.
var legalPages = []struct {
	path, h1 string
}{
	{"/donnees-personnelles", "Données personnelles"},
	{"/accessibilite", "Déclaration d'accessibilité"},
	{"/mentions-legales", "Mentions légales"},
}

func TestLegalPagesAreOpenToAll(t *testing.T) {
	w := newWorld(t)
	for _, p := range legalPages {
		t.Run(p.path, func(t *testing.T) {
			res := w.anonymous().get(p.path)
			if res.status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.status)
			}
			h1 := res.all("h1")
			if len(h1) != 1 || text(h1[0]) != p.h1 {
				t.Errorf("h1: got %d headings (%q), want one « %s »", len(h1), textsOf(h1), p.h1)
			}
			main := res.text("contenu")
			for _, want := range []string{"Réseau de test", "reseau@example.org", "Dernière mise à jour : 27/11/2026"} {
				if !strings.Contains(main, want) {
					t.Errorf("page content lacks « %s »", want)
				}
			}
			if !linksTo(res.byID("contenu"), "mailto:reseau@example.org") {
				t.Errorf("no mailto link to the network's contact address")
			}
		})
	}
}

func TestLegalPagesSayWhatTheLawAsks(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		path string
		want []string // section headings
	}{
		{"/donnees-personnelles", []string{"Qui est responsable de vos données ?", "À quoi servent vos données ?", "Sur quelle base ?",
			"Quelles données sont enregistrées ?", "Qui peut les voir ?", "Combien de temps sont-elles gardées ?", "Quels sont vos droits ?",
			"Vous avez moins de 15 ans ?", "Cookies"}},
		{"/accessibilite", []string{"État de conformité", "Résultats des tests", "Contenus non accessibles",
			"Établissement de cette déclaration", "Retour d'information et contact", "Voies de recours"}},
		{"/mentions-legales", []string{"Éditeur", "Directeur de la publication", "Hébergement", "Propriété intellectuelle", "Données personnelles"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := w.anonymous().get(tt.path)
			got := textsOf(res.all("h2"))
			for _, h := range tt.want {
				if !slices.Contains(got, h) {
					t.Errorf("no section « %s »; sections: %q", h, got)
				}
			}
		})
	}
	if res := w.anonymous().get("/accessibilite"); !strings.Contains(res.text("contenu"), "non conforme") ||
		!strings.Contains(res.text("contenu"), "Libre réponse 71120") {
		t.Errorf("the statement lacks its conformity state or the Défenseur des droits' address")
	}
	if res := w.anonymous().get("/donnees-personnelles"); !linksTo(res.byID("contenu"), "https://www.cnil.fr/") {
		t.Errorf("the notice has no link to the CNIL")
	}
}

func TestEveryPageLinksToTheLegalPages(t *testing.T) {
	w := newWorld(t)
	anonymous, librarian := w.anonymous(), w.login("fouesnant")
	type page struct {
		who  string
		c    *client
		path string
	}
	pages := []page{
		{"anonymous", anonymous, "/"},
		{"anonymous", anonymous, "/connexion"},
		{"anonymous", anonymous, "/nexiste-pas"},
		{"librarian", librarian, "/abonnes"},
	}
	for _, p := range legalPages {
		pages = append(pages, page{"anonymous", anonymous, p.path}, page{"librarian", librarian, p.path})
	}
	for _, p := range pages {
		t.Run(p.who+" "+p.path, func(t *testing.T) {
			res := p.c.get(p.path)
			nav := find(res.doc, func(n *html.Node) bool {
				return n.Data == "nav" && attr(n, "aria-label") == "Informations légales" && hasAncestor(n, "footer")
			})
			if nav == nil {
				t.Fatalf("status %d: no footer navigation « Informations légales »", res.status)
			}
			for _, lp := range legalPages {
				if !linksTo(nav, lp.path) {
					t.Errorf("footer has no link to %s", lp.path)
				}
			}
			a := find(nav, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/accessibilite" })
			if a == nil {
				return
			}
			if got := text(a); !strings.HasPrefix(got, "Accessibilité : non conforme") {
				t.Errorf("footer accessibility link: got %q, want it to start with « Accessibilité : non conforme »", got)
			}
		})
	}
}

// linksTo reports whether n holds a link to href.
func linksTo(n *html.Node, href string) bool {
	return find(n, func(a *html.Node) bool { return a.Data == "a" && attr(a, "href") == href }) != nil
}

// hasAncestor reports whether n has an ancestor element named tag.
func hasAncestor(n *html.Node, tag string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return true
		}
	}
	return false
}

func textsOf(nodes []*html.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, text(n))
	}
	return out
}
