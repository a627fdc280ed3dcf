package e2e

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
)

// listTotal is the number of patrons the list shown says it holds.
func (b *browser) listTotal() int {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('main .total').innerText`))
	if err != nil {
		b.t.Fatalf("list total: %v", err)
	}
	n, err := strconv.Atoi(strings.Fields(s)[0])
	if err != nil {
		b.t.Fatalf("list total %q: %v", s, err)
	}
	return n
}

// TestBulkValidationAndExport validates three patrons at once from the
// list, as a librarian does on a busy morning, then exports a search and
// counts the file's rows against the list's count.
func TestBulkValidationAndExport(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	b := newBrowser(t)
	b.base = startApp(t, today)
	selection := role("form", "Sélection d'abonnés")
	b.open("/connexion")
	// The network admin sees every library's accounts « À valider ».
	b.loginAsLibrary("admin")

	b.open("/abonnes?statut=a_valider")
	b.checkA11y("liste, actions sur la sélection")
	var boxes []string
	for _, name := range b.names("checkbox", selection) {
		if strings.HasPrefix(name, "Sélectionner ") {
			boxes = append(boxes, name)
		}
	}
	if len(boxes) < 4 {
		t.Fatalf("the demo network has %d accounts « À valider », want at least 4", len(boxes))
	}
	for _, name := range boxes[:3] {
		b.tick(checkbox(name))
	}
	if got := b.value(textbox("Date d'inscription dans la bibliothèque")); got != today.String() {
		t.Errorf("library date: got %q, want today %s by default", got, today)
	}
	b.resize(1280, 900)
	b.screenshot("validation-groupee")
	b.click(button("Valider la sélection"), 200)
	const want = "3 abonnés validés."
	if got := b.live("status"); !slices.Contains(got, want) {
		t.Errorf("result: got %q, want « %s »", got, want)
	}
	if title := b.title(); !strings.HasPrefix(title, "3 abonnés validés") {
		t.Errorf("title: got %q, want it to say the result first", title)
	}
	b.checkA11y("liste, résultat d'une validation groupée")
	b.resize(1280, 900)
	b.screenshot("validation-groupee-resultat")
	b.open("/abonnes?statut=a_valider&par_page=100")
	left := b.names("checkbox", selection)
	for _, name := range boxes[:3] {
		if slices.Contains(left, name) {
			t.Errorf("%s: still « À valider » after the bulk validation", name)
		}
	}

	// With JavaScript, « Tout sélectionner » ticks the page without leaving it.
	b.press(button("Tout sélectionner"))
	ticked, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]bool](`[...document.querySelectorAll('input[name=abonne]')].map(c => c.checked)`))
	if err != nil || len(ticked) == 0 || slices.Contains(ticked, false) {
		t.Errorf("« Tout sélectionner »: ticked %v (%v), want every row", ticked, err)
	}

	// Every patron of a search: a confirmation states their number first.
	total := b.listTotal()
	b.tick(role("radio", "à tous les "+strconv.Itoa(total)+" abonnés de cette recherche, toutes pages"))
	b.click(button("Valider la sélection"), 200)
	if h := b.find(role("heading", "Valider les "+strconv.Itoa(total)+" abonnés de cette recherche ?")); h.ax == nil {
		t.Errorf("confirmation heading missing")
	}
	b.checkA11y("confirmation d'une action sur toute une recherche")
	b.click(link("Annuler et revenir à la liste"), 200)
	if got := b.listTotal(); got != total {
		t.Errorf("after cancelling: %d « À valider », want %d, unchanged", got, total)
	}

	// The export holds every row the list counts, over all its pages.
	b.open("/abonnes?filtre=ressource-en-attente")
	listed := b.listTotal()
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(async () => {
		const a = [...document.querySelectorAll('main a')].find(a => a.innerText.trim() === 'Exporter (CSV)');
		const text = await (await fetch(a.href)).text();
		return text.split('\r\n').filter(line => line !== '').length - 1;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if rows != listed || listed <= 10 {
		t.Errorf("CSV export: %d rows, the list counts %d (want them equal, over more than one page)", rows, listed)
	}
}
