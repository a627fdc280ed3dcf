package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// TestSmallScreens opens, as the network admin, the pages the other browser
// tests do not show (each is checked with axe and at 320 px by checkA11y),
// then uses the portal on a phone: the list opens with the focus in its
// search box, the menu folds behind its button, and the list shows one card
// per patron. Last, a list and a record are printed.
func TestSmallScreens(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	for _, page := range []struct{ path, name string }{
		{"/admin", "administration"},
		{"/admin/bibliotheques", "bibliothèques"},
		{"/admin/bibliotheques/nouvelle", "nouvelle bibliothèque"},
		{"/admin/ressources", "ressources"},
		{"/admin/connecteurs", "connecteurs"},
		{"/admin/personnel", "personnel"},
		{"/admin/reseau", "réseau"},
		{"/admin/courriels", "courriels envoyés"},
		{"/admin/statistiques", "statistiques du réseau"},
		{"/abonnes?par_page=100", "abonnés du réseau"},
		{"/abonnes/a-traiter", "à traiter, réseau"},
	} {
		b.open(page.path)
		b.checkA11y(page.name)
	}
	// The network's charts name each bar so that no two read alike, though
	// the demo's library names share a long start.
	b.open("/admin/statistiques")
	alike, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('svg')].flatMap(svg => {
		const seen = new Set(), out = [];
		for (const t of svg.querySelectorAll('text')) {
			const label = [...t.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('').trim();
			if (t.querySelector('title') && seen.has(label)) out.push(label);
			seen.add(label);
		}
		return out;
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(alike) > 0 {
		t.Errorf("statistics: bars with one name in a chart: %q", alike)
	}

	// On a phone, the menu is one button; pressed, it shows the links.
	menu := role("navigation", "Menu principal")
	b.open("/abonnes")
	// The list opens with the focus in its search box, ready to type.
	if got := b.focused(); !strings.HasPrefix(got, "q ") {
		t.Errorf("/abonnes: the focus is on %q, want the search box (#q)", got)
	}
	b.resize(reflowWidth, 640)
	defer b.resize(0, 0)
	if n := b.count(link("Statistiques").in(menu)); n != 0 {
		t.Errorf("320 px: the menu's links show before « Menu » is pressed")
	}
	b.screenshot("telephone-liste")
	b.press(role("DisclosureTriangle", "Menu"))
	b.find(link("Statistiques").in(menu))
	b.screenshot("telephone-menu")

	// One card per patron: each row a box no wider than the screen, its
	// cells one under the other, with what each says.
	type card struct {
		Display string   `json:"display"`
		Width   int      `json:"width"`
		Text    string   `json:"text"`
		Labels  []string `json:"labels"` // shown before the cells, by CSS
	}
	cards, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]card](`[...document.querySelectorAll('table.patrons tbody tr')].map(tr => ({
		display: getComputedStyle(tr).display, width: Math.round(tr.getBoundingClientRect().width), text: tr.innerText,
		labels: [...tr.cells].map(td => getComputedStyle(td, '::before').content).filter(c => c !== 'none' && c !== 'normal')}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) == 0 {
		t.Fatalf("320 px: no patron row in the list")
	}
	for _, c := range cards {
		if c.Display != "block" || c.Width > reflowWidth {
			t.Errorf("320 px: a row is %s, %d px wide, want a card (block) within %d px: %q", c.Display, c.Width, reflowWidth, c.Text)
		}
		if labels := strings.Join(c.Labels, " "); !strings.Contains(labels, "Inscription : ") || !strings.Contains(labels, "Ressources : ") {
			t.Errorf("320 px: a card does not name its cells (%q): %q", c.Labels, c.Text)
		}
	}
	b.resize(0, 0)

	// Printed, a list or a record keeps its data and loses what is clicked.
	for _, page := range []struct {
		path  string
		clean string // what must not print
	}{
		{"/abonnes?q=MEDIATEUR", "nav, button, summary, input, select, textarea"},
		{"/abonnes/1", "nav, button, summary"}, // the record's fields print as its data
	} {
		path := page.path
		b.open(path)
		b.printing(true)
		type printed struct {
			Shown  []string `json:"shown"`
			Text   string   `json:"text"`
			Scroll bool     `json:"scroll"`
		}
		p, err := chromedp.Run(b.ctx, chromedp.Evaluate[printed](`({
			shown: [...document.querySelectorAll('`+page.clean+`')]
				.filter(e => e.type !== 'hidden' && e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 80)),
			text: document.body.innerText,
			scroll: [...document.querySelectorAll('.table-wrap')].some(e => getComputedStyle(e).overflowX !== 'visible'),
		})`))
		b.printing(false)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Shown) > 0 {
			t.Errorf("print %s: menus, buttons or form fields still printed: %q", path, p.Shown)
		}
		if p.Scroll {
			t.Errorf("print %s: a table still scrolls in its box, and would be cut on paper", path)
		}
		if !strings.Contains(p.Text, "MEDIATEUR-NUM") {
			t.Errorf("print %s: the data is not printed: %.300q", path, p.Text)
		}
	}
}
